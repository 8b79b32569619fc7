package wasm

import (
	"errors"

	"github.com/mixbox/mixbox/host/internal/errkind"
)

// Errors of module checks. Every one of them also matches ErrIncompatible,
// which the CLI maps to exit code 3.
var (
	// ErrIncompatible matches every error that rejects a module before it
	// runs (abi-v1 §1, §8.10). It is the host's errkind.ErrIncompatible.
	ErrIncompatible = errkind.ErrIncompatible
	// ErrNotWasm is a file that does not start with the WebAssembly magic.
	ErrNotWasm = errors.New("not a WebAssembly module")
	// ErrComponent is a WebAssembly component (component model, WASI
	// preview 2) instead of a core module.
	ErrComponent = errors.New("WebAssembly component, not a core module")
	// ErrVersion is a core module of a binary version other than 1.
	ErrVersion = errors.New("unsupported WebAssembly version")
	// ErrTruncated is a module that ends in the middle of its header or of
	// a section.
	ErrTruncated = errors.New("truncated module")
	// ErrMalformed is a module whose bytes do not decode or validate.
	ErrMalformed = errors.New("malformed module")
	// ErrMissingExport is a module that exports neither a function _start
	// nor a function mixbox_step, or no memory named memory, or one of
	// these names as something of another kind.
	ErrMissingExport = errors.New("missing export")
	// ErrStartSignature is a module whose _start is a function with
	// parameters or results; it must be () -> ().
	ErrStartSignature = errors.New("_start signature mismatch")
	// ErrStepSignature is a reactor whose mixbox_step is not a function
	// () -> i32 (abi-v1 §1a).
	ErrStepSignature = errors.New("mixbox_step signature mismatch")
	// ErrInitializeSignature is a reactor whose _initialize is a function
	// with parameters or results; it must be () -> ().
	ErrInitializeSignature = errors.New("_initialize signature mismatch")
	// ErrEnvPerStepSignature is a reactor whose mixbox_env_per_step is not
	// a function () -> ().
	ErrEnvPerStepSignature = errors.New("mixbox_env_per_step signature mismatch")
	// ErrImportModule is an import from a module other than
	// wasi_snapshot_preview1 and mixbox_v1, or an import that is not a
	// function.
	ErrImportModule = errors.New("disallowed import")
	// ErrUnknownFunction is an import of a function that this host does not
	// provide.
	ErrUnknownFunction = errors.New("unknown host function")
	// ErrSignature is an import of a host function with the wrong signature.
	ErrSignature = errors.New("host function signature mismatch")
	// ErrMetadata is a mixbox.mixin custom section that does not decode.
	ErrMetadata = errors.New("bad mixbox.mixin metadata")
)

// Errors of a step that ran (or tried to). A Runner's error wraps one of
// them, or the context's error when the caller cancelled the step.
var (
	// ErrExit is a guest that exited with a non-zero code.
	ErrExit = errors.New("mixin failed")
	// ErrTrap is a guest that trapped (unreachable, out-of-bounds access,
	// stack overflow, ...).
	ErrTrap = errors.New("mixin trapped")
	// ErrStepTimeout is a step that ran past its policy stepTimeout.
	ErrStepTimeout = errors.New("step timed out")
	// ErrMemoryCap is a module whose initial memory is over the policy's
	// memory cap.
	ErrMemoryCap = errors.New("memory over the cap")
	// ErrClosed is a Load or Run on a closed Engine.
	ErrClosed = errors.New("engine closed")
)

// errGuestWrite is a write into guest memory that failed; response_read
// returns E_FAULT for it.
var errGuestWrite = errors.New("write outside guest memory")

// incompatError is a module check failure: its message lists every problem
// and it matches ErrIncompatible and each distinct cause.
type incompatError struct {
	msg    string
	causes []error
}

func (e *incompatError) Error() string { return e.msg }

func (e *incompatError) Unwrap() []error {
	return append([]error{ErrIncompatible}, e.causes...)
}
