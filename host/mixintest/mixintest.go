package mixintest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/mixbox/mixbox/host"
	"github.com/mixbox/mixbox/host/internal/mask"
	"github.com/mixbox/mixbox/host/internal/modules"
	"github.com/mixbox/mixbox/host/internal/policy"
	"github.com/mixbox/mixbox/host/internal/step"
	"github.com/mixbox/mixbox/host/internal/wasm"
	"github.com/mixbox/mixbox/wasmabi"
)

// Engine selects wazero's compiler, its interpreter, or both.
type Engine int

// Engines of Options.Engine.
const (
	// Auto is the fastest engine for a test run (the default): the
	// compiler for a module whose compiled code is in Options.CacheDir, else
	// the interpreter, which compiles a module about ten times faster and
	// runs it slower. It does not fill the cache: a test run is over before
	// the compiler would be done.
	Auto Engine = iota
	// Compiler runs cases under wazero's compiler, compiling the module
	// into Options.CacheDir first if the cache does not hold it, so that
	// Auto runs of the same module later use the compiled code.
	Compiler
	// Interpreter runs cases under wazero's interpreter.
	Interpreter
	// Both runs every case under the compiler and the interpreter and fails
	// a case whose results differ.
	Both
)

// ParseEngine parses "auto", "compiler", "interpreter" or "both"; "" is
// "auto".
func ParseEngine(s string) (Engine, error) {
	switch s {
	case "auto", "":
		return Auto, nil
	case "compiler":
		return Compiler, nil
	case "interpreter":
		return Interpreter, nil
	case "both":
		return Both, nil
	}
	return 0, fmt.Errorf("parse engine %q: want auto, compiler, interpreter or both", s)
}

// String returns the engine's name as ParseEngine takes it.
func (e Engine) String() string {
	switch e {
	case Auto:
		return "auto"
	case Compiler:
		return "compiler"
	case Interpreter:
		return "interpreter"
	case Both:
		return "both"
	}
	return "engine(" + strconv.Itoa(int(e)) + ")"
}

// Options configures a Tester. The zero value is valid: the Auto engine
// (the interpreter, with no CacheDir), the mixin named by its metadata.
type Options struct {
	// Engine selects the wazero engine(s).
	Engine Engine
	// Name is the mixin's name, argv[0] of the guest. Empty takes the name
	// of the module's mixbox.mixin metadata, else "mixin".
	Name string
	// File is the module's file, named in errors; empty names the module
	// by its sha256.
	File string
	// CacheDir, when set, keeps compiled code on disk across processes
	// (the cache `mixbox run` uses; DefaultCacheDir in package host).
	CacheDir string
	// Seed seeds the guest's random source.
	Seed uint64
}

// Result is what a mixin did in one case, and whether the case passed.
type Result struct {
	// Name is the case's name.
	Name string
	// Engine is the engine that ran the case ("compiler" or "interpreter";
	// the first one with Both).
	Engine string
	// ExitCode is the mixin's exit code.
	ExitCode int
	// Outputs are the outputs the mixin set.
	Outputs map[string]string
	// Calls are the exec calls the policy allowed, in order.
	Calls []Call
	// Denied are the exec calls the policy refused, in order.
	Denied []Call
	// Stdout and Stderr are the mixin's output, with the streamed output of
	// its exec calls, masked as a run would print them.
	Stdout string
	Stderr string
	// Masked are the values the mixin declared sensitive.
	Masked []string
	// Err is the step's error (a non-zero exit, a trap, a timeout), nil
	// when the mixin exited 0.
	Err error
	// Failures say why the case failed, each one reason, possibly of
	// several lines; empty when it passed.
	Failures []string
	// Duration is the wall time of the case.
	Duration time.Duration
}

// Passed reports whether the case passed.
func (r Result) Passed() bool { return len(r.Failures) == 0 }

// Tester runs cases against one module, compiled once per engine. It is
// safe for concurrent use; each case gets a fresh instance (a reactor's
// is initialized for the case and runs its one step).
type Tester struct {
	name    string
	caps    wasmabi.Capabilities // what the module's metadata declares
	store   *modules.Store
	engines []loaded
	seed    uint64
}

type loaded struct {
	label string
	eng   *wasm.Engine
	mod   *wasm.Module
}

