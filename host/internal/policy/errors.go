package policy

import (
	"errors"
	"fmt"

	"github.com/mixbox/mixbox/wasmabi"
)

// Sentinel errors of the policy package.
var (
	// ErrInvalid is wrapped by every error of Parse: the policy file is not
	// valid YAML, has an unknown key, a bad size, duration or regex. The CLI
	// maps it to exit code 2.
	ErrInvalid = errors.New("invalid policy")
)

// DeniedError is the refusal of an exec request by the policy. It matches
// wasmabi.EDenied with errors.Is.
type DeniedError struct {
	// Mixin is the mixin that asked.
	Mixin string
	// Command is the request's command as the guest gave it.
	Command string
	// Rule says which rule refused it, e.g. "no exec grant names it".
	Rule string
}

// Error returns `exec "curl" denied for mixin exec: no exec grant names it`.
func (e *DeniedError) Error() string {
	return fmt.Sprintf("exec %q denied for mixin %s: %s", e.Command, e.Mixin, e.Rule)
}

// Unwrap returns wasmabi.EDenied.
func (e *DeniedError) Unwrap() error { return wasmabi.EDenied }
