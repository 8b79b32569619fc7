package wasm

import (
	"bytes"
	"io"
	"log/slog"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"

	"github.com/mixbox/mixbox/host/internal/policy"
	"github.com/mixbox/mixbox/host/internal/step"
	"github.com/mixbox/mixbox/mixins/exec/builtin"
)

// coldLoad creates an engine with no cache and loads bin: a cold compile.
func coldLoad(tb testing.TB, bin []byte) Info {
	tb.Helper()
	e, err := NewEngine(testCtx, EngineOptions{})
	require.NoError(tb, err)
	defer func() { require.NoError(tb, e.Close(testCtx)) }()
	m, err := e.Load(testCtx, "probe", bin)
	require.NoError(tb, err)
	return m.Info()
}

func TestBenchmarkCompileCold(t *testing.T) {
	t.Parallel()
	require.True(t, coldLoad(t, guest(t, "fsprobe")).Accepted)
}

func BenchmarkCompileCold(b *testing.B) {
	bin := guest(b, "fsprobe")
	b.ReportAllocs()
	for b.Loop() {
		coldLoad(b, bin)
	}
}

// warmRun runs one step of hello on an engine that compiled it already.
func warmRun(tb testing.TB, r *Runner) step.Result {
	res, err := r.Run(testCtx, stepInput("install"), step.IO{Stdout: io.Discard, Stderr: io.Discard})
	require.NoError(tb, err)
	return res
}

func TestBenchmarkInstantiateWarm(t *testing.T) {
	t.Parallel()
	e := newEngine(t, EngineOptions{})
	r := NewRunner(e, load(t, e, "hello"), RunnerOptions{})
	for range 3 {
		require.Equal(t, []byte("hi"), warmRun(t, r).Outputs["greeting"])
	}
}

func BenchmarkInstantiateWarm(b *testing.B) {
	e := newEngine(b, EngineOptions{})
	r := NewRunner(e, load(b, e, "hello"), RunnerOptions{})
	b.ReportAllocs()
	for b.Loop() {
		warmRun(b, r)
	}
}

// pingInstance instantiates the ping guest with host state and returns its
// "ping" function.
func pingInstance(tb testing.TB) (api.Function, *instance) {
	tb.Helper()
	e := newEngine(tb, EngineOptions{})
	m := load(tb, e, "ping")
	inst := &instance{mixin: "probe", step: "bench", limits: withDefaults(policy.Limits{}),
		stdout: io.Discard, stderr: io.Discard, runLog: func(string) {},
		logger: slog.New(slog.DiscardHandler), outputs: map[string][]byte{}}
	ctx := withInstance(testCtx, inst)
	mod, err := e.rt.InstantiateModule(ctx, m.compiled, wazero.NewModuleConfig().WithName(""))
	require.NoError(tb, err)
	tb.Cleanup(func() { require.NoError(tb, mod.Close(testCtx)) })
	return mod.ExportedFunction("ping"), inst
}

func TestBenchmarkHostCall(t *testing.T) {
	t.Parallel()
	ping, inst := pingInstance(t)
	got, err := ping.Call(withInstance(testCtx, inst))
	require.NoError(t, err)
	require.Equal(t, []uint64{0}, got)
	outs, _ := inst.result()
	require.Equal(t, map[string][]byte{"key": []byte("value")}, outs)
}

func BenchmarkHostCall(b *testing.B) {
	ping, inst := pingInstance(b)
	ctx := withInstance(testCtx, inst)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ping.Call(ctx); err != nil {
			b.Fatal(err)
		}
	}
}

// execStepInput is one exec step of the built-in exec mixin, written as
// the host writes a step's stdin (tmpl.MarshalStdin).
func execStepInput() step.Input {
	return step.Input{Mixin: "exec", Action: "install", Index: 1, Args: []string{"install"},
		Stdin: []byte("install:\n  - exec:\n      arguments:\n        - a\n        - b\n      command: \"true\"\n      description: bench\n")}
}

// execReactor returns a runner of the built-in exec module (a reactor) in e
// that restores with mode. fresh makes every step run on a new instance,
// instantiated and initialized for it: what a reactor would cost without
// the restore.
func execReactor(tb testing.TB, e *Engine, mode restoreMode, fresh bool) *Runner {
	tb.Helper()
	m, err := e.Load(testCtx, "exec", builtin.Wasm())
	require.NoError(tb, err)
	require.NotNil(tb, m.reactor, "the built-in exec module is a reactor; rebuild it with make wasm")
	if fresh {
		c := *m
		rm := *m.reactor
		rm.fresh = "benchmark"
		c.reactor = &rm
		m = &c
	}
	r := NewRunner(e, m, RunnerOptions{Executor: &fakeExecutor{}})
	r.restore = mode
	tb.Cleanup(func() { require.NoError(tb, r.Close(testCtx)) })
	return r
}

// execStep runs one exec step on r; the fake executor prints the command.
func execStep(tb testing.TB, r *Runner) string {
	var out bytes.Buffer
	_, err := r.Run(testCtx, execStepInput(), step.IO{Stdout: &out, Stderr: io.Discard})
	require.NoError(tb, err)
	return out.String()
}

// reactorVariants are the ways BenchmarkReactorStep runs the exec module.
func reactorVariants() []struct {
	name  string
	mode  restoreMode
	fresh bool
} {
	return []struct {
		name  string
		mode  restoreMode
		fresh bool
	}{
		{"restore=cow", restoreCOW, false},
		{"restore=copy", restoreCopy, false},
		{"fresh-instance", restoreCOW, true},
	}
}

func TestBenchmarkReactorStep(t *testing.T) {
	t.Parallel()
	e := newEngine(t, EngineOptions{CacheDir: cacheDir})
	for _, v := range reactorVariants() {
		t.Run(v.name, func(t *testing.T) {
			t.Parallel()
			r := execReactor(t, e, v.mode, v.fresh)
			for range 3 {
				assert.Equal(t, "ran true a b\n", execStep(t, r))
			}
			r.mu.Lock()
			defer r.mu.Unlock()
			if v.fresh {
				assert.Empty(t, r.idle)
				return
			}
			require.Len(t, r.idle, 1, "one instance serves every step")
			assert.Equal(t, v.mode == restoreCOW, r.idle[0].mem.fd >= 0, "the memory is a memfd exactly in cow mode")
		})
	}
}

// BenchmarkReactorStep runs one exec step of the built-in exec module: on its
// instance restored after each step (copy-on-write memfd, or copying the
// snapshot back), or on a new instance per step (instantiate, _initialize,
// step), which is what restoring saves.
func BenchmarkReactorStep(b *testing.B) {
	e := newEngine(b, EngineOptions{CacheDir: cacheDir})
	for _, v := range reactorVariants() {
		b.Run(v.name, func(b *testing.B) {
			r := execReactor(b, e, v.mode, v.fresh)
			execStep(b, r) // instantiate outside the loop
			b.ReportAllocs()
			for b.Loop() {
				execStep(b, r)
			}
		})
	}
}