// New checks and compiles the module bin. An error the host raises about
// the module itself matches ErrIncompatible.
func New(ctx context.Context, bin []byte, opts Options) (*Tester, error) {
	t := &Tester{
		name:  opts.Name,
		seed:  opts.Seed,
		store: modules.New(modules.Options{CacheDir: opts.CacheDir, Version: host.Version().Version}),
	}
	var kinds []modules.Engine
	switch opts.Engine {
	case Auto:
		kinds = []modules.Engine{modules.Cached}
	case Compiler:
		kinds = []modules.Engine{modules.Compiler}
	case Interpreter:
		kinds = []modules.Engine{modules.Interpreter}
	case Both:
		kinds = []modules.Engine{modules.Compiler, modules.Interpreter}
	default:
		return nil, fmt.Errorf("create tester: unknown engine %s", opts.Engine)
	}
	where := opts.File
	if where == "" {
		sum := sha256.Sum256(bin)
		where = "module sha256:" + hex.EncodeToString(sum[:])
	}
	for _, k := range kinds {
		name := t.name
		if name == "" {
			name = "mixin"
		}
		l, err := t.store.LoadOn(ctx, k, name, where, bin)
		if err == nil && t.name == "" {
			if md := l.Module.Info().Metadata; md != nil && md.Name != "" && wasmNameOK(md.Name) {
				name = md.Name
				l, err = t.store.LoadOn(ctx, k, name, where, bin) // compiled once: only the name changes
			}
		}
		if err != nil {
			if errors.Is(err, wasm.ErrIncompatible) {
				err = incompatible{err}
			}
			return nil, errors.Join(fmt.Errorf("load mixin: %w", err), t.Close(ctx))
		}
		if md := l.Module.Info().Metadata; md != nil {
			t.caps = md.Capabilities
		}
		t.name = name
		t.engines = append(t.engines, loaded{label: engineLabel(l.Engine), eng: l.Engine, mod: l.Module})
	}
	return t, nil
}

// engineLabel names the engine that runs a case.
func engineLabel(e *wasm.Engine) string {
	if e.Interpreter() {
		return Interpreter.String()
	}
	return Compiler.String()
}

// incompatible is a module check failure of the host: its text is the
// host's, and it matches ErrIncompatible as well as the host's error.
type incompatible struct{ err error }

func (e incompatible) Error() string   { return e.err.Error() }
func (e incompatible) Unwrap() []error { return []error{ErrIncompatible, e.err} }

func wasmNameOK(name string) bool { return !strings.ContainsAny(name, "/\\ \t\n") }

// Close releases the engines and their compiled code. A compile filling
// the disk cache in the background (Auto) is not waited for.
func (t *Tester) Close(ctx context.Context) error {
	t.engines = nil
	return t.store.Close(ctx)
}

// Run runs the module bin on one case, compiling it first; a test that runs
// many cases should keep a Tester instead.
func Run(ctx context.Context, bin []byte, c Case) (Result, error) {
	t, err := New(ctx, bin, Options{})
	if err != nil {
		return Result{}, err
	}
	res, err := t.Run(ctx, c)
	return res, errors.Join(err, t.Close(ctx))
}

// Run runs one case in a fresh instance (one per engine) and checks it. An
// error is a host failure or an invalid case (ErrCases), never a failing
// case: that is in Result.Failures.
func (t *Tester) Run(ctx context.Context, c Case) (Result, error) {
	res, _, err := t.run(ctx, &c, modeFor(&c))
	if err != nil {
		return Result{}, err
	}
	return res, nil
}

func modeFor(c *Case) tableMode {
	if c.Loose {
		return modeLoose
	}
	return modeStrict
}

// run runs c under every engine and returns the first engine's result,
// checked, and its table.
func (t *Tester) run(ctx context.Context, c *Case, mode tableMode) (Result, *table, error) {
	if err := validate(c); err != nil {
		return Result{}, nil, err
	}
	start := time.Now()
	var first Result
	var firstTable *table
	var diffs []string
	for i, l := range t.engines {
		res, tbl, err := t.runOnce(ctx, l, c, mode)
		if err != nil {
			return Result{}, nil, err
		}
		if i == 0 {
			first, firstTable = res, tbl
			continue
		}
		if d := differences(first, res); len(d) > 0 {
			diffs = append(diffs, fmt.Sprintf("engines differ: %s and %s disagree on %s", t.engines[0].label, l.label, strings.Join(d, ", ")))
		}
	}
	first.Name = c.Name
	if mode != modeRecord {
		first.Failures = append(firstTable.finish(), check(c, first)...)
	}
	first.Failures = append(first.Failures, diffs...)
	first.Duration = time.Since(start)
	return first, firstTable, nil
}

