package hostexec

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/mixbox/mixbox/host/internal/policy"
	"github.com/mixbox/mixbox/wasmabi"
)

var testCtx = context.WithValue(context.Background(), testCtxKey{}, "hostexec")

// testCtxKey marks the tests\' context.
type testCtxKey struct{}

// TestHelperProcess is not a test: the tests run the test binary as the
// command "helper" (see helperLookPath). Its first arg is the mode.
func TestHelperProcess(t *testing.T) {
	if os.Getenv("MIXBOX_HELPER") != "1" {
		t.Skip("run as a command by other tests")
	}
	args := os.Args
	for len(args) > 0 && args[0] != "--" {
		args = args[1:]
	}
	args = args[1:]
	switch args[0] {
	case "env": // the environment, sorted, one per line
		env := os.Environ()
		slices.Sort(env)
		fmt.Println(strings.Join(env, "\n"))
	case "bytes": // N bytes of stdout, M of stderr
		n, _ := strconv.Atoi(args[1])
		m, _ := strconv.Atoi(args[2])
		_, _ = os.Stdout.Write(bytes.Repeat([]byte("o"), n))
		_, _ = os.Stderr.Write(bytes.Repeat([]byte("e"), m))
	}
	os.Exit(0)
}

func helperArgs(mode string, args ...string) []string {
	return append([]string{"-test.run=^TestHelperProcess$", "--", mode}, args...)
}

// helperLookPath finds "helper" as the test binary and the rest on the
// real PATH.
func helperLookPath(t *testing.T) func(string) (string, error) {
	t.Helper()
	self, err := os.Executable()
	require.NoError(t, err)
	return func(name string) (string, error) {
		if name == "helper" {
			return self, nil
		}
		return exec.LookPath(name)
	}
}

func testEnv() []string {
	return []string{"PATH=" + os.Getenv("PATH"), "HOME=/home/test", "MIXBOX_HELPER=1", "A=from-mixbox", "B=b", "SECRET=s3cr3t"}
}

// newLocal returns a Local with the bundle directory root/cnab/app.
func newLocal(t *testing.T, m policy.Mixin) (*Local, string) {
	t.Helper()
	root := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(root, "cnab", "app", "sub"), 0o755))
	return New(Options{Policy: m, Env: testEnv(), Root: root, LookPath: helperLookPath(t), KillGrace: 100 * time.Millisecond}), root
}

func anyCommand(env ...string) policy.Mixin {
	return policy.Mixin{Exec: []policy.ExecGrant{{Command: "*"}}, Env: append([]string{"MIXBOX_HELPER"}, env...)}
}

func noStream() *bool { f := false; return &f }

func TestLocal_Exec(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		req  wasmabi.ExecRequest
		want wasmabi.ExecResult
	}{
		{"echo", wasmabi.ExecRequest{Command: "echo", Args: []string{"hello", "world"}}, wasmabi.ExecResult{Stdout: "hello world\n"}},
		{"a non-zero exit is a result", wasmabi.ExecRequest{Command: "sh", Args: []string{"-c", "echo oops >&2; exit 3"}}, wasmabi.ExecResult{ExitCode: 3, Stderr: "oops\n"}},
		{"stdin", wasmabi.ExecRequest{Command: "cat", Stdin: "line 1\nline 2\n"}, wasmabi.ExecResult{Stdout: "line 1\nline 2\n"}},
		{"no stdin reads nothing", wasmabi.ExecRequest{Command: "cat"}, wasmabi.ExecResult{}},
		{"args are never through a shell", wasmabi.ExecRequest{Command: "echo", Args: []string{"$HOME", "`x`", "a b"}}, wasmabi.ExecResult{Stdout: "$HOME `x` a b\n"}},
		{"a signal is 128+N", wasmabi.ExecRequest{Command: "sh", Args: []string{"-c", "kill -9 $$"}}, wasmabi.ExecResult{ExitCode: 137, Signal: "killed"}},
		{"the default dir is the bundle", wasmabi.ExecRequest{Command: "sh", Args: []string{"-c", "basename $(pwd)"}}, wasmabi.ExecResult{Stdout: "app\n"}},
		{"a relative dir is under the bundle", wasmabi.ExecRequest{Command: "sh", Args: []string{"-c", "pwd | sed 's|.*/cnab/|/cnab/|'"}, Dir: "sub"}, wasmabi.ExecResult{Stdout: "/cnab/app/sub\n"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			l, _ := newLocal(t, anyCommand())
			tc.req.Stream = noStream()
			got, err := l.Exec(testCtx, Call{Mixin: "m", Request: tc.req})
			require.NoError(t, err)
			require.GreaterOrEqual(t, got.DurationMS, int64(0))
			got.DurationMS = 0
			if strings.Contains(tc.req.Command, "/") {
				require.Empty(t, got.Path, "path is only set for a bare name")
			} else {
				require.True(t, filepath.IsAbs(got.Path), "a bare name reports where it was found, got %q", got.Path)
			}
			got.Path = ""
			require.Equal(t, tc.want, got)
		})
	}
}

