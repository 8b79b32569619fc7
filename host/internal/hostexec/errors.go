package hostexec

import "errors"

// Sentinel errors of the hostexec package.
var (
	// ErrMismatch is wrapped by a replayed call that is not the one the
	// recording holds next, or one past its end.
	ErrMismatch = errors.New("exec call does not match the recording")
	// ErrInvalid is wrapped by ParseEntries for an exec list that is not
	// valid: not YAML, an unknown key, a missing command or a bad regex.
	ErrInvalid = errors.New("invalid exec list")
)
