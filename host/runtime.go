package host

import (
	"context"
	"encoding/hex"
	"io"
	"time"

	"github.com/mixbox/mixbox/host/internal/modules"
	"github.com/mixbox/mixbox/host/internal/run"
)

// Runtime runs bundle actions. It lives as long as the process and keeps
// only what outlives a run: the compiled wasm modules and the options. Runs
// may share one Runtime, at the same time too; Close releases it.
type Runtime struct {
	opts    Options
	modules *modules.Store
}

// New returns a Runtime for opts.
func New(opts Options) *Runtime {
	return &Runtime{
		opts: opts,
		modules: modules.New(modules.Options{
			CacheDir:     opts.CacheDir,
			Interpreter:  opts.Interpreter,
			Version:      Version().Version,
			Logger:       opts.Logger,
			CompileLater: opts.CompileLater,
			Sums:         builtInSums(opts.BuiltInSHA256),
			Seed:         opts.Seed,
		}),
	}
}

// builtInSums decodes Options.BuiltInSHA256 for the module store; an entry
// that is not a hex sha256 is left out (computed on load).
func builtInSums(hexSums map[string]string) map[string][32]byte {
	out := map[string][32]byte{}
	for name, h := range hexSums {
		var sum [32]byte
		if b, err := hex.DecodeString(h); err == nil && len(b) == len(sum) {
			copy(sum[:], b)
			out[modules.BuiltInWhere(name)] = sum
		}
	}
	return out
}

// Close releases the compiled modules.
func (rt *Runtime) Close(ctx context.Context) error {
	return rt.modules.Close(ctx)
}

// ColdModule is a wasm module a run started on the interpreter, because the
// cache did not hold its compiled code, and left to compile (see
// Options.CompileLater).
type ColdModule struct {
	// Name is the mixin's name.
	Name string
	// Path is the module's file; empty for a built-in.
	Path string
}

// ColdModules returns the modules the Runtime's runs started cold and left
// to compile, with Options.CompileLater; nil otherwise.
func (rt *Runtime) ColdModules() []ColdModule {
	var out []ColdModule
	for _, c := range rt.modules.Cold() {
		out = append(out, ColdModule{Name: c.Name, Path: c.File})
	}
	return out
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

// Run runs one action. Whatever happens after the manifest was loaded and
// the state unpacked, outputs produced so far and porter-state are written
// before Run returns. The error's text is masked.
func (rt *Runtime) Run(ctx context.Context, opts RunOptions) (Report, error) {
	rep, err := run.Run(ctx, rt.deps(), runConfig(opts))
	return Report{Steps: rep.Steps, Ran: rep.Ran, Outputs: rep.Outputs, Duration: rep.Duration}, err
}

// PrintPolicy writes the effective policy of the run opts describes, in the
// policy file format: the operator's, or the default one built from the
// manifest and the capabilities the installed wasm mixins declare. Action
// may be empty.
func (rt *Runtime) PrintPolicy(ctx context.Context, opts RunOptions, w io.Writer) error {
	return run.PrintPolicy(ctx, rt.deps(), runConfig(opts), w)
}

func (rt *Runtime) deps() run.Deps {
	return run.Deps{Modules: rt.modules, BuiltIns: rt.opts.BuiltIns, Logger: rt.opts.Logger, WaitDelay: rt.opts.WaitDelay}
}

func runConfig(o RunOptions) run.Config {
	return run.Config{
		Manifest:     o.ManifestPath,
		Action:       o.Action,
		Debug:        o.Debug,
		Root:         o.Root,
		MixinsDir:    o.MixinsDir,
		PolicyFile:   o.PolicyFile,
		Params:       o.Params,
		Creds:        o.Creds,
		Installation: o.Installation,
		PreferNative: o.Prefer == PreferNative,
		RecordExec:   o.RecordExec,
		ReplayExec:   o.ReplayExec,
		JSONLog:      o.LogFormat == LogJSON,
		Env:          o.Env,
		Stdout:       o.Stdout,
		Stderr:       o.Stderr,
	}
}

// DefaultCacheDir is the compiled-module cache `mixbox run` and `mixbox
// precompile` use when none is given (docs/spec/cli.md): in an invocation
// image (root "/" and /cnab/app exists) /cnab/.mixbox/cache if writable,
// else the user cache dir from env ($XDG_CACHE_HOME/mixbox, else
// $HOME/.cache/mixbox). "" when there is none.
func DefaultCacheDir(root string, env []string) string {
	return modules.DefaultCacheDir(root, env)
}