func TestLocal_Exec_refusals(t *testing.T) {
	t.Parallel()
	m := policy.Mixin{Exec: []policy.ExecGrant{
		{Command: "mixbox-no-such-command"},
		{Command: "./missing.sh"},
		{Command: "./helpers.sh"},
		{Command: "./plain.txt"},
		{Command: "pinned", Path: "/opt/pinned"},
	}}
	tests := []struct {
		name       string
		req        wasmabi.ExecRequest
		wantErr    error
		wantLookup bool
		wantExit   int
		wantStderr string
	}{
		{name: "denied before any look-up", req: wasmabi.ExecRequest{Command: "curl"}, wantErr: wasmabi.EDenied},
		{name: "a path outside the bundle is never looked up", req: wasmabi.ExecRequest{Command: "/bin/sh"}, wantErr: wasmabi.EDenied},
		{name: "../ is never looked up", req: wasmabi.ExecRequest{Command: "../mixbox-no-such-command"}, wantErr: wasmabi.EDenied},
		{name: "a denied env key comes before not found", req: wasmabi.ExecRequest{Command: "mixbox-no-such-command", Env: map[string]string{"X": "1"}}, wantErr: wasmabi.EDenied},
		{name: "granted but not on the PATH", req: wasmabi.ExecRequest{Command: "mixbox-no-such-command"}, wantErr: wasmabi.ENotFound, wantLookup: true},
		{name: "granted but not in the bundle", req: wasmabi.ExecRequest{Command: "./missing.sh"}, wantErr: wasmabi.ENotFound},
		{name: "a pinned path that differs", req: wasmabi.ExecRequest{Command: "pinned"}, wantErr: wasmabi.EDenied, wantLookup: true},
		{name: "a bundle script", req: wasmabi.ExecRequest{Command: "./helpers.sh", Args: []string{"x"}}, wantExit: 0},
		{name: "a file that cannot start", req: wasmabi.ExecRequest{Command: "./plain.txt"}, wantExit: -1, wantStderr: "/cnab/app/plain.txt: permission denied: it is not executable; run chmod +x plain.txt in the bundle directory"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			root := t.TempDir()
			app := filepath.Join(root, "cnab", "app")
			require.NoError(t, os.MkdirAll(app, 0o755))
			require.NoError(t, os.WriteFile(filepath.Join(app, "helpers.sh"), []byte("#!/bin/sh\necho helper \"$1\"\n"), 0o755))
			require.NoError(t, os.WriteFile(filepath.Join(app, "plain.txt"), []byte("not a program\n"), 0o644))
			var lookups atomic.Int32
			l := New(Options{Policy: m, Env: testEnv(), Root: root, LookPath: func(name string) (string, error) {
				lookups.Add(1)
				if name == "pinned" {
					return "/usr/bin/pinned", nil
				}
				return "", errors.New("not found")
			}})
			tc.req.Stream = noStream()
			got, err := l.Exec(testCtx, Call{Mixin: "m", Request: tc.req})
			require.Equal(t, tc.wantLookup, lookups.Load() > 0, "looked up")
			if tc.wantErr != nil {
				require.ErrorIs(t, err, tc.wantErr)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.wantExit, got.ExitCode)
			if tc.wantStderr == "" {
				require.Empty(t, got.Stderr)
			} else {
				require.Contains(t, got.Stderr, tc.wantStderr)
			}
		})
	}
}

