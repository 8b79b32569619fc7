package host_test

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/mixbox/mixbox/host"
	"github.com/mixbox/mixbox/internal/testutil"
)

// benchRoot lays out examples/hello under a root, with the native exec
// runtime installed too, so one bundle runs either form.
func benchRoot(tb testing.TB) string {
	tb.Helper()
	root := tb.TempDir()
	app := filepath.Join(root, "cnab", "app")
	testutil.CopyTree(tb, filepath.Join(testutil.ModuleRoot(tb), "examples", "hello", "bundle"), app)
	native := testutil.NewBuilds(tb.TempDir()).Binary(tb, "./mixins/exec/cmd/exec-runtime", "exec-runtime")
	dst := filepath.Join(app, "mixins", "exec", "runtimes", "exec-runtime")
	require.NoError(tb, os.MkdirAll(filepath.Dir(dst), 0o755))
	data, err := os.ReadFile(native)
	require.NoError(tb, err)
	require.NoError(tb, os.WriteFile(dst, data, 0o755))
	return root
}

func newBenchRuntime(tb testing.TB, root string, interpreter bool) *host.Runtime {
	tb.Helper()
	rt := host.New(host.Options{
		Interpreter: interpreter,
		CacheDir:    cacheDir, // filled by TestMain, as `mixbox precompile` leaves it in an image
		BuiltIns:    builtins(),
	})
	tb.Cleanup(func() { _ = rt.Close(testCtx) })
	return rt
}

func benchRun(root string, prefer host.Prefer, stdout io.Writer) host.RunOptions {
	return host.RunOptions{
		Root:   root,
		Action: "install",
		Prefer: prefer,
		Env:    []string{"PATH=/usr/local/bin:/usr/bin:/bin", "HOME=" + root},
		Stdout: stdout,
		Stderr: io.Discard,
	}
}

// TestBenchmarkRun is the correctness twin of BenchmarkRun: both forms of
// the exec mixin give the same log lines and outputs.
func TestBenchmarkRun(t *testing.T) {
	t.Parallel()
	root := benchRoot(t)
	for _, prefer := range []host.Prefer{host.PreferWasm, host.PreferNative} {
		var out bytes.Buffer
		rep, err := newBenchRuntime(t, root, false).Run(testCtx, benchRun(root, prefer, &out))
		require.NoError(t, err, out.String())
		require.Equal(t, 2, rep.Ran)
		require.Equal(t, "Hello, mixbox", string(rep.Outputs["greeting"]))
		require.Contains(t, out.String(), "token=******* greeting=Hello, mixbox\n")
	}
}

// BenchmarkRun runs the two-step hello install with the exec mixin as wasm
// (compiled once, a fresh instance per step; compiler or interpreter) and as
// a native process.
func BenchmarkRun(b *testing.B) {
	root := benchRoot(b)
	for _, bc := range []struct {
		name        string
		prefer      host.Prefer
		interpreter bool
	}{
		{"exec=wasm", host.PreferWasm, false},
		{"exec=wasm-interpreter", host.PreferWasm, true},
		{"exec=native", host.PreferNative, false},
	} {
		b.Run(bc.name, func(b *testing.B) {
			rt := newBenchRuntime(b, root, bc.interpreter)
			opts := benchRun(root, bc.prefer, io.Discard)
			_, err := rt.Run(testCtx, opts) // compile outside the loop
			require.NoError(b, err)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := rt.Run(testCtx, opts); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
