package wasm

import (
	"context"
	crand "crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/sys"

	"github.com/mixbox/mixbox/host/internal/hostexec"
	"github.com/mixbox/mixbox/host/internal/policy"
	"github.com/mixbox/mixbox/host/internal/step"
	"github.com/mixbox/mixbox/host/internal/termsafe"
	"github.com/mixbox/mixbox/wasmabi"
)

// guestEnvKeys are the variables a guest may get from mixbox's environment
// besides CNAB_ACTION (abi-v1 §2).
func guestEnvKeys() []string {
	return []string{
		"CNAB_BUNDLE_NAME", "CNAB_BUNDLE_VERSION", "CNAB_INSTALLATION_NAME",
		"CNAB_REVISION", "PORTER_DEBUG", "PORTER_VERBOSITY",
	}
}

// Deterministic asks for fixed clocks and a seeded random source, for
// `mixbox mixin test`.
type Deterministic struct {
	// Seed seeds the guest's random source; every step sees the same bytes.
	Seed uint64
	// Time is the guest's wall clock, which does not move. The zero value
	// means 2000-01-01T00:00:00Z.
	Time time.Time
}

// RunnerOptions configures a Runner. The zero value grants nothing: no
// mounts, no exec, no environment but CNAB_ACTION, output discarded.
type RunnerOptions struct {
	// Form is reported by Runner.Form; zero means step.FormWasmInstalled.
	Form step.Form
	// Policy is the mixin's effective policy. Its Limits apply to every step
	// (a zero limit takes the default of docs/spec/policy.md); Mount says
	// whether BundleDir is mounted. Policy.Mounts is not read here: the
	// caller maps it to host paths in Mounts.
	Policy policy.Mixin
	// Executor runs the guest's exec calls; nil refuses them all (E_DENIED).
	Executor hostexec.Executor
	// BundleDir is the host directory shown read-only at /cnab/app when
	// Policy.Mount is true.
	BundleDir string
	// Mounts are more read-only host paths for the guest.
	Mounts []Mount
	// Env is mixbox's environment; only the keys of abi-v1 §2 reach the guest.
	Env map[string]string
	// Deterministic, when set, gives the guest fixed clocks and a seeded
	// random source instead of real ones.
	Deterministic *Deterministic
	// Logger receives host-side diagnostics; nil uses the engine's.
	Logger *slog.Logger
}

// Runner runs steps of one wasm mixin. A command module gets a fresh
// instance per step; a reactor (abi-v1 §1a) one instance, initialized once
// and restored to its post-initialization state before every step, until
// Close. It implements step.Runner and is safe for concurrent use.
type Runner struct {
	eng     *Engine
	mod     *Module
	opts    RunnerOptions
	restore restoreMode // how reactor instances go back to their snapshot

	imageOnce sync.Once
	imagePath string   // of the initialization image; "" when none is kept (initimage.go)
	imageKey  [32]byte // what the image must have been made for
	// imageClocks, set by KeepImage, gives the instance it initializes
	// deterministic clocks, so that the image is the same on every build.
	imageClocks *Deterministic

	mu     sync.Mutex
	idle   []*reactorInstance // restored reactor instances
	closed bool
}

var _ step.Runner = (*Runner)(nil)

// NewRunner returns a Runner for mod, loaded in eng. Call Close when the
// run is over: it releases a reactor's instance.
func NewRunner(eng *Engine, mod *Module, opts RunnerOptions) *Runner {
	if opts.Form == 0 {
		opts.Form = step.FormWasmInstalled
	}
	if opts.Logger == nil {
		opts.Logger = eng.logger
	}
	return &Runner{eng: eng, mod: mod, opts: opts, restore: restoreCOW}
}

// Name returns the mixin's name.
func (r *Runner) Name() string { return r.mod.name }

// Form returns how the mixin runs.
func (r *Runner) Form() step.Form { return r.opts.Form }

// Info describes the runner's module.
func (r *Runner) Info() Info { return r.mod.info }

// Capabilities returns what the module's mixbox.mixin section declares.
func (r *Runner) Capabilities() wasmabi.Capabilities {
	if md := r.mod.info.Metadata; md != nil {
		return md.Capabilities
	}
	return wasmabi.Capabilities{}
}

// Engine names the wazero engine the runner's steps run on: "compiler" or
// "interpreter".
func (r *Runner) Engine() string {
	if r.eng.Interpreter() {
		return "interpreter"
	}
	return "compiler"
}