// runOnce runs c in a fresh instance of l.
func (t *Tester) runOnce(ctx context.Context, l loaded, c *Case, mode tableMode) (Result, *table, error) {
	dir, err := os.MkdirTemp("", "mixintest-")
	if err != nil {
		return Result{}, nil, fmt.Errorf("create bundle directory: %w", err)
	}
	defer func() { _ = os.RemoveAll(dir) }() // a temporary directory; nothing to keep
	for name, content := range c.Files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return Result{}, nil, fmt.Errorf("write case file %s: %w", name, err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			return Result{}, nil, fmt.Errorf("write case file %s: %w", name, err)
		}
	}
	pol := t.policy(c)
	var mounts []wasm.Mount
	for _, m := range pol.Mounts {
		mounts = append(mounts, wasm.Mount{Host: m, Guest: m})
	}
	tbl := newTable(t.name, c, pol, mode)
	r := wasm.NewRunner(l.eng, l.mod, wasm.RunnerOptions{
		Policy:        pol,
		Executor:      tbl,
		BundleDir:     dir,
		Mounts:        mounts,
		Env:           c.Env,
		Deterministic: &wasm.Deterministic{Seed: t.seed},
	})
	defer func() { _ = r.Close(context.WithoutCancel(ctx)) }() // frees a reactor's instance; the case's result is settled
	action, args := argv(c.Action)
	secrets := mask.NewSet()
	var stdout, stderr bytes.Buffer
	mout, merr := mask.NewWriter(&stdout, secrets), mask.NewWriter(&stderr, secrets)
	var masked []string
	debug, _ := strconv.ParseBool(c.Env["PORTER_DEBUG"]) // not a bool: no debug, as in a run
	sr, runErr := r.Run(ctx, step.Input{
		Mixin: t.name, Action: action, Index: 1, Args: args, Stdin: []byte(c.Input),
	}, step.IO{
		Stdout: mout, Stderr: merr, Debug: debug,
		Mask: func(v string) { secrets.Add(v); masked = append(masked, v) },
	})
	if err := context.Cause(ctx); err != nil && ctx.Err() != nil {
		return Result{}, nil, fmt.Errorf("run case %q: %w", c.Name, err)
	}
	if errors.Is(runErr, wasm.ErrClosed) {
		return Result{}, nil, fmt.Errorf("run case %q: %w", c.Name, runErr)
	}
	_ = mout.Flush() // bytes.Buffer writes do not fail
	_ = merr.Flush()
	res := Result{
		Engine:   l.label,
		ExitCode: sr.ExitCode,
		Outputs:  map[string]string{},
		Stdout:   stdout.String(),
		Stderr:   stderr.String(),
		Masked:   masked,
		Err:      runErr,
	}
	for k, v := range sr.Outputs {
		res.Outputs[k] = string(v)
	}
	tbl.mu.Lock()
	res.Calls = slices.Clone(tbl.calls)
	res.Denied = slices.Clone(tbl.denied)
	tbl.mu.Unlock()
	return res, tbl, nil
}

// policy is the effective policy of c: its own, else what `mixbox run`'s
// default policy gives the mixin (docs/spec/policy.md): for the exec mixin
// the grants of the step it is given, for another what its metadata
// declares, as the default policy grants it. The default's mounts of host
// paths are left out: a case sees only its own files.
func (t *Tester) policy(c *Case) policy.Mixin {
	if c.Policy != nil {
		return c.Policy.mixin()
	}
	var steps []policy.ExecStep
	if t.name == policy.ExecMixin {
		if es, ok := policy.RenderedExecStep([]byte(c.Input)); ok {
			steps = append(steps, es)
		}
	}
	m := policy.Default(steps, nil).ForModule(t.name, t.caps) // a case has no manifest: no secret env to withhold
	m.Mounts = nil
	return m
}

// argv returns CNAB_ACTION and argv[1:] for a case's action.
func argv(action string) (string, []string) {
	f := strings.Fields(action)
	switch {
	case len(f) == 1 && isCoreAction(f[0]):
		return f[0], f
	case len(f) == 1:
		return f[0], []string{"invoke", "--action", f[0]}
	}
	for i := 0; i+1 < len(f); i++ {
		if f[i] == "--action" {
			return f[i+1], f
		}
	}
	return f[0], f
}

