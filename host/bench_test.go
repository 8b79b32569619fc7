package host_test

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"regexp"
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

// benchResult is what one form of BenchmarkRun printed and left.
type benchResult struct {
	log     string
	outputs map[string]string
	files   map[string]string
}

// benchForms runs the compiled wasm form of BenchmarkRun's bundle, checks it,
// and returns it with the function that runs another form.
func benchForms(t *testing.T) (benchResult, func(t *testing.T, prefer host.Prefer, interpreter bool, wantForm string) benchResult) {
	t.Helper()
	stepLine := regexp.MustCompile(`(?m)^step (\d+)/(\d+) done: exec \((wasm, built-in|native, unsandboxed)\) in \S+$`)
	ranLine := regexp.MustCompile(`(?m)^ran 2 of 2 steps in \S+$`)
	runForm := func(t *testing.T, prefer host.Prefer, interpreter bool, wantForm string) benchResult {
		t.Helper()
		root := benchRoot(t)
		var out bytes.Buffer
		rep, err := newBenchRuntime(t, root, interpreter).Run(testCtx, benchRun(root, prefer, &out))
		require.NoError(t, err, out.String())
		require.Equal(t, 2, rep.Ran)
		log := out.String()
		forms := stepLine.FindAllStringSubmatch(log, -1)
		require.Len(t, forms, 2, log)
		for _, f := range forms {
			require.Equal(t, wantForm, f[3], log)
		}
		require.Regexp(t, ranLine, log)
		log = ranLine.ReplaceAllString(stepLine.ReplaceAllString(log, "step $1/$2 done"), "ran 2 of 2 steps")
		res := benchResult{log: log, outputs: map[string]string{}, files: map[string]string{}}
		for k, v := range rep.Outputs {
			res.outputs[k] = string(v)
		}
		dir := filepath.Join(root, "cnab", "app", "outputs")
		entries, err := os.ReadDir(dir)
		require.NoError(t, err)
		for _, e := range entries {
			if e.Name() == "porter-state" {
				continue // a tar.gz with the time in it
			}
			data, err := os.ReadFile(filepath.Join(dir, e.Name()))
			require.NoError(t, err)
			res.files[e.Name()] = string(data)
		}
		return res
	}
	wasm := runForm(t, host.PreferWasm, false, "wasm, built-in")
	require.Contains(t, wasm.log, "token=******* greeting=Hello, mixbox\n")
	require.NotContains(t, wasm.log, "not-a-real-secret")
	require.Equal(t, map[string]string{"greeting": "Hello, mixbox"}, wasm.outputs)
	require.Equal(t, map[string]string{"greeting": "Hello, mixbox"}, wasm.files)
	return wasm, runForm
}

// TestBenchmarkRun is the correctness twin of BenchmarkRun: the wasm and
// native forms print the same log, once the step lines naming the form and
// the timings are set aside, and leave the same outputs.
func TestBenchmarkRun(t *testing.T) {
	t.Parallel()
	wasm, runForm := benchForms(t)
	native := runForm(t, host.PreferNative, false, "native, unsandboxed")
	require.Equal(t, wasm, native)
}

// TestBenchmarkRun_interpreter: the interpreter gives what the compiler
// gives (BenchmarkRun's exec=wasm-interpreter).
func TestBenchmarkRun_interpreter(t *testing.T) {
	t.Parallel()
	wasm, runForm := benchForms(t)
	interp := runForm(t, host.PreferWasm, true, "wasm, built-in")
	require.Equal(t, wasm, interp)
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