// Run runs one step: argv [mixin, in.Args...], stdin in.Stdin; a command's
// _start in a fresh instance, or a reactor's mixbox_step in its restored
// instance. It fails on a non-zero exit, a trap, the step timeout or an
// initial memory over the cap, and returns the outputs the guest committed
// before in every case.
func (r *Runner) Run(ctx context.Context, in step.Input, sio step.IO) (step.Result, error) {
	res := step.Result{Outputs: map[string][]byte{}}
	limits, capPages := r.stepLimits()
	if r.mod.compiled == nil || r.mod.minPages > capPages {
		res.ExitCode = 1
		return res, fmt.Errorf("%w: mixin %s needs %s of initial memory, over the memory cap of %s; raise the cap or rebuild the mixin with a smaller initial memory",
			ErrMemoryCap, r.mod.name, sizeString(int64(r.mod.minPages)*pageSize), capString(limits.Memory, r.eng.MemoryLimit()))
	}

	stdout, stderr := sio.Stdout, sio.Stderr
	if stdout == nil {
		stdout = io.Discard
	}
	if stderr == nil {
		stderr = io.Discard
	}
	runLog := sio.Log
	if runLog == nil {
		runLog = func(line string) { _, _ = io.WriteString(stdout, line+"\n") } // best effort: the console
	}
	budget := &logBudget{left: limits.LogBytes, limit: limits.LogBytes, notice: runLog, cut: []io.Writer{stdout, stderr}}
	inst := r.newInstance(fmt.Sprintf("%s step %d", in.Action, in.Index), limits,
		cappedWriter{b: budget, w: stdout}, cappedWriter{b: budget, w: stderr}, runLog, sio.Mask, sio.Debug)

	stepCtx, cancel := context.WithTimeout(ctx, limits.StepTimeout)
	defer cancel()
	runErr := r.wait(stepCtx, func() error {
		err := r.runStep(withInstance(stepCtx, inst), in, inst, capPages)
		inst.flushGuest() // not when given up: the stuck call may hold the writers
		return err
	})

	res.Outputs, res.Denials = inst.result()
	code, err := r.classify(ctx, stepCtx, limits, runErr)
	res.ExitCode = code
	return res, err
}

// stepLimits returns a step's limits and its memory cap in pages.
func (r *Runner) stepLimits() (policy.Limits, uint64) {
	limits := withDefaults(r.opts.Policy.Limits)
	return limits, uint64(min(limits.Memory, r.eng.MemoryLimit()) / pageSize)
}

// newInstance returns the host state of one step: its log writers (capped
// by the caller), mixbox's own log, and the masking of its values.
func (r *Runner) newInstance(name string, limits policy.Limits, stdout, stderr io.Writer, runLog, mask func(string), debug bool) *instance {
	inst := &instance{
		mixin:    r.mod.name,
		step:     name,
		limits:   limits,
		executor: r.opts.Executor,
		stdout:   stdout,
		stderr:   stderr,
		runLog:   runLog,
		mask:     mask,
		debug:    debug,
		logger:   r.opts.Logger,
		outputs:  map[string][]byte{},
	}
	inst.guestOut, inst.guestErr = termsafe.NewWriter(stdout), termsafe.NewWriter(stderr)
	return inst
}

// GiveUpAfter is how long a step whose context has ended may still take to
// return: the guest stops at its next instruction, but a host call may be
// stuck (an exec call's command gets its kill grace first). Past it the step
// ends without the instance, which is left behind: every step ends within
// its timeout (and a SIGTERM saves outputs and state) whatever blocks.
const GiveUpAfter = 10 * time.Second

// wait runs fn, the life of an instance in one step, and returns its error;
// if ctx ends and fn has not returned GiveUpAfter later, it returns ctx's
// error and leaves fn running. A reactor instance it leaves is out of the
// pool already (take), so the next step starts on a new one.
func (r *Runner) wait(ctx context.Context, fn func() error) error {
	done := make(chan error, 1)
	go func() { done <- fn() }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
	}
	t := time.NewTimer(GiveUpAfter)
	defer t.Stop()
	select {
	case err := <-done:
		return err
	case <-t.C:
		r.opts.Logger.WarnContext(ctx, "a host call of the guest does not return: the step ends without it", "mixin", r.mod.name, "after", GiveUpAfter)
		return context.Cause(ctx)
	}
}

// mounts builds the guest's file system from the options.
func (r *Runner) mounts() (wazero.FSConfig, func(), error) {
	bundle := ""
	if r.opts.Policy.Mount {
		bundle = r.opts.BundleDir
	}
	fsCfg, closeFS, err := mounts(bundle, r.opts.Mounts)
	if err != nil {
		closeFS()
		return nil, func() {}, fmt.Errorf("run mixin %s: %w", r.mod.name, err)
	}
	return fsCfg, closeFS, nil
}

