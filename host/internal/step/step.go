package step

import (
	"context"
	"io"
)

// Form says how a mixin runs.
type Form int

// Forms of a mixin.
const (
	// FormWasmInstalled is a wasm module found in the mixins directory.
	FormWasmInstalled Form = iota + 1
	// FormWasmBuiltin is a wasm module embedded in the mixbox binary.
	FormWasmBuiltin
	// FormNative is a native <name>-runtime process, run unsandboxed.
	FormNative
)

// String returns the form as the run log shows it, e.g. "wasm, built-in".
func (f Form) String() string {
	switch f {
	case FormWasmInstalled:
		return "wasm, installed"
	case FormWasmBuiltin:
		return "wasm, built-in"
	case FormNative:
		return "native, unsandboxed"
	}
	return "unknown"
}

// Input is one rendered step handed to a mixin.
type Input struct {
	// Mixin is the mixin's name, e.g. "exec".
	Mixin string
	// Action is the action being run, e.g. "install" or "status".
	Action string
	// Index is the 1-based position of the step in its action.
	Index int
	// Description is the step's rendered description, possibly empty.
	Description string
	// Args is argv[1:]: ["install"], or ["invoke", "--action", "status"].
	Args []string
	// Stdin is the rendered step YAML, {<action>: [<step>]}.
	Stdin []byte
}

// IO is where a step's output goes. Stdout and Stderr are already masking
// writers; Mask adds a value to mask for the rest of the run.
type IO struct {
	// Stdout and Stderr receive what the mixin prints: masked with the
	// run's secrets and with the values mixins masked.
	Stdout io.Writer
	Stderr io.Writer
	// Log writes one of mixbox's own lines about the step (an exec call the
	// policy refused, a cap reached) to the run log, after what the step
	// printed so far. It is masked with the run's secrets only, so a mixin
	// cannot scrub it. Nil writes the line to Stdout.
	Log func(line string)
	// Mask declares a value sensitive for the rest of the run, in what
	// mixins print. May be nil.
	Mask func(value string)
	// Debug is true when debug output is on (--debug / PORTER_DEBUG).
	Debug bool
}

// Result is what a step produced. Outputs are returned even when Run also
// returns an error: outputs written before a failure are kept.
type Result struct {
	// Outputs holds every output the step set, by name.
	Outputs map[string][]byte
	// ExitCode is the exit code of the mixin (0 on success).
	ExitCode int
	// Denials lists, in order, the exec calls the policy refused, each with
	// the rule that refused it (values masked by the writer that prints them).
	Denials []string
}

// Runner runs steps with one mixin in one form.
type Runner interface {
	// Name is the mixin's name.
	Name() string
	// Form is how the mixin runs.
	Form() Form
	// Run runs one step. A non-nil error means the step failed; Result still
	// carries the outputs produced before the failure.
	Run(ctx context.Context, in Input, sio IO) (Result, error)
	// Close releases what the runner keeps between the steps of a run. The
	// runner is not used after it.
	Close(ctx context.Context) error
}