func TestLocal_Exec_rootMapping(t *testing.T) {
	t.Parallel()
	l, root := newLocal(t, policy.Mixin{Exec: []policy.ExecGrant{{Command: "./helpers.sh"}, {Command: "/cnab/app/helpers.sh"}}})
	require.NoError(t, os.WriteFile(filepath.Join(root, "cnab", "app", "helpers.sh"), []byte("#!/bin/sh\npwd\n"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(root, "cnab", "app", "sub", "helpers.sh"), []byte("#!/bin/sh\necho sub\n"), 0o755))
	for _, tc := range []struct{ command, dir, want string }{
		{"./helpers.sh", "", filepath.Join(root, "cnab", "app") + "\n"},
		{"./helpers.sh", "/cnab/app/sub", "sub\n"},
		{"/cnab/app/helpers.sh", "sub", filepath.Join(root, "cnab", "app", "sub") + "\n"},
	} {
		got, err := l.Exec(testCtx, Call{Mixin: "m", Request: wasmabi.ExecRequest{Command: tc.command, Dir: tc.dir, Stream: noStream()}})
		require.NoError(t, err)
		require.Equal(t, tc.want, got.Stdout, "%s in %q", tc.command, tc.dir)
	}
}

// TestLocal_Exec_symlinks pins abi-v1.md §8.6 against the host's symlinks:
// a command or dir that the policy allows as written but that a symlink in
// the bundle leads out of it is denied; links that stay inside work.
func TestLocal_Exec_symlinks(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		req        wasmabi.ExecRequest
		linkedRoot bool // Options.Root is itself a symlink to the root
		wantErr    error
		wantRule   string
		wantStdout string // the end of stdout
	}{
		{name: "a command linked to a host binary", req: wasmabi.ExecRequest{Command: "./elink", Args: []string{"-c", "echo escaped"}},
			wantErr: wasmabi.EDenied, wantRule: "the command resolves outside /cnab/app through a symlink (/cnab/app/elink is /"},
		{name: "a command linked out by a relative link", req: wasmabi.ExecRequest{Command: "/cnab/app/rel.sh"},
			wantErr: wasmabi.EDenied, wantRule: "the command resolves outside /cnab/app through a symlink"},
		{name: "a command under a linked dir", req: wasmabi.ExecRequest{Command: "./dlink/hostname"},
			wantErr: wasmabi.EDenied, wantRule: "the command resolves outside /cnab/app through a symlink"},
		{name: "a dir linked to /etc", req: wasmabi.ExecRequest{Command: "sh", Args: []string{"-c", "pwd -P"}, Dir: "/cnab/app/dlink"},
			wantErr: wasmabi.EDenied, wantRule: "dir /cnab/app/dlink resolves outside /cnab/app and the dirs of the policy through a symlink (it is /"},
		{name: "a relative dir linked out", req: wasmabi.ExecRequest{Command: "sh", Args: []string{"-c", "pwd -P"}, Dir: "dlink"},
			wantErr: wasmabi.EDenied, wantRule: "through a symlink"},
		{name: "a policy dir with a link out of it", req: wasmabi.ExecRequest{Command: "sh", Args: []string{"-c", "pwd -P"}, Dir: "WORK/out"},
			wantErr: wasmabi.EDenied, wantRule: "through a symlink (it is /"},
		{name: "a command linked inside the bundle", req: wasmabi.ExecRequest{Command: "./inlink", Args: []string{"x"}}, wantStdout: "helper x\n"},
		{name: "a command through a dir link inside the bundle", req: wasmabi.ExecRequest{Command: "./sublink/helpers.sh", Args: []string{"y"}}, wantStdout: "helper y\n"},
		{name: "a link out and back in", req: wasmabi.ExecRequest{Command: "./up/app/helpers.sh", Args: []string{"z"}}, wantStdout: "helper z\n"},
		{name: "a dir linked inside the bundle", req: wasmabi.ExecRequest{Command: "sh", Args: []string{"-c", "pwd -P"}, Dir: "/cnab/app/sublink"}, wantStdout: "/cnab/app/sub\n"},
		{name: "a dir linked to a policy dir", req: wasmabi.ExecRequest{Command: "sh", Args: []string{"-c", "pwd -P"}, Dir: "/cnab/app/worklink"}, wantStdout: "/work\n"},
		{name: "a bundle reached through a linked root", req: wasmabi.ExecRequest{Command: "./inlink", Args: []string{"r"}, Dir: "/cnab/app/sublink/.."},
			linkedRoot: true, wantStdout: "helper r\n"},
		{name: "a linked root still refuses a link out", req: wasmabi.ExecRequest{Command: "./elink"},
			linkedRoot: true, wantErr: wasmabi.EDenied, wantRule: "through a symlink"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			root := t.TempDir()
			app := filepath.Join(root, "cnab", "app")
			work := filepath.Join(root, "work")
			require.NoError(t, os.MkdirAll(filepath.Join(app, "sub"), 0o755))
			require.NoError(t, os.MkdirAll(work, 0o755))
			script := []byte("#!/bin/sh\necho helper \"$1\"\n")
			require.NoError(t, os.WriteFile(filepath.Join(app, "helpers.sh"), script, 0o755))
			require.NoError(t, os.WriteFile(filepath.Join(app, "sub", "helpers.sh"), script, 0o755))
			require.NoError(t, os.WriteFile(filepath.Join(root, "outside.sh"), script, 0o755))
			for link, target := range map[string]string{
				"elink": "/bin/sh", "dlink": "/etc", "rel.sh": "../../outside.sh", "inlink": "helpers.sh",
				"sublink": "sub", "up": "..", "worklink": work,
			} {
				require.NoError(t, os.Symlink(target, filepath.Join(app, link)))
			}
			require.NoError(t, os.Symlink("/etc", filepath.Join(work, "out")))
			opts := Options{
				Policy:   policy.Mixin{Exec: []policy.ExecGrant{{Command: "*"}}, Dirs: []string{work}},
				Env:      testEnv(),
				Root:     root,
				LookPath: exec.LookPath,
			}
			if tc.linkedRoot {
				opts.Root = filepath.Join(t.TempDir(), "root")
				require.NoError(t, os.Symlink(root, opts.Root))
			}
			tc.req.Dir = strings.Replace(tc.req.Dir, "WORK", work, 1)
			tc.req.Stream = noStream()
			got, err := New(opts).Exec(testCtx, Call{Mixin: "m", Request: tc.req})
			if tc.wantErr != nil {
				require.ErrorIs(t, err, tc.wantErr)
				var denied *policy.DeniedError
				require.ErrorAs(t, err, &denied)
				require.Contains(t, denied.Rule, tc.wantRule)
				return
			}
			require.NoError(t, err)
			require.Equal(t, 0, got.ExitCode, got.Stderr)
			require.True(t, strings.HasSuffix(got.Stdout, tc.wantStdout), "stdout %q does not end with %q", got.Stdout, tc.wantStdout)
		})
	}
}

