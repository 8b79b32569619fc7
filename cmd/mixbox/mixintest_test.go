package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/mixbox/mixbox/internal/testutil"
	"github.com/mixbox/mixbox/mixins/exec/builtin"
)

// execMixinWasm writes the built-in exec mixin, the module bin/mixbox
// embeds, to a file.
func execMixinWasm(t *testing.T) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "exec-runtime.wasm")
	require.NoError(t, os.WriteFile(p, builtin.Wasm(), 0o644))
	return p
}

// runMixinCLI runs `mixbox ARGS...` in process, as run does, with the
// package's compiled-module cache.
func runMixinCLI(t *testing.T, env []string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	env = append([]string{"MIXBOX_CACHE_DIR=" + cacheDir}, env...)
	code = run(testCtx, append([]string{"mixbox"}, args...), env, &out, &errb)
	return code, out.String(), errb.String()
}

// requireHas checks that got contains want, or that got is empty when want
// is: a row with nothing to find on a stream wants nothing printed there.
func requireHas(t *testing.T, got, want string) {
	t.Helper()
	if want == "" {
		require.Empty(t, got)
		return
	}
	require.Contains(t, got, want)
}

func TestMixinTest(t *testing.T) {
	t.Parallel()
	wasm := execMixinWasm(t)
	testdata := filepath.Join(testutil.ModuleRoot(t), "host/mixintest/testdata")
	dir := t.TempDir()
	notWasm := filepath.Join(dir, "bad.wasm")
	require.NoError(t, os.WriteFile(notWasm, []byte("not wasm"), 0o644))
	// A cases file naming its mixin relative to itself.
	require.NoError(t, os.Mkdir(filepath.Join(dir, "testdata"), 0o755))
	b, err := os.ReadFile(wasm)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "exec-runtime.wasm"), b, 0o644))
	pass, err := os.ReadFile(filepath.Join(testdata, "pass.yaml"))
	require.NoError(t, err)
	own := filepath.Join(dir, "testdata", "cases.yaml")
	require.NoError(t, os.WriteFile(own, append([]byte("mixin: ../exec-runtime.wasm\n"), pass...), 0o644))

	tests := []struct {
		name       string
		args       []string
		wantCode   int
		wantStdout string
		wantStderr string
	}{
		{"all cases pass", []string{wasm, "--cases", filepath.Join(testdata, "pass.yaml")}, 0, "6 passed, 0 failed\n", ""},
		{"the mixin of the cases file", []string{"--cases", own, "--run", "policy"}, 0, "2 passed, 0 failed\n", ""},
		{"both engines", []string{wasm, "--cases", filepath.Join(testdata, "pass.yaml"), "--engine", "both", "--run", "helm upgrade"}, 0, "1 passed, 0 failed\n", ""},
		{"a table that does not match", []string{wasm, "--cases", filepath.Join(testdata, "mismatch.yaml")}, 1, "    exec call 1: want helm [upgrade --install mysql bitnami/mysql]\n                  got helm [upgrade --install mysql-2 bitnami/mysql]\n0 passed, 1 failed\n", ""},
		{"strict failures", []string{wasm, "--cases", filepath.Join(testdata, "strict.yaml")}, 1, "1 passed, 2 failed\n", ""},
		{"a bad cases file", []string{wasm, "--cases", filepath.Join(testdata, "bad.yaml")}, 2, "", `bad.yaml:6: case "fine": unknown key "arguments"`},
		{"a module the host refuses", []string{notWasm, "--cases", filepath.Join(testdata, "pass.yaml")}, 3, "", "error: load mixin: " + notWasm + ": incompatible mixin: mixin bad is not a WebAssembly module"},
		{"no cases flag", []string{wasm}, 2, "", "needs --cases FILE"},
		{"no mixin", []string{"--cases", filepath.Join(testdata, "pass.yaml")}, 2, "", "no mixin to test"},
		{"a bad engine", []string{wasm, "--cases", own, "--engine", "jit"}, 2, "", "--engine"},
		{"a bad --run", []string{wasm, "--cases", own, "--run", "("}, 2, "", "--run"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			code, stdout, stderr := runMixinCLI(t, nil, append([]string{"mixin", "test"}, tc.args...)...)
			require.Equal(t, tc.wantCode, code, "stdout:\n%s\nstderr:\n%s", stdout, stderr)
			requireHas(t, stdout, tc.wantStdout)
			requireHas(t, stderr, tc.wantStderr)
		})
	}

	t.Run("--update fills in a new case", func(t *testing.T) {
		t.Parallel()
		file := filepath.Join(t.TempDir(), "cases.yaml")
		require.NoError(t, os.WriteFile(file, []byte(`cases:
  - name: new
    action: install
    input: |
      install:
        - exec:
            command: helm
            arguments: [list]
`), 0o644))
		code, stdout, stderr := runMixinCLI(t, nil, "mixin", "test", wasm, "--cases", file, "--update")
		require.Equal(t, 0, code, "%s\n%s", stdout, stderr)
		got, err := os.ReadFile(file)
		require.NoError(t, err)
		require.Contains(t, string(got), "    exec:\n      - command: helm\n        args: [list]\n    want:\n      exit_code: 0\n      outputs: {}\n")
		code, stdout, _ = runMixinCLI(t, nil, "mixin", "test", wasm, "--cases", file)
		require.Equal(t, 0, code)
		require.Contains(t, stdout, "PASS new (")
	})
}

