package run

import (
	"io"
	"log/slog"
	"time"

	"github.com/mixbox/mixbox/host/internal/modules"
)

// Config is what one run is: the bundle, the action, and everything given
// for this run alone.
type Config struct {
	// Manifest is the manifest's path (-f); "" is porter.yaml, relative to
	// the working directory, else to the bundle directory.
	Manifest string
	// Action is the action to run.
	Action string
	// Debug turns on debug output.
	Debug bool
	// Root is the directory CNAB absolute paths are taken under; "" or "/"
	// is the real paths.
	Root string
	// MixinsDir is where installed mixins are; "" is <bundle>/mixins.
	MixinsDir string
	// PolicyFile is the operator's policy; "" is the default policy.
	PolicyFile string
	// Params and Creds set parameters and credentials by name, as a driver.
	Params, Creds map[string]string
	// Installation is the installation name; "" keeps the environment's or,
	// in a local run, the bundle name.
	Installation string
	// PreferNative puts a mixin's native runtime before its wasm build.
	PreferNative bool
	// RecordExec and ReplayExec are the exec record and replay files.
	RecordExec, ReplayExec string
	// JSONLog writes the run log as one JSON object per event.
	JSONLog bool
	// Env is mixbox's environment, "NAME=VALUE" entries.
	Env []string
	// Stdout receives the run log, Stderr warnings and errors; nil discards.
	Stdout, Stderr io.Writer
}

// Deps is what a run uses that outlives it. Several runs may share one.
type Deps struct {
	// Modules compiles and keeps wasm mixins.
	Modules *modules.Store
	// BuiltIns are the wasm mixins embedded in the binary, by name.
	BuiltIns map[string][]byte
	// Logger receives host diagnostics; nil discards.
	Logger *slog.Logger
	// WaitDelay is how long a stopped native mixin gets between SIGTERM and
	// SIGKILL; zero is 30s.
	WaitDelay time.Duration
}

// Report describes a finished run.
type Report struct {
	// Steps is the number of steps of the action; Ran how many ran.
	Steps, Ran int
	// Outputs are the outputs of every step that ran, by name.
	Outputs map[string][]byte
	// Duration is the run's wall time.
	Duration time.Duration
}