func TestLocal_Exec_env(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		m       policy.Mixin
		reqEnv  map[string]string
		want    []string // exact set of variables, MIXBOX_HELPER aside
		wantErr error
	}{
		{
			name: "PATH, HOME and the listed keys",
			m:    anyCommand("A", "UNSET"),
			want: []string{"A=from-mixbox", "HOME=/home/test", "PATH=" + os.Getenv("PATH")},
		},
		{
			name:   "the request's env comes last",
			m:      anyCommand("A", "C"),
			reqEnv: map[string]string{"A": "from-request", "C": "c"},
			want:   []string{"A=from-request", "C=c", "HOME=/home/test", "PATH=" + os.Getenv("PATH")},
		},
		{
			name: "inheritEnv passes everything",
			m:    func() policy.Mixin { m := anyCommand(); m.InheritEnv = true; return m }(),
			want: []string{"A=from-mixbox", "B=b", "HOME=/home/test", "PATH=" + os.Getenv("PATH"), "SECRET=s3cr3t"},
		},
		{
			name:    "a request key not listed",
			m:       anyCommand(),
			reqEnv:  map[string]string{"B": "x"},
			wantErr: wasmabi.EDenied,
		},
		{
			name:    "a request PATH even if listed",
			m:       anyCommand("PATH"),
			reqEnv:  map[string]string{"PATH": "/evil"},
			wantErr: wasmabi.EDenied,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			l, _ := newLocal(t, tc.m)
			got, err := l.Exec(testCtx, Call{Mixin: "m", Request: wasmabi.ExecRequest{Command: "helper", Args: helperArgs("env"), Env: tc.reqEnv, Stream: noStream()}})
			if tc.wantErr != nil {
				require.ErrorIs(t, err, tc.wantErr)
				return
			}
			require.NoError(t, err)
			require.Equal(t, 0, got.ExitCode, got.Stderr)
			var vars []string
			for _, kv := range strings.Split(strings.TrimSpace(got.Stdout), "\n") {
				if !strings.HasPrefix(kv, "MIXBOX_HELPER=") {
					vars = append(vars, kv)
				}
			}
			require.Equal(t, tc.want, vars)
		})
	}
}

