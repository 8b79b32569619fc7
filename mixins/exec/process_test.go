package exec

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/mixbox/mixbox/wasmabi/guest"
)

// buildRuntime builds the native exec-runtime into a temp dir.
func buildRuntime(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "exec-runtime")
	cmd := exec.CommandContext(testCtx, "go", "build", "-o", bin, "./cmd/exec-runtime")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "go build ./cmd/exec-runtime: %s", out)
	return bin
}

// TestExecRuntime_Process runs the native binary against a temp bundle root
// the way mixbox --cnab-root does: MIXBOX_CNAB_ROOT and cwd ROOT/cnab/app.
func TestExecRuntime_Process(t *testing.T) {
	t.Parallel()
	if runtime.GOOS == "windows" || testing.Short() {
		t.Skip("needs sh and a go toolchain")
	}
	bin := buildRuntime(t)
	tests := []struct {
		name       string
		args       []string
		stdin      string
		wantCode   int
		wantStdout string
		wantStderr string
		wantOut    map[string]string
	}{
		{
			name: "outputs from a script",
			args: []string{"install"},
			stdin: `install:
  - exec:
      command: ./helpers.sh
      arguments: [install]
      outputs:
        - {name: user, jsonPath: '$.user'}
        - {name: team, regex: '"team": "(\w+)"'}
        - {name: file, path: config.txt}
        - {name: pwd-file, path: /cnab/app/pwd.txt}
`,
			wantStdout: `{"user": "sally", "team": "blue"}` + "\n",
			wantOut:    map[string]string{"user": "sally", "team": "blue", "file": "abc123", "pwd-file": "ok\n"},
		},
		{
			name:       "custom action with a relative dir and envs",
			args:       []string{"invoke", "--action", "status"},
			stdin:      "status:\n  - exec:\n      command: sh\n      dir: sub\n      arguments: [-c, 'echo $GREETING; ls']\n      envs: {GREETING: hello}\n",
			wantStdout: "hello\nin-sub.txt\n",
		},
		{
			name:       "failing script",
			args:       []string{"install"},
			stdin:      "install:\n  - exec:\n      command: ./helpers.sh\n      arguments: [fail]\n",
			wantCode:   1,
			wantStdout: "Hello World\n",
			wantStderr: "install failed on purpose\nError: error running command /cnab/app ./helpers.sh fail: exit status 1\nerror running command /cnab/app ./helpers.sh fail: exit status 1\n",
		},
		{
			name:       "missing command",
			args:       []string{"install"},
			stdin:      "install:\n  - exec:\n      command: no-such-command-xyz\n      arguments: [a]\n",
			wantCode:   1,
			wantStderr: "Error: couldn't run command /cnab/app no-such-command-xyz a: exec: \"no-such-command-xyz\": executable file not found in $PATH\ncouldn't run command /cnab/app no-such-command-xyz a: exec: \"no-such-command-xyz\": executable file not found in $PATH\n",
		},
		{
			name:       "local script without ./",
			args:       []string{"upgrade"},
			stdin:      "upgrade:\n  - exec:\n      command: helpers.sh\n      arguments: [upgrade]\n",
			wantStdout: "World 2.0\n",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			root := t.TempDir()
			app := filepath.Join(root, "cnab", "app")
			require.NoError(t, os.MkdirAll(filepath.Join(app, "sub"), 0o755))
			script := `#!/bin/sh
case "$1" in
  install) echo '{"user": "sally", "team": "blue"}'; echo ok > pwd.txt ;;
  upgrade) echo "World 2.0" ;;
  fail) echo "Hello World"; echo "install failed on purpose" >&2; exit 1 ;;
esac
`
			require.NoError(t, os.WriteFile(filepath.Join(app, "helpers.sh"), []byte(script), 0o755))
			require.NoError(t, os.WriteFile(filepath.Join(app, "config.txt"), []byte("abc123"), 0o644))
			require.NoError(t, os.WriteFile(filepath.Join(app, "sub", "in-sub.txt"), nil, 0o644))

			var stdout, stderr bytes.Buffer
			cmd := exec.CommandContext(testCtx, bin, tc.args...)
			cmd.Dir = app
			cmd.Env = []string{"PATH=" + os.Getenv("PATH"), guest.RootEnv + "=" + root}
			cmd.Stdin = strings.NewReader(tc.stdin)
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			err := cmd.Run()
			code := 0
			if ee, ok := err.(*exec.ExitError); ok {
				code = ee.ExitCode()
			} else {
				require.NoError(t, err)
			}
			require.Equal(t, tc.wantStderr, stderr.String(), "stderr")
			require.Equal(t, tc.wantStdout, stdout.String(), "stdout")
			require.Equal(t, tc.wantCode, code, "exit code")
			for name, want := range tc.wantOut {
				p := filepath.Join(app, "porter", "outputs", name)
				got, err := os.ReadFile(p)
				require.NoError(t, err, "output %s", name)
				require.Equal(t, want, string(got), "output %s", name)
				fi, err := os.Stat(p)
				require.NoError(t, err)
				require.Zero(t, fi.Mode().Perm()&0o007, "outputs are not world-accessible (0660 before umask)")
			}
		})
	}
}
