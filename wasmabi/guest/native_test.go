//go:build unix

package guest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/mixbox/mixbox/wasmabi"
)

// newTestHost returns a native host over a temp root holding /cnab/app,
// with a script /cnab/app/run.sh and a directory /cnab/app/sub.
func newTestHost(t *testing.T) (*nativeHost, string, *bytes.Buffer) {
	t.Helper()
	root := t.TempDir()
	app := filepath.Join(root, "cnab", "app")
	require.NoError(t, os.MkdirAll(filepath.Join(app, "sub"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(app, "run.sh"), []byte("#!/bin/sh\necho \"run $*\"; echo err >&2; exit 3\n"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(app, "sub", "here.sh"), []byte("#!/bin/sh\npwd\n"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(app, "noexec.sh"), []byte("#!/bin/sh\n"), 0o644))
	var console bytes.Buffer
	h := NewNative(NativeOptions{
		Root:   root,
		Env:    []string{"PATH=" + os.Getenv("PATH"), "KEEP=1", "OVER=old"},
		Stdout: &console,
		Stderr: &console,
	}).(*nativeHost)
	return h, root, &console
}

func TestNative_Exec(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		req         wasmabi.ExecRequest
		want        wasmabi.ExecResult
		wantConsole string
		wantErrIs   error
		wantErr     string
	}{
		{
			name:        "bare name on PATH, streamed",
			req:         wasmabi.ExecRequest{Command: "echo", Args: []string{"hi", "there"}},
			want:        wasmabi.ExecResult{Stdout: "hi there\n"},
			wantConsole: "hi there\n",
		},
		{
			name: "env merged, request wins",
			req:  wasmabi.ExecRequest{Command: "sh", Args: []string{"-c", "echo $KEEP $OVER $NEW"}, Env: map[string]string{"OVER": "new", "NEW": "x"}, Stream: boolPtr(false)},
			want: wasmabi.ExecResult{Stdout: "1 new x\n"},
		},
		{
			name: "stdin",
			req:  wasmabi.ExecRequest{Command: "cat", Stdin: "piped", Stream: boolPtr(false)},
			want: wasmabi.ExecResult{Stdout: "piped"},
		},
		{
			name: "relative script, exit code kept",
			req:  wasmabi.ExecRequest{Command: "./run.sh", Args: []string{"a"}, Stream: boolPtr(false)},
			want: wasmabi.ExecResult{ExitCode: 3, Stdout: "run a\n", Stderr: "err\n"},
		},
		{
			name: "absolute script mapped under the root",
			req:  wasmabi.ExecRequest{Command: "/cnab/app/run.sh", Stream: boolPtr(false)},
			want: wasmabi.ExecResult{ExitCode: 3, Stdout: "run \n", Stderr: "err\n"},
		},
		{
			name: "relative command from the request dir",
			req:  wasmabi.ExecRequest{Command: "./here.sh", Dir: "/cnab/app/sub", Stream: boolPtr(false)},
			want: wasmabi.ExecResult{Stdout: "<root>/cnab/app/sub\n"},
		},
		{
			name:    "bare name not found",
			req:     wasmabi.ExecRequest{Command: "no-such-command-xyz"},
			wantErr: `exec: "no-such-command-xyz": executable file not found in $PATH`, wantErrIs: wasmabi.ENotFound,
		},
		{
			name:    "script not found",
			req:     wasmabi.ExecRequest{Command: "./missing.sh"},
			wantErr: "fork/exec ./missing.sh: no such file or directory", wantErrIs: wasmabi.ENotFound,
		},
		{
			name: "found but not executable",
			req:  wasmabi.ExecRequest{Command: "./noexec.sh"},
			want: wasmabi.ExecResult{ExitCode: -1, Stderr: "fork/exec ./noexec.sh: permission denied"},
		},
		{
			name: "timeout kills the process group",
			req:  wasmabi.ExecRequest{Command: "sh", Args: []string{"-c", "sleep 5"}, TimeoutMS: 100, Stream: boolPtr(false)},
			want: wasmabi.ExecResult{ExitCode: 128 + 15, TimedOut: true, Signal: "terminated"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h, root, console := newTestHost(t)
			got, err := h.Exec(testCtx, tc.req)
			if tc.wantErrIs != nil {
				require.ErrorIs(t, err, tc.wantErrIs)
				require.EqualError(t, err, tc.wantErr)
				var ee *ExecError
				require.True(t, errors.As(err, &ee))
				return
			}
			require.NoError(t, err)
			got.DurationMS = 0
			resolvedRoot, _ := filepath.EvalSymlinks(root)
			want := tc.want
			want.Stdout = replaceRoot(want.Stdout, root, resolvedRoot, got.Stdout)
			require.Equal(t, want, got)
			require.Equal(t, tc.wantConsole, console.String())
		})
	}
}

// replaceRoot fills "<root>" in want with the temp root as the command saw it.
func replaceRoot(want, root, resolved, got string) string {
	if !bytes.Contains([]byte(want), []byte("<root>")) {
		return want
	}
	for _, r := range []string{root, resolved} {
		w := string(bytes.ReplaceAll([]byte(want), []byte("<root>"), []byte(r)))
		if w == got {
			return w
		}
	}
	return string(bytes.ReplaceAll([]byte(want), []byte("<root>"), []byte(root)))
}

func TestNative_ExecCancel(t *testing.T) {
	t.Parallel()
	h, _, _ := newTestHost(t)
	h.o.WaitDelay = time.Second
	ctx, cancel := contextWithTimeout(100 * time.Millisecond)
	defer cancel()
	start := time.Now()
	got, err := h.Exec(ctx, wasmabi.ExecRequest{Command: "sh", Args: []string{"-c", "sleep 5 & wait"}, Stream: boolPtr(false)})
	require.NoError(t, err)
	require.NotZero(t, got.ExitCode)
	require.Less(t, time.Since(start), 3*time.Second, "cancel should SIGTERM the process group")
}

// TestNative_ExecCancel_group: the cancelled command's whole group is
// killed once the grace period is over, a child that ignores SIGTERM too.
func TestNative_ExecCancel_group(t *testing.T) {
	t.Parallel()
	h, _, _ := newTestHost(t)
	h.o.WaitDelay = 300 * time.Millisecond
	ctx, cancel := contextWithTimeout(200 * time.Millisecond)
	defer cancel()
	got, err := h.Exec(ctx, wasmabi.ExecRequest{Command: "sh", Args: []string{"-c", `trap "" TERM; sleep 30 & echo $!; wait`}, Stream: boolPtr(false)})
	require.NoError(t, err)
	require.Equal(t, "killed", got.Signal)
	require.True(t, got.TimedOut)
	pid, err := strconv.Atoi(strings.TrimSpace(got.Stdout))
	require.NoError(t, err, "the child's pid: %q", got.Stdout)
	require.Eventually(t, func() bool {
		stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		return err != nil || strings.Contains(string(stat), ") Z ")
	}, 5*time.Second, 10*time.Millisecond, "the child that ignored SIGTERM was killed with its group")
}

func TestNative_SetOutput(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, output, value string
		wantErrIs           error
	}{
		{"plain", "greeting", "hello", nil},
		{"empty value", "empty", "", nil},
		{"path separator", "../evil", "x", wasmabi.EInval},
		{"empty name", "", "x", wasmabi.EInval},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h, root, _ := newTestHost(t)
			err := h.SetOutput(tc.output, []byte(tc.value))
			if tc.wantErrIs != nil {
				require.ErrorIs(t, err, tc.wantErrIs)
				return
			}
			require.NoError(t, err)
			p := filepath.Join(root, "cnab", "app", "porter", "outputs", tc.output)
			got, err := os.ReadFile(p)
			require.NoError(t, err)
			require.Equal(t, tc.value, string(got))
			fi, err := os.Stat(p)
			require.NoError(t, err)
			require.Zero(t, fi.Mode().Perm()&0o007)
		})
	}
}