func TestLocal_Exec_capture(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		out, errN  int
		stream     *bool
		want       wasmabi.ExecResult
		wantStream string
	}{
		{name: "under the cap", out: 100, errN: 10, want: wasmabi.ExecResult{Stdout: strings.Repeat("o", 100), Stderr: strings.Repeat("e", 10)}, wantStream: strings.Repeat("o", 100) + strings.Repeat("e", 10)},
		{name: "at the cap", out: 100, errN: 100, stream: noStream(), want: wasmabi.ExecResult{Stdout: strings.Repeat("o", 100), Stderr: strings.Repeat("e", 100)}},
		{name: "over the cap", out: 100000, errN: 101, stream: noStream(), want: wasmabi.ExecResult{Stdout: strings.Repeat("o", 100), Stderr: strings.Repeat("e", 100), StdoutTruncated: true, StderrTruncated: true}},
		{name: "streaming is not capped", out: 5000, errN: 3, want: wasmabi.ExecResult{Stdout: strings.Repeat("o", 100), Stderr: "eee", StdoutTruncated: true}, wantStream: strings.Repeat("o", 5000) + "eee"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			m := anyCommand()
			m.Limits.CaptureBytes = 100
			l, _ := newLocal(t, m)
			var console syncBuffer
			got, err := l.Exec(testCtx, Call{Mixin: "m", Stdout: &console, Stderr: &console, Request: wasmabi.ExecRequest{
				Command: "helper", Args: helperArgs("bytes", strconv.Itoa(tc.out), strconv.Itoa(tc.errN)), Stream: tc.stream,
			}})
			require.NoError(t, err)
			got.DurationMS, got.Path = 0, ""
			require.Equal(t, tc.want, got)
			streamed := console.String()
			require.Equal(t, len(tc.wantStream), len(streamed))
			require.Equal(t, strings.Count(tc.wantStream, "o"), strings.Count(streamed, "o"))
		})
	}
}

// syncBuffer is a console shared by goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// gone reports whether pid has exited (or is a zombie waiting for init).
func gone(pid int) bool {
	if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
		return true
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return true
	}
	// pid (comm) S ...: the state follows the last ')'.
	s := string(stat)
	i := strings.LastIndexByte(s, ')')
	return i > 0 && i+2 < len(s) && (s[i+2] == 'Z' || s[i+2] == 'X')
}

