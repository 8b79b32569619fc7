package errkind

import (
	"errors"
	"strings"
)

// Sentinel errors. Package host re-exports the first five.
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

	// ErrNoAction is wrapped (with ErrUsage) when a run has no action.
	ErrNoAction = errors.New("no action to run")
	// ErrRoot is wrapped (with ErrUsage) when the CNAB root cannot be used.
	ErrRoot = errors.New("bad cnab root")
	// ErrReplay is wrapped when an exec replay file cannot be read or the
	// run's calls differ from it.
	ErrReplay = errors.New("exec replay")
	// ErrNoCache is wrapped (with ErrUsage) when precompiling has no cache
	// directory to fill.
	ErrNoCache = errors.New("no cache directory")
	// ErrInputs is wrapped (with ErrUsage) when the parameters or
	// credentials given to a run are unknown, do not fit their definition,
	// or (a local run) are missing.
	ErrInputs = errors.New("invalid parameters or credentials")
	// ErrNativeReplay is wrapped (with ErrUsage and ErrReplay) when a run
	// that replays exec calls would run a mixin natively: its commands
	// cannot be answered from the file.
	ErrNativeReplay = errors.New("a native mixin cannot be replayed")
	// ErrDenied is wrapped when a step failed after the policy refused one
	// of its mixin's exec calls.
	ErrDenied = errors.New("exec denied by the policy")
)

// Hint returns the line that tells the user what to do about err, or "".
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

// WithHint returns err carrying hint, the words joined by spaces.
func WithHint(err error, hint ...string) error {
	return &hinted{err: err, hint: strings.Join(hint, " ")}
}

// Masked returns err with its text replaced by masked, keeping the chain
// for errors.Is and errors.As. It returns err itself when the text is the
// same.
func Masked(err error, masked string) error {
	if err == nil || masked == err.Error() {
		return err
	}
	return &maskedError{text: masked, err: err}
}

// maskedError is an error whose text has been masked.
type maskedError struct {
	text string
	err  error
}

func (e *maskedError) Error() string { return e.text }
func (e *maskedError) Unwrap() error { return e.err }

// Of returns an error that matches kind and whose text is err's alone, for
// an err whose text already says what kind it is.
func Of(kind, err error) error { return kindError{kind: kind, err: err} }

type kindError struct {
	kind error
	err  error
}

func (e kindError) Error() string   { return e.err.Error() }
func (e kindError) Unwrap() []error { return []error{e.kind, e.err} }
