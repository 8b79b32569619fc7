package host

import (
	"io"
	"log/slog"
	"time"
)

// Prefer says which form of a mixin wins when it exists both as wasm and as a
// native runtime.
type Prefer int

// Values of Prefer.
const (
	PreferWasm Prefer = iota
	PreferNative
)

// LogFormat is the format of the run log.
type LogFormat int

// Values of LogFormat.
const (
	// LogText is Porter's human log.
	LogText LogFormat = iota
	// LogJSON writes one JSON object per event.
	LogJSON
)

// Options configure a Runtime: what outlives every run. The zero value is
// valid: wazero's compiler, compiled code kept in memory only, no built-in
// mixins, no diagnostics.
type Options struct {
	// CacheDir keeps compiled wasm on disk across processes. Empty keeps it
	// in memory only; DefaultCacheDir gives the CLI's default.
	CacheDir string
	// BuiltIns are the wasm mixins embedded in the binary, by name.
	BuiltIns map[string][]byte
	// BuiltInSHA256 are the hex sha256 of BuiltIns, by name, computed when
	// they were built, so that a run does not hash them (mixbox's own:
	// builtin.SHA256). A missing entry is computed; a wrong one makes the
	// cache and `mixin inspect` name the wrong module.
	BuiltInSHA256 map[string]string
	// Seed is a file that may end in the compiled code of the built-in
	// mixins, which `make build` appends to mixbox's executable (RATIONALE.md,
	// "Why does mixbox carry its built-in's compiled code?"): a run whose
	// cache does not hold a built-in unpacks it into the cache instead of
	// starting it on the interpreter. Empty means none.
	Seed string
	// Interpreter runs wasm with wazero's interpreter instead of its compiler.
	Interpreter bool
	// CompileLater is for a short-lived process. A module the cache does
	// not hold runs on the interpreter either way; by default the Runtime
	// also compiles it in the background for its later runs, and with
	// CompileLater it does not, and ColdModules lists it for a
	// Precompile with Background in another process (what `mixbox run`
	// starts when it ends).
	CompileLater bool
	// Logger receives host diagnostics. Nil discards.
	Logger *slog.Logger
	// WaitDelay is how long a stopped native mixin gets between SIGTERM and
	// SIGKILL. Zero means 30s.
	WaitDelay time.Duration
}

// RunOptions are what one run is. Action is required.
//
// Without a PolicyFile the default policy of docs/spec/policy.md applies:
// wasm mixins get only what it grants, and native mixins installed under
// MixinsDir run unsandboxed, as under Porter (the run log says so). A policy
// with `native: deny` forbids them.
type RunOptions struct {
	// ManifestPath is the manifest. Default "porter.yaml": relative to the
	// working directory, else to the bundle directory. An absolute
	// /cnab/... path is taken under Root.
	ManifestPath string
	// Action is the action to run: install, upgrade, uninstall or custom.
	Action string
	// Debug turns on debug output: Porter's debug lines in the run log,
	// and PORTER_DEBUG=true in the environment of the mixins.
	Debug bool
	// Root is the directory every CNAB absolute path (/cnab/..., /porter/...)
	// is taken under. Empty or "/" means the real paths.
	Root string
	// MixinsDir is where installed mixins are. Default <bundle>/mixins,
	// Porter's $PORTER_HOME/mixins with PORTER_HOME=/cnab/app.
	MixinsDir string
	// PolicyFile is the operator's policy; empty means the default policy.
	PolicyFile string
	// Params and Creds set parameters and credentials by name, as a CNAB
	// driver would (local runs), each value taken whole. Before anything
	// runs they are checked as a driver checks them (docs/spec/cli.md): a
	// name the manifest lacks, a value that does not fit its parameter's
	// type or constraints, and, with a Root, a parameter without a default
	// or a required credential left without a value fail the run with
	// ErrInputs, every problem listed.
	Params map[string]string
	Creds  map[string]string
	// Installation is the installation name, set as a driver would. Empty
	// keeps CNAB_INSTALLATION_NAME, else (local runs) the bundle name.
	Installation string
	// Prefer says which form wins when a mixin has both.
	Prefer Prefer
	// RecordExec, if set, is the file every exec call is recorded to.
	RecordExec string
	// ReplayExec, if set, is the file exec calls are answered from.
	ReplayExec string
	// LogFormat is the format of the run log.
	LogFormat LogFormat
	// Env is mixbox's environment, "NAME=VALUE" entries. Nothing else of the
	// process environment is read.
	Env []string
	// Stdout receives the run log, Stderr warnings and errors. Nil discards.
	Stdout io.Writer
	Stderr io.Writer
}
