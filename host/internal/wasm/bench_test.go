package wasm

import (
	"io"
	"log/slog"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"

	"github.com/mixbox/mixbox/host/internal/policy"
	"github.com/mixbox/mixbox/host/internal/step"
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