// argv returns the guest's argv for in.
func (r *Runner) argv(in step.Input) []string {
	name := in.Mixin
	if name == "" {
		name = r.mod.name
	}
	return append([]string{name}, in.Args...)
}

// view returns the guest's argv and env for in (abi-v1 §2).
func (r *Runner) view(in step.Input) *guestView {
	v := &guestView{env: [][]byte{[]byte("CNAB_ACTION=" + in.Action)}}
	for _, a := range r.argv(in) {
		v.args = append(v.args, []byte(a))
	}
	keys := guestEnvKeys()
	sort.Strings(keys)
	for _, k := range keys {
		if val, ok := r.opts.Env[k]; ok {
			v.env = append(v.env, []byte(k+"="+val))
		}
	}
	return v
}

// moduleConfig is the configuration of an instance for in: the given
// stdio, the file system, and the clocks and random source (argv and env
// are the view's). The returned guestClock is nil unless the options ask for
// deterministic ones.
func (r *Runner) moduleConfig(in step.Input, fsCfg wazero.FSConfig, stdin io.Reader, stdout, stderr io.Writer) (wazero.ModuleConfig, *guestClock) {
	// argv and env are served from each call's view (guestview.go).
	cfg := wazero.NewModuleConfig().
		WithName("").
		WithStartFunctions().
		WithStdin(stdin).
		WithStdout(stdout).
		WithStderr(stderr).
		WithFSConfig(fsCfg)
	d := r.opts.Deterministic
	if d == nil {
		d = r.imageClocks
	}
	if d != nil {
		wall := d.Time
		if wall.IsZero() {
			wall = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
		}
		sec, nsec := wall.Unix(), int32(wall.Nanosecond())
		var seed [32]byte
		binary.LittleEndian.PutUint64(seed[:], d.Seed)
		c := &guestClock{rng: rand.NewChaCha8(seed)}
		return cfg.
			WithWalltime(func() (int64, int32) { return sec, nsec }, 1).
			// The monotonic clock moves only by 1µs per reading and by the
			// time the guest sleeps, so sleeps end at once, deterministically.
			WithNanotime(func() int64 { return c.mono.Add(1000) }, 1).
			WithNanosleep(func(ns int64) { c.mono.Add(max(ns, 0)) }).
			WithRandSource(c), c
	}
	return cfg.WithSysWalltime().WithSysNanotime().WithSysNanosleep().WithRandSource(crand.Reader), nil
}

// guestClock is the deterministic monotonic clock and random source of one
// instance. A reactor marks them after _initialize and resets them before
// every step, so every step sees the same readings and bytes.
type guestClock struct {
	mono   atomic.Int64
	rng    *rand.ChaCha8
	monoAt int64
	rngAt  []byte
}

// Read reads the random source.
func (c *guestClock) Read(p []byte) (int, error) { return c.rng.Read(p) }

func (c *guestClock) mark() error {
	if c == nil {
		return nil
	}
	b, err := c.rng.MarshalBinary()
	if err != nil {
		return fmt.Errorf("mark random source: %w", err)
	}
	c.monoAt, c.rngAt = c.mono.Load(), b
	return nil
}

func (c *guestClock) reset() error {
	if c == nil {
		return nil
	}
	c.mono.Store(c.monoAt)
	if err := c.rng.UnmarshalBinary(c.rngAt); err != nil {
		return fmt.Errorf("reset random source: %w", err)
	}
	return nil
}

// classify turns how the instance ended into an exit code and a step error.
func (r *Runner) classify(parent, stepCtx context.Context, limits policy.Limits, err error) (int, error) {
	// A step whose context ended fails even when the guest then returned:
	// an exec call it made was cut short.
	if stepCtx.Err() != nil {
		if parent.Err() != nil {
			return 1, fmt.Errorf("run mixin %s: %w", r.mod.name, context.Cause(parent))
		}
		return 1, fmt.Errorf("%w: mixin %s ran past the step timeout of %s (policy stepTimeout)",
			ErrStepTimeout, r.mod.name, limits.StepTimeout)
	}
	if err == nil {
		return 0, nil
	}
	var exit *sys.ExitError
	isExit := errors.As(err, &exit)
	if isExit && exit.ExitCode() == 0 {
		return 0, nil
	}
	if isExit {
		return int(int32(exit.ExitCode())), fmt.Errorf("%w: %s exited with code %d", ErrExit, r.mod.name, int32(exit.ExitCode()))
	}
	return 1, fmt.Errorf("%w: mixin %s: %w", ErrTrap, r.mod.name, err)
}