func TestNative_Files(t *testing.T) {
	t.Parallel()
	h, _, _ := newTestHost(t)
	b, err := h.ReadFile("run.sh")
	require.NoError(t, err)
	require.Contains(t, string(b), "echo")
	b2, err := h.ReadFile("/cnab/app/run.sh")
	require.NoError(t, err)
	require.Equal(t, b, b2)

	_, err = h.ReadFile("missing.txt")
	require.ErrorIs(t, err, fs.ErrNotExist)
	require.EqualError(t, err, "open missing.txt: no such file or directory", "errors use the logical path")

	fi, err := h.Stat("sub")
	require.NoError(t, err)
	require.True(t, fi.IsDir())

	wd, err := h.Getwd()
	require.NoError(t, err)
	require.Equal(t, AppDir, wd)
}

func TestNative_LookPath(t *testing.T) {
	t.Parallel()
	h, _, _ := newTestHost(t)
	p, err := h.LookPath("sh")
	require.NoError(t, err)
	require.True(t, filepath.IsAbs(p))
	_, err = h.LookPath("run.sh")
	require.ErrorIs(t, err, wasmabi.ENotFound, "the working directory is not searched")
}

// TestNative_LookPath_relative: a name the PATH finds through a relative
// entry, taken from the working directory, is refused and does not run: the
// exec mixin must not fall back to the file (it is not ENotFound) and Exec
// reports a command that could not start, worded as os/exec words it.
func TestNative_LookPath_relative(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, path, command string
		wantErr             error
	}{
		{"dot", ".:/usr/bin:/bin", "run.sh", exec.ErrDot},
		{"an empty entry", ":/usr/bin:/bin", "run.sh", exec.ErrDot},
		{"a relative directory", "sub:/usr/bin:/bin", "here.sh", exec.ErrDot},
		{"a relative entry that does not hold it", "sub:/usr/bin:/bin", "run.sh", wasmabi.ENotFound},
		{"an absolute entry first", "/usr/bin:/bin:.", "sh", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h, _, _ := newTestHost(t)
			h.o.Env = []string{"PATH=/nowhere", "PATH=" + tc.path}
			p, err := h.LookPath(tc.command)
			res, execErr := h.Exec(testCtx, wasmabi.ExecRequest{Command: tc.command, Args: []string{"-c", "true"}, Stream: boolPtr(false)})
			switch {
			case tc.wantErr == nil:
				require.NoError(t, err)
				require.True(t, filepath.IsAbs(p))
				require.NoError(t, execErr)
				require.Zero(t, res.ExitCode)
			case errors.Is(tc.wantErr, exec.ErrDot):
				require.ErrorIs(t, err, exec.ErrDot)
				require.NotErrorIs(t, err, wasmabi.ENotFound)
				require.NoError(t, execErr)
				require.Equal(t, wasmabi.ExecResult{ExitCode: -1, Stderr: fmt.Sprintf("exec: %q: cannot run executable found relative to current directory", tc.command)}, res)
			default:
				require.ErrorIs(t, err, tc.wantErr)
				require.ErrorIs(t, execErr, tc.wantErr)
			}
		})
	}
}

func TestNative_Log(t *testing.T) {
	t.Parallel()
	h, _, console := newTestHost(t)
	require.NoError(t, h.Log(wasmabi.LevelDebug, "hidden"))
	require.NoError(t, h.Log(wasmabi.LevelInfo, "shown"))
	require.ErrorIs(t, h.Log(wasmabi.LogLevel(9), "bad"), wasmabi.EInval)
	require.NoError(t, h.Mask("secret"))
	require.Equal(t, "shown\n", console.String())
}

func TestLogicalOf(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, root, in, want string }{
		{"no root", "", "/cnab/app", "/cnab/app"},
		{"under root", "/tmp/r", "/tmp/r/cnab/app", "/cnab/app"},
		{"root itself", "/tmp/r", "/tmp/r", "/"},
		{"outside root", "/tmp/r", "/home/x", "/home/x"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tc.want, logicalOf(tc.root, tc.in))
		})
	}
}

func contextWithTimeout(d time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeout(testCtx, d)
}

// boolPtr is &b, for the optional bool fields of wasmabi.ExecRequest.
func boolPtr(b bool) *bool { return &b }
