package native

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/mixbox/mixbox/host/internal/step"
)

// fakeRuntime writes a shell script standing in for a NAME-runtime binary.
func fakeRuntime(t *testing.T, body string) (bin, dir string) {
	t.Helper()
	dir = t.TempDir()
	bin = filepath.Join(dir, "probe-runtime")
	require.NoError(t, os.WriteFile(bin, []byte("#!/bin/sh\n"+body+"\n"), 0o755))
	return bin, dir
}

func TestRunner_Run(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		script      string
		args        []string
		wantStdout  string
		wantOutputs map[string][]byte
		wantExit    int
		wantErr     error
	}{
		{
			name:        "argv, stdin, cwd and outputs",
			script:      `echo "args=$*"; cat; pwd; printf v1 > "$OUT/one"; printf 'a\nb' > "$OUT/two"`,
			args:        []string{"install"},
			wantStdout:  "args=install\ninstall:\n  - probe: {}\n" + "CWD\n",
			wantOutputs: map[string][]byte{"one": []byte("v1"), "two": []byte("a\nb")},
		},
		{
			name:       "custom action",
			script:     `echo "$@"`,
			args:       []string{"invoke", "--action", "status"},
			wantStdout: "invoke --action status\n",
		},
		{
			name:        "outputs survive a failure",
			script:      `printf kept > "$OUT/partial"; echo boom >&2; exit 7`,
			args:        []string{"install"},
			wantOutputs: map[string][]byte{"partial": []byte("kept")},
			wantExit:    7,
			wantErr:     ErrFailed,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			bin, dir := fakeRuntime(t, tc.script)
			out := filepath.Join(dir, "porter", "outputs")
			r := New(Options{Name: "probe", Path: bin, Dir: dir, OutputsDir: out, Env: []string{"OUT=" + out, "PATH=/usr/bin:/bin"}})
			var stdout, stderr bytes.Buffer
			res, err := r.Run(t.Context(), step.Input{Args: tc.args, Stdin: []byte("install:\n  - probe: {}\n")},
				step.IO{Stdout: &stdout, Stderr: &stderr})
			if tc.wantErr != nil {
				require.ErrorIs(t, err, tc.wantErr)
				var exitErr *exec.ExitError
				require.ErrorAs(t, err, &exitErr)
				require.Equal(t, "mixin failed: probe-runtime install exited with code 7", err.Error(), "the error does not repeat stderr")
				require.Equal(t, "boom\n", stderr.String(), "stderr was printed as it came")
			} else {
				require.NoError(t, err)
			}
			require.Equal(t, strings.ReplaceAll(tc.wantStdout, "CWD", dir), stdout.String())
			if tc.wantOutputs == nil {
				tc.wantOutputs = map[string][]byte{}
			}
			require.Equal(t, tc.wantOutputs, res.Outputs)
			require.Equal(t, tc.wantExit, res.ExitCode)
			left, err := os.ReadDir(out)
			require.NoError(t, err)
			require.Empty(t, left, "output files are deleted once read")
		})
	}
}

func TestRunner_Run_cancelKillsGroup(t *testing.T) {
	t.Parallel()
	// The runtime starts a grandchild that ignores nothing; both must be gone
	// after cancellation, and the output written before survives.
	bin, dir := fakeRuntime(t, `printf early > "$OUT/early"; sleep 30 & echo $! > "$PIDFILE"; wait`)
	out := filepath.Join(dir, "porter", "outputs")
	pidFile := filepath.Join(dir, "pid")
	r := New(Options{Name: "probe", Path: bin, Dir: dir, OutputsDir: out,
		Env: []string{"OUT=" + out, "PIDFILE=" + pidFile, "PATH=/usr/bin:/bin"}, WaitDelay: 200 * time.Millisecond})
	ctx, cancel := context.WithCancel(t.Context())
	go func() {
		for {
			if _, err := os.Stat(pidFile); err == nil {
				cancel()
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
	}()
	var sink bytes.Buffer
	res, err := r.Run(ctx, step.Input{Args: []string{"install"}}, step.IO{Stdout: &sink, Stderr: &sink})
	require.ErrorIs(t, err, context.Canceled)
	require.Equal(t, map[string][]byte{"early": []byte("early")}, res.Outputs)

	pid, err := os.ReadFile(pidFile)
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		_, err := os.Stat("/proc/" + strings.TrimSpace(string(pid)))
		return os.IsNotExist(err)
	}, 5*time.Second, 20*time.Millisecond, "the grandchild must die with the group")
}
