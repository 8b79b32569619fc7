package host

import (
	"errors"
	"strings"
)

// Sentinel errors; the CLI maps them to exit codes.
var (
	// ErrUsage is wrapped by errors in how mixbox was called: bad option
	// values, an unreadable or invalid policy file (exit 2).
	ErrUsage = errors.New("usage")
	// ErrIncompatible is wrapped by errors about a mixin the host cannot run:
	// not a wasm core module, a wrong ABI, a disallowed import (exit 3).
	ErrIncompatible = errors.New("incompatible mixin")
	// ErrManifest is wrapped by errors in porter.yaml or bundle.json.
	ErrManifest = errors.New("invalid manifest")
	// ErrNotInstalled is wrapped when a step's mixin is found nowhere.
	ErrNotInstalled = errors.New("mixin not installed")
	// ErrStep is wrapped when a step fails.
	ErrStep = errors.New("step failed")
)

// maskedError is an error whose text has been masked.
type maskedError struct {
	text string
	err  error
}

func (e *maskedError) Error() string { return e.text }
func (e *maskedError) Unwrap() error { return e.err }

// Hint returns a line that tells the user what to do about err, or "".
func Hint(err error) string {
	var h *hinted
	if errors.As(err, &h) {
		return h.hint
	}
	return ""
}

// hinted carries a hint for the user along with an error.
type hinted struct {
	err  error
	hint string
}

func (h *hinted) Error() string { return h.err.Error() }
func (h *hinted) Unwrap() error { return h.err }

func withHint(err error, hint ...string) error {
	return &hinted{err: err, hint: strings.Join(hint, " ")}
}

// kindError gives err a sentinel kind without repeating the kind's text
// when err already says it.
type kindError struct {
	kind error
	err  error
}

func (e kindError) Error() string   { return e.err.Error() }
func (e kindError) Unwrap() []error { return []error{e.kind, e.err} }
