package cmixin_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mixbox/mixbox/examples/internal/exampletest"
	"github.com/mixbox/mixbox/host/mixintest"
)

type ctxKey struct{}

// testCtx is the context of every call that runs a guest.
var testCtx = context.WithValue(context.Background(), ctxKey{}, "cmixin")

// buildC compiles cmixin.c exactly as the Makefile does, into a temporary
// directory, and checks that the committed cmixin.wasm is up to date.
func buildC(t *testing.T) string {
	t.Helper()
	clang, err := exec.LookPath("clang")
	if err != nil {
		t.Skip("clang is not installed: install clang, lld, wasi-libc and libclang-rt-14-dev-wasm32 (scripts/deps.sh) to run the C mixin example")
	}
	if _, err := os.Stat("/usr/include/wasm32-wasi/stdio.h"); err != nil {
		t.Skip("wasi-libc is not installed in /usr (scripts/deps.sh installs it)")
	}
	out := filepath.Join(t.TempDir(), "cmixin.wasm")
	cmd := exec.Command(clang, "--target=wasm32-wasi", "--sysroot=/usr", "-O2", "-Wall", "-Wextra", "-Werror",
		"-Wl,--strip-debug", "-o", out, "src/cmixin.c")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build cmixin.c: %v\n%s", err, b)
	}
	got, err := os.ReadFile(out)
	require.NoError(t, err)
	committed, err := os.ReadFile("src/cmixin.wasm")
	require.NoError(t, err)
	if !bytes.Equal(got, committed) {
		t.Errorf("src/cmixin.wasm is not the build of src/cmixin.c; run: make -C examples/cmixin -B, and commit it")
	}
	return out
}

// TestCases runs the committed cmixin.wasm against testdata/cases.yaml in
// the mixbox sandbox (no clang needed): `mixbox mixin test` works for any
// language.
func TestCases(t *testing.T) {
	t.Parallel()
	bin, err := os.ReadFile("src/cmixin.wasm")
	require.NoError(t, err)
	suite, err := mixintest.LoadCases("testdata/cases.yaml")
	require.NoError(t, err)
	tester, err := mixintest.New(testCtx, bin, mixintest.Options{Name: "cmixin"})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, tester.Close(testCtx)) })
	for _, c := range suite.Cases {
		t.Run(c.Name, func(t *testing.T) {
			res, err := tester.Run(testCtx, c)
			require.NoError(t, err)
			require.True(t, res.Passed(), "%s:%d: case failed:\n%s\nstdout:\n%s\nstderr:\n%s",
				suite.Path, c.Line, strings.Join(res.Failures, "\n"), res.Stdout, res.Stderr)
		})
	}
}

// TestRun builds the C mixin, installs it in a bundle laid out under a
// temporary CNAB root, and runs the bundle's install with mixbox.
func TestRun(t *testing.T) {
	if testing.Short() {
		t.Skip("builds mixbox and the C mixin")
	}
	t.Parallel()
	wasmFile := buildC(t)
	mixbox := exampletest.Mixbox(t)
	policy, err := filepath.Abs("policy.yaml")
	require.NoError(t, err)

	tests := []struct {
		name         string
		args         []string
		wantExit     int
		wantGreeting string
		wantStdout   []string
		wantStderr   []string
	}{
		{
			name:         "the policy grants echo",
			args:         []string{"--policy", policy, "--param", "who=C"},
			wantGreeting: "Hello, C",
			wantStdout:   []string{"Say hello from C", "cmixin: echo said: Hello, C", "step 1/1 done: cmixin (wasm, installed)"},
		},
		{
			name:       "the default policy grants a mixin without metadata nothing",
			wantExit:   1,
			wantStderr: []string{`exec "echo" denied for mixin cmixin`, "grant echo to cmixin"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			root := t.TempDir()
			exampletest.CopyDir(t, "bundle", filepath.Join(root, "cnab", "app"))
			exampletest.Install(t, root, "cmixin", wasmFile)

			args := append([]string{"run", "--cnab-root", root, "--action", "install"}, tc.args...)
			cmd := exec.Command(mixbox, args...)
			cmd.Env = exampletest.Env()
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			err := cmd.Run()
			var ee *exec.ExitError
			if err != nil && !errors.As(err, &ee) {
				require.NoError(t, err)
			}
			require.Equal(t, tc.wantExit, cmd.ProcessState.ExitCode(), "stdout:\n%s\nstderr:\n%s", stdout.String(), stderr.String())
			for _, s := range tc.wantStdout {
				assert.Contains(t, stdout.String(), s)
			}
			for _, s := range tc.wantStderr {
				assert.Contains(t, stderr.String(), s)
			}
			if tc.wantGreeting != "" {
				got, err := os.ReadFile(filepath.Join(root, "cnab", "app", "outputs", "greeting"))
				require.NoError(t, err)
				assert.Equal(t, tc.wantGreeting, string(got))
			}
		})
	}
}
