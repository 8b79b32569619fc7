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

// Builds of src/cmixin.c: the command module and the reactor (abi-v1 §1a).
var cBuilds = []struct {
	name, committed string
	flags           []string
}{
	{name: "command", committed: "src/cmixin.wasm"},
	{name: "reactor", committed: "src/cmixin-reactor.wasm", flags: []string{"-mexec-model=reactor", "-DMIXBOX_REACTOR"}},
}

// buildC compiles cmixin.c exactly as the Makefile does, as a command and as
// a reactor, into a temporary directory, checks that the committed modules
// are up to date, and returns the built ones by kind.
func buildC(t *testing.T) map[string]string {
	t.Helper()
	clang, err := exec.LookPath("clang")
	if err != nil {
		t.Skip("clang is not installed: install clang, lld, wasi-libc and libclang-rt-14-dev-wasm32 (scripts/deps.sh) to run the C mixin example")
	}
	if _, err := os.Stat("/usr/include/wasm32-wasi/stdio.h"); err != nil {
		t.Skip("wasi-libc is not installed in /usr (scripts/deps.sh installs it)")
	}
	out := map[string]string{}
	for _, b := range cBuilds {
		file := filepath.Join(t.TempDir(), filepath.Base(b.committed))
		args := append([]string{"--target=wasm32-wasi", "--sysroot=/usr", "-O2", "-Wall", "-Wextra", "-Werror",
			"-Wl,--strip-debug"}, b.flags...)
		cmd := exec.Command(clang, append(args, "-o", file, "src/cmixin.c")...)
		if msg, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("build cmixin.c as a %s: %v\n%s", b.name, err, msg)
		}
		got, err := os.ReadFile(file)
		require.NoError(t, err)
		committed, err := os.ReadFile(b.committed)
		require.NoError(t, err)
		if !bytes.Equal(got, committed) {
			t.Errorf("%s is not the build of src/cmixin.c; run: make -C examples/cmixin -B, and commit it", b.committed)
		}
		out[b.name] = file
	}
	return out
}

// TestCases runs the committed modules, command and reactor, against
// testdata/cases.yaml in the mixbox sandbox (no clang needed): `mixbox mixin
// test` works for any language.
func TestCases(t *testing.T) {
	t.Parallel()
	suite, err := mixintest.LoadCases("testdata/cases.yaml")
	require.NoError(t, err)
	for _, b := range cBuilds {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			bin, err := os.ReadFile(b.committed)
			require.NoError(t, err)
			tester, err := mixintest.New(testCtx, bin, mixintest.Options{Name: "cmixin", Engine: mixintest.Both})
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
		})
	}
}

// threeSteps is the bundle's porter.yaml with its install step three
// times, each saying hello to someone else.
func threeSteps(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("bundle/porter.yaml")
	require.NoError(t, err)
	m := string(b)
	step := "  - cmixin:\n      description: \"Say hello from C\"\n      message: \"Hello, ${ bundle.parameters.who }\"\n      outputs:\n        - name: greeting\n"
	require.Contains(t, m, step, "bundle/porter.yaml changed: update threeSteps")
	var steps strings.Builder
	for _, who := range []string{"one", "two", "three"} {
		steps.WriteString(strings.ReplaceAll(step, "${ bundle.parameters.who }", who))
	}
	return strings.Replace(m, step, steps.String(), 1)
}

// TestRun builds the C mixin, installs it in a bundle laid out under a
// temporary CNAB root, and runs the bundle's install with mixbox.
func TestRun(t *testing.T) {
	if testing.Short() {
		t.Skip("builds mixbox and the C mixin")
	}
	t.Parallel()
	builds := buildC(t)
	mixbox := exampletest.Mixbox(t)
	policy, err := filepath.Abs("policy.yaml")
	require.NoError(t, err)

	tests := []struct {
		name         string
		kind         string // of cBuilds; "" runs both
		manifest     string // replaces bundle/porter.yaml
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
		{
			name: "three steps, each reading its own step", kind: "reactor", manifest: threeSteps(t),
			args:         []string{"--policy", policy},
			wantGreeting: "Hello, three",
			wantStdout: []string{"cmixin: echo said: Hello, one\n", "cmixin: echo said: Hello, two\n", "cmixin: echo said: Hello, three\n",
				"step 3/3 done: cmixin (wasm, installed)"},
		},
	}
	for _, tc := range tests {
		for _, b := range cBuilds {
			if tc.kind != "" && tc.kind != b.name {
				continue
			}
			t.Run(b.name+"/"+tc.name, func(t *testing.T) {
				t.Parallel()
				root := t.TempDir()
				app := filepath.Join(root, "cnab", "app")
				exampletest.CopyDir(t, "bundle", app)
				if tc.manifest != "" {
					require.NoError(t, os.WriteFile(filepath.Join(app, "porter.yaml"), []byte(tc.manifest), 0o644))
				}
				exampletest.Install(t, root, "cmixin", builds[b.name])

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
}
