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

// TestMixinNew is a mixin author's first hour, with the built mixbox: in an
// empty directory, `mixbox mixin new`, then `make test` (its Go test and
// `mixbox mixin test`, both under the default policy), `make install` into
// a bundle's mixins directory, and `mixbox run` of a bundle that uses it.
// The scaffold declares the commands it runs (mixin.yaml, packed by its
// Makefile), so the first run is not denied.
func TestMixinNew(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("builds mixbox and a new Go module")
	}
	root := testutil.ModuleRoot(t)
	mixbox := builds.Binary(t, "./cmd/mixbox", "mixbox")
	work := t.TempDir()
	dir := filepath.Join(work, "mymixin")
	bundle := t.TempDir()
	app := filepath.Join(bundle, "cnab", "app")
	require.NoError(t, os.MkdirAll(app, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(app, "porter.yaml"), []byte(`schemaVersion: 1.0.1
name: hi
version: 0.1.0
registry: localhost:5000
mixins:
  - mymixin
install:
  - mymixin:
      description: Say hi
      name: you
      outputs:
        - name: greeting
uninstall:
  - mymixin:
      name: bye
`), 0o644))
	env := append(os.Environ(), "MIXBOX_SOURCE="+root, "MIXBOX_CACHE_DIR="+t.TempDir(),
		"GOFLAGS=-mod=mod", "GOPROXY=off", "CGO_ENABLED=0")
	sh := func(dir string, name string, args ...string) string {
		t.Helper()
		cmd := exec.CommandContext(testCtx, name, args...)
		cmd.Dir = dir
		cmd.Env = env
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "%s %v:\n%s", name, args, out)
		return string(out)
	}

	out := sh(work, mixbox, "mixin", "new", "mymixin")
	require.Contains(t, out, "created "+filepath.Join("mymixin", "mixin.yaml"))
	require.Contains(t, out, "go.mod builds against the mixbox checkout "+root)
	makefile, err := os.ReadFile(filepath.Join(dir, "Makefile"))
	require.NoError(t, err)
	require.Contains(t, string(makefile), "MIXBOX ?= "+mixbox, "the Makefile runs the mixbox that made it")

	out = sh(dir, "make", "test")
	require.Contains(t, out, "mixin pack mymixin-runtime.wasm --meta mixin.yaml")
	require.Contains(t, out, "3 passed, 0 failed")

	out = sh(dir, "make", "install", "MIXINS_DIR="+filepath.Join(app, "mixins"))
	for _, f := range []string{"mymixin-runtime.wasm", "mymixin-runtime"} {
		require.FileExists(t, filepath.Join(app, "mixins", "mymixin", "runtimes", f), out)
	}

	out = sh(work, mixbox, "run", "--cnab-root", bundle, "--action", "install")
	require.Contains(t, out, "Hello you\n")
	require.Contains(t, out, "step 1/1 done: mymixin (wasm, installed)")
	out = sh(work, mixbox, "mixin", "inspect", filepath.Join(app, "mixins", "mymixin", "runtimes", "mymixin-runtime.wasm"))
	require.Contains(t, out, "capabilities: exec [echo]")
	require.Contains(t, out, "\nkind:     reactor\n", "the scaffold builds a reactor")

	// The native build is Porter's: it runs the real echo.
	out = sh(work, mixbox, "run", "--cnab-root", bundle, "--action", "uninstall", "--prefer", "native")
	require.Contains(t, out, "Hello bye\n")
	require.Contains(t, out, "step 1/1 done: mymixin (native, unsandboxed)")

	code, _, stderr := runMixinCLI(t, []string{"MIXBOX_SOURCE=" + root}, "mixin", "new", "mymixin", "--dir", dir)
	require.Equal(t, 2, code)
	require.Contains(t, stderr, "file exists")
	code, _, stderr = runMixinCLI(t, nil, "mixin", "new", "Bad_Name")
	require.Equal(t, 2, code)
	require.Contains(t, stderr, "invalid mixin name")
}