func isCoreAction(a string) bool { return a == "install" || a == "upgrade" || a == "uninstall" }

// validate checks what ParseCases checks, for a Case built in Go.
func validate(c *Case) error {
	p := parser{}
	bad := func(format string, args ...any) error {
		return p.errf(c.Line, "case %q: %s", c.Name, fmt.Sprintf(format, args...))
	}
	if strings.TrimSpace(c.Action) == "" {
		return bad("action is required (install, upgrade, uninstall or a custom action)")
	}
	for name := range c.Files {
		if err := checkFileName(name); err != nil {
			return bad("files: %s", err.Error())
		}
	}
	for i, e := range c.Exec {
		if _, err := e.entry().Compile(); err != nil {
			return bad("exec[%d]: %s", i, err.Error()) // the parser's message for a cases file

		}
	}
	return nil
}

// check compares what the mixin did with c.Want.
func check(c *Case, r Result) []string {
	var out []string
	w := c.Want
	if r.ExitCode != w.ExitCode {
		msg := fmt.Sprintf("exit code: want %d, got %d", w.ExitCode, r.ExitCode)
		if r.Err != nil && !errors.Is(r.Err, wasm.ErrExit) {
			msg += "\n  " + r.Err.Error()
		}
		if tail := lastLines(r.Stderr, 10); tail != "" {
			msg += "\n  stderr:\n" + indent(tail, "  | ")
		}
		out = append(out, msg)
	}
	if w.Outputs != nil {
		keys := slices.Sorted(maps.Keys(w.Outputs))
		for k := range r.Outputs {
			if _, ok := w.Outputs[k]; !ok {
				keys = append(keys, k)
			}
		}
		slices.Sort(keys)
		for _, k := range keys {
			want, wok := w.Outputs[k]
			got, gok := r.Outputs[k]
			switch {
			case !gok:
				out = append(out, fmt.Sprintf("output %s: want %q, got none", k, want))
			case !wok:
				out = append(out, fmt.Sprintf("output %s: want none, got %q", k, got))
			case want != got:
				out = append(out, fmt.Sprintf("output %s: want %q, got %q", k, want, got))
			}
		}
	}
	for _, s := range w.StdoutContains {
		if !strings.Contains(r.Stdout, s) {
			out = append(out, fmt.Sprintf("stdout does not contain %q", s))
		}
	}
	for _, s := range w.StderrContains {
		if !strings.Contains(r.Stderr, s) {
			out = append(out, fmt.Sprintf("stderr does not contain %q", s))
		}
	}
	if w.Denied != nil {
		ok := len(w.Denied) == len(r.Denied)
		for i := 0; ok && i < len(w.Denied); i++ {
			ok = deniedMatches(w.Denied[i], r.Denied[i])
		}
		if !ok {
			got := make([]string, len(r.Denied))
			for i, d := range r.Denied {
				got[i] = d.String()
			}
			p := "denied: "
			out = append(out, p+"want "+fmt.Sprintf("%q", w.Denied)+"\n"+strings.Repeat(" ", len(p))+" got "+fmt.Sprintf("%q", got))
		}
	}
	return out
}

// differences names the parts of two results of one case that differ.
func differences(a, b Result) []string {
	var d []string
	if a.ExitCode != b.ExitCode {
		d = append(d, fmt.Sprintf("the exit code (%d, %d)", a.ExitCode, b.ExitCode))
	}
	if !maps.Equal(a.Outputs, b.Outputs) {
		d = append(d, "the outputs")
	}
	eq := func(x, y []Call) bool {
		return slices.EqualFunc(x, y, func(p, q Call) bool {
			return p.Command == q.Command && slices.Equal(p.Args, q.Args) && maps.Equal(p.Env, q.Env) &&
				p.Dir == q.Dir && p.Stdin == q.Stdin && p.Reason == q.Reason
		})
	}
	if !eq(a.Calls, b.Calls) {
		d = append(d, "the exec calls")
	}
	if !eq(a.Denied, b.Denied) {
		d = append(d, "the denied calls")
	}
	if a.Stdout != b.Stdout {
		d = append(d, "stdout")
	}
	if a.Stderr != b.Stderr {
		d = append(d, "stderr")
	}
	return d
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.TrimSpace(strings.Join(lines, "\n"))
}

func indent(s, prefix string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = prefix + l
	}
	return strings.Join(lines, "\n")
}