func requireGone(t *testing.T, pidText string) {
	t.Helper()
	pid, err := strconv.Atoi(strings.TrimSpace(pidText))
	require.NoError(t, err, "the command printed no pid: %q", pidText)
	require.Eventually(t, func() bool { return gone(pid) }, 3*time.Second, 20*time.Millisecond,
		"process %d of the command's group survived the timeout", pid)
}

func TestLocal_Exec_timeout(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		script  string
		timeout int64 // request timeout_ms
		policy  time.Duration
	}{
		{name: "the policy's timeout kills a child of sh", script: "sleep 30 & echo $!; wait", policy: time.Second},
		{name: "the request's timeout", script: "sleep 30 & echo $!; wait", timeout: 1000, policy: time.Minute},
		{name: "a request cannot exceed the policy", script: "sleep 30 & echo $!; wait", timeout: 60000, policy: time.Second},
		{name: "SIGTERM ignored: SIGKILL after the grace", script: "trap '' TERM; sleep 30 & echo $!; wait; wait", policy: time.Second},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			m := anyCommand()
			m.Limits.ExecTimeout = tc.policy
			l, _ := newLocal(t, m)
			start := time.Now()
			got, err := l.Exec(testCtx, Call{Mixin: "m", Request: wasmabi.ExecRequest{Command: "sh", Args: []string{"-c", tc.script}, TimeoutMS: tc.timeout, Stream: noStream()}})
			require.NoError(t, err)
			require.True(t, got.TimedOut, "timed_out")
			require.Less(t, time.Since(start), 5*time.Second, "Exec waited past the timeout")
			require.GreaterOrEqual(t, got.DurationMS, int64(900))
			requireGone(t, got.Stdout)
		})
	}
}

// TestLocal_Exec_childHoldsOutput: a command that exits while a child it
// started keeps its stdout or stderr open is done the grace period after it
// exits, with its own exit code and no timeout; the child is stopped, and
// what the command printed is kept.
func TestLocal_Exec_childHoldsOutput(t *testing.T) {
	t.Parallel()
	for _, script := range []string{"sleep 30 & echo $!; exit 3", "sleep 30 >&2 & echo $! ; echo fine >&2; exit 3"} {
		t.Run(script, func(t *testing.T) {
			t.Parallel()
			m := anyCommand()
			m.Limits.ExecTimeout = time.Minute
			l, _ := newLocal(t, m)
			start := time.Now()
			got, err := l.Exec(testCtx, Call{Mixin: "m", Request: wasmabi.ExecRequest{Command: "sh", Args: []string{"-c", script}, Stream: noStream()}})
			require.NoError(t, err)
			require.False(t, got.TimedOut)
			require.Equal(t, 3, got.ExitCode)
			require.Less(t, time.Since(start), 30*time.Second, "Exec waited for the child")
			requireGone(t, got.Stdout)
		})
	}
}

// TestLocal_Exec_backgroundChild: a child the command leaves running in
// its group, not holding its output, is killed when the call ends.
func TestLocal_Exec_backgroundChild(t *testing.T) {
	t.Parallel()
	l, _ := newLocal(t, anyCommand())
	pidFile := filepath.Join(t.TempDir(), "pid")
	got, err := l.Exec(testCtx, Call{Mixin: "m", Request: wasmabi.ExecRequest{Command: "sh",
		Args: []string{"-c", "sleep 30 >/dev/null 2>&1 & echo $! > " + pidFile}, Stream: noStream()}})
	require.NoError(t, err)
	require.Equal(t, 0, got.ExitCode)
	data, err := os.ReadFile(pidFile)
	require.NoError(t, err)
	requireGone(t, string(data))
}

func TestLocal_Exec_cancel(t *testing.T) {
	t.Parallel()
	l, _ := newLocal(t, anyCommand())
	ctx, cancel := context.WithCancel(testCtx)
	time.AfterFunc(200*time.Millisecond, cancel)
	got, err := l.Exec(ctx, Call{Mixin: "m", Request: wasmabi.ExecRequest{Command: "sh", Args: []string{"-c", "sleep 30 & echo $!; wait"}, Stream: noStream()}})
	require.NoError(t, err)
	require.True(t, got.TimedOut)
	requireGone(t, got.Stdout)
}

