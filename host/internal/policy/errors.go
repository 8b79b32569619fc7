package policy

import (
	"errors"
	"fmt"

	"github.com/mixbox/mixbox/wasmabi"
)

// Sentinel errors of the policy package.
var (
	// ErrInvalid is wrapped by every error of Parse and ParseMixin: the
	// policy is not valid YAML, has an unknown key, a bad size, duration or
	// regex (an *InvalidError). The CLI maps it to exit code 2.
	ErrInvalid = errors.New("invalid policy")
)

// InvalidError is a problem at a line of a policy (Parse, ParseMixin). It
// matches ErrInvalid with errors.Is.
type InvalidError struct {
	// Line is the 1-based line of the problem.
	Line int
	// Key is the dotted path of the key, e.g. "mixins.helm3.exec[0].args".
	Key string
	// Msg says what is wrong.
	Msg string
}

// Error returns "invalid policy: line LINE: KEY: MSG", without "KEY: " for
// the file's top level.
func (e *InvalidError) Error() string {
	if e.Key == "" {
		return fmt.Sprintf("%s: line %d: %s", ErrInvalid, e.Line, e.Msg)
	}
	return fmt.Sprintf("%s: line %d: %s: %s", ErrInvalid, e.Line, e.Key, e.Msg)
}

// Is reports whether target is ErrInvalid.
func (e *InvalidError) Is(target error) bool { return target == ErrInvalid }

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
