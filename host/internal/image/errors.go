package image

import "errors"

// ErrInput is wrapped by errors about what the options name: an unknown
// platform, a --base or --runtime that is missing or not what it must be,
// a malformed -o. The CLI exits 2 on it; any other error is a failed build
// step (exit 1).
var ErrInput = errors.New("bad build input")

// hinted carries a line that tells the user what to do.
type hinted struct {
	err  error
	hint string
}

func (h *hinted) Error() string { return h.err.Error() }
func (h *hinted) Unwrap() error { return h.err }

func hint(err error, line string) error { return &hinted{err: err, hint: line} }

// Hint returns what to do about err, or "".
func Hint(err error) string {
	var h *hinted
	if errors.As(err, &h) {
		return h.hint
	}
	return ""
}

// inputError gives an error the kind ErrInput without repeating its text.
type inputError struct{ err error }

func (e inputError) Error() string   { return e.err.Error() }
func (e inputError) Unwrap() []error { return []error{ErrInput, e.err} }

// bad marks err as an error in the build's input.
func bad(err error) error { return inputError{err} }