func TestLocal_Exec_concurrent(t *testing.T) {
	t.Parallel()
	l, _ := newLocal(t, anyCommand())
	var console syncBuffer
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err := l.Exec(testCtx, Call{Mixin: "m", Stdout: &console, Stderr: &console, Request: wasmabi.ExecRequest{Command: "sh", Args: []string{"-c", "echo out $0; echo err $0 >&2", strconv.Itoa(i)}}})
			if err == nil && res.Stdout != fmt.Sprintf("out %d\n", i) {
				err = fmt.Errorf("call %d: stdout %q", i, res.Stdout)
			}
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	require.Equal(t, 16, strings.Count(console.String(), "\n"))
}

func TestNew_zeroOptions(t *testing.T) {
	t.Parallel()
	_, err := New(Options{}).Exec(testCtx, Call{Request: wasmabi.ExecRequest{Command: "echo"}})
	require.ErrorIs(t, err, wasmabi.EDenied, "the zero Options grant nothing")
}

// TestNew_lookPath: without Options.LookPath a bare name is looked up with
// procexec's rule on Env's PATH, relative entries taken from the bundle
// directory: a name found through one does not run (exit code -1, the
// reason in stderr, as Go words it), a missing directory is skipped, and a
// name nowhere on the PATH is E_NOTFOUND.
func TestNew_lookPath(t *testing.T) {
	t.Parallel()
	bin := t.TempDir()
	script := func(dir, name, says string) {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte("#!/bin/sh\necho "+says+"\n"), 0o755))
	}
	script(bin, "tool", "tool from the PATH")
	script(bin, "both", "both from the PATH")
	tests := []struct {
		name, path, command string
		want                wasmabi.ExecResult
		wantErr             error
	}{
		{"an absolute entry", bin, "tool", wasmabi.ExecResult{Stdout: "tool from the PATH\n", Path: filepath.Join(bin, "tool")}, nil},
		{"a missing directory is skipped", filepath.Join(bin, "missing") + ":" + bin, "tool", wasmabi.ExecResult{Stdout: "tool from the PATH\n", Path: filepath.Join(bin, "tool")}, nil},
		{"an absolute entry before dot", bin + ":.", "both", wasmabi.ExecResult{Stdout: "both from the PATH\n", Path: filepath.Join(bin, "both")}, nil},
		{"dot finds the bundle's file first", ".:" + bin, "both", wasmabi.ExecResult{ExitCode: -1, Stderr: `exec: "both": cannot run executable found relative to current directory`}, nil},
		{"a relative entry is the bundle's", "sub:" + bin, "deep", wasmabi.ExecResult{ExitCode: -1, Stderr: `exec: "deep": cannot run executable found relative to current directory`}, nil},
		{"dot does not hold it", ".:" + bin, "tool", wasmabi.ExecResult{Stdout: "tool from the PATH\n", Path: filepath.Join(bin, "tool")}, nil},
		{"nowhere on the PATH", ".:" + bin, "none", wasmabi.ExecResult{}, wasmabi.ENotFound},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			root := t.TempDir()
			app := filepath.Join(root, "cnab", "app")
			require.NoError(t, os.MkdirAll(filepath.Join(app, "sub"), 0o755))
			script(app, "both", "both from the bundle")
			script(filepath.Join(app, "sub"), "deep", "deep from the bundle")
			l := New(Options{Policy: anyCommand(), Env: []string{"PATH=" + tc.path}, Root: root})
			got, err := l.Exec(testCtx, Call{Mixin: "m", Request: wasmabi.ExecRequest{Command: tc.command, Stream: noStream()}})
			if tc.wantErr != nil {
				require.ErrorIs(t, err, tc.wantErr)
				return
			}
			require.NoError(t, err)
			got.DurationMS = 0
			require.Equal(t, tc.want, got)
		})
	}
}