// TestMixinNew scaffolds a mixin into an empty directory, builds it to wasm
// and natively, and runs its cases with `mixbox mixin test` and its own
// `go test`.
func TestMixinNew(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("builds a new Go module")
	}
	root := testutil.ModuleRoot(t)
	dir := filepath.Join(t.TempDir(), "hello")
	env := []string{"MIXBOX_SOURCE=" + root}
	code, stdout, stderr := runMixinCLI(t, env, "mixin", "new", "hello", "--dir", dir)
	require.Equal(t, 0, code, "%s\n%s", stdout, stderr)
	require.Contains(t, stdout, "created "+filepath.Join(dir, "go.mod"))
	gomod, err := os.ReadFile(filepath.Join(dir, "go.mod"))
	require.NoError(t, err)
	require.Contains(t, string(gomod), "replace github.com/mixbox/mixbox => "+root)

	goCmd := func(env []string, args ...string) {
		t.Helper()
		cmd := exec.CommandContext(testCtx, "go", args...)
		cmd.Dir = dir
		cmd.Env = append(append(os.Environ(), "GOFLAGS=-mod=mod", "GOPROXY=off", "CGO_ENABLED=0"), env...)
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "go %v:\n%s", args, out)
	}
	goCmd([]string{"GOOS=wasip1", "GOARCH=wasm"}, "build", "-o", "hello-runtime.wasm", ".")
	goCmd(nil, "build", "-o", "hello-runtime", ".")

	code, stdout, stderr = runMixinCLI(t, nil, "mixin", "test", "--cases", filepath.Join(dir, "testdata", "cases.yaml"))
	require.Equal(t, 0, code, "%s\n%s", stdout, stderr)
	require.Contains(t, stdout, "3 passed, 0 failed\n")

	// The native build is Porter's: it runs the real echo.
	native := exec.CommandContext(testCtx, filepath.Join(dir, "hello-runtime"), "install")
	native.Dir = dir
	native.Stdin = bytes.NewReader([]byte("install:\n  - hello:\n      name: native\n"))
	out, err := native.CombinedOutput()
	require.NoError(t, err, "%s", out)
	require.Contains(t, string(out), "Hello native")

	goCmd(nil, "test", "./...")

	code, _, stderr = runMixinCLI(t, env, "mixin", "new", "hello", "--dir", dir)
	require.Equal(t, 2, code)
	require.Contains(t, stderr, "file exists")
	code, _, stderr = runMixinCLI(t, env, "mixin", "new", "Bad_Name")
	require.Equal(t, 2, code)
	require.Contains(t, stderr, "invalid mixin name")
}
