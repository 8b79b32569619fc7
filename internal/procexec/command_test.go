//go:build unix

package procexec

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/mixbox/mixbox/internal/testutil"
)

// testCtx is the context of tests (wazero's pattern: not Background).
var testCtx = context.WithValue(context.Background(), testCtxKey{}, "procexec")

type testCtxKey struct{}

// TestHelperProcess is not a test: the other tests run the test binary as
// a command through helper. Its first argument is the mode.
func TestHelperProcess(t *testing.T) {
	if os.Getenv("PROCEXEC_HELPER") != "1" {
		t.Skip("run as a command by other tests")
	}
	args := os.Args
	for len(args) > 0 && args[0] != "--" {
		args = args[1:]
	}
	args = args[1:]
	switch args[0] {
	case "exit": // exit with the code args[1]
		code, _ := strconv.Atoi(args[1])
		os.Exit(code)
	case "sleep": // wait to be signalled; SIGTERM ends it (the default)
		fmt.Println("ready")
		time.Sleep(time.Minute)
	case "ignore-term": // wait to be killed
		signal.Ignore(syscall.SIGTERM)
		fmt.Println("ready")
		time.Sleep(time.Minute)
	case "hold": // start a child that keeps stdout open, then exit 0
		child := exec.Command(os.Args[0], helperArgs("ignore-term")...)
		child.Env = os.Environ()
		child.Stdout = os.Stdout
		if child.Start() != nil {
			os.Exit(3)
		}
		if err := os.WriteFile(args[1], []byte(strconv.Itoa(child.Process.Pid)), 0o644); err != nil {
			os.Exit(5)
		}
		os.Exit(0)
	case "reaper": // become a subreaper, leave a detached grandchild, kill the orphans
		if err := BecomeSubreaper(); err != nil {
			fmt.Println("no subreaper:", err)
			os.Exit(0)
		}
		mid := exec.Command(os.Args[0], helperArgs("detach", args[1])...)
		mid.Env = os.Environ()
		if err := mid.Run(); err != nil {
			os.Exit(3)
		}
		kept := exec.Command(os.Args[0], helperArgs("ignore-term")...) // spared, as mixbox's background compile
		kept.Env = os.Environ()
		kept.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
		if kept.Start() != nil {
			os.Exit(3)
		}
		Spare(kept.Process.Pid)
		if err := os.WriteFile(args[1]+".spared", []byte(strconv.Itoa(kept.Process.Pid)), 0o644); err != nil {
			os.Exit(5)
		}
		fmt.Println("killed", KillOrphans())
		os.Exit(0)
	case "detach": // start a grandchild in a session of its own, write its pid, exit
		child := exec.Command(os.Args[0], helperArgs("ignore-term")...)
		child.Env = os.Environ()
		child.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
		if child.Start() != nil {
			os.Exit(3)
		}
		if err := os.WriteFile(args[1], []byte(strconv.Itoa(child.Process.Pid)), 0o644); err != nil {
			os.Exit(5)
		}
		os.Exit(0)
	case "group": // start an ignore-term child in the group, write its pid to args[1]
		child := exec.Command(os.Args[0], helperArgs("ignore-term")...)
		child.Env = os.Environ()
		out, err := child.StdoutPipe()
		if err != nil || child.Start() != nil {
			os.Exit(3)
		}
		line := make([]byte, len("ready\n"))
		if _, err := out.Read(line); err != nil {
			os.Exit(4)
		}
		if err := os.WriteFile(args[1], []byte(strconv.Itoa(child.Process.Pid)), 0o644); err != nil {
			os.Exit(5)
		}
		fmt.Println("ready")
		time.Sleep(time.Minute)
	}
	os.Exit(0)
}

func helperArgs(mode string, args ...string) []string {
	return append([]string{"-test.run=^TestHelperProcess$", "--", mode}, args...)
}

// helper returns a Command that runs the test binary in mode.
func helper(t *testing.T, ctx context.Context, grace time.Duration, mode string, args ...string) *exec.Cmd {
	t.Helper()
	self, err := os.Executable()
	require.NoError(t, err)
	cmd := Command(ctx, grace, self, helperArgs(mode, args...)...)
	cmd.Env = append(os.Environ(), "PROCEXEC_HELPER=1")
	return cmd
}

// startReady starts cmd and waits for its "ready" line.
func startReady(t *testing.T, cmd *exec.Cmd) {
	t.Helper()
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	line := make([]byte, len("ready\n"))
	_, err = out.Read(line)
	require.NoError(t, err)
	require.Equal(t, "ready\n", string(line))
}

func TestCommand_exit(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		mode       string
		args       []string
		cancel     bool
		wantCode   int
		wantSignal string
	}{
		{"success", "exit", []string{"0"}, false, 0, ""},
		{"an exit code", "exit", []string{"7"}, false, 7, ""},
		{"cancelled: SIGTERM to the group", "sleep", nil, true, 128 + int(syscall.SIGTERM), "terminated"},
		{"SIGTERM ignored: killed after the grace period", "ignore-term", nil, true, 128 + int(syscall.SIGKILL), "killed"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithCancel(testCtx)
			defer cancel()
			cmd := helper(t, ctx, 200*time.Millisecond, tc.mode, tc.args...)
			start := time.Now()
			if tc.cancel {
				startReady(t, cmd)
				cancel()
				_ = cmd.Wait() // the status is in ProcessState
			} else {
				_ = cmd.Run()
			}
			require.NotNil(t, cmd.ProcessState)
			require.Equal(t, tc.wantCode, ExitCode(cmd.ProcessState))
			require.Equal(t, tc.wantSignal, SignalName(cmd.ProcessState))
			require.Less(t, time.Since(start), 10*time.Second)
		})
	}
}

func TestCommand_ownGroup(t *testing.T) {
	t.Parallel()
	cmd := helper(t, testCtx, time.Second, "sleep")
	startReady(t, cmd)
	pgid, err := syscall.Getpgid(cmd.Process.Pid)
	require.NoError(t, err)
	require.Equal(t, cmd.Process.Pid, pgid, "the command leads its own group")
	require.NotEqual(t, syscall.Getpgrp(), pgid)
	require.NoError(t, TerminateGroup(cmd.Process.Pid))
	_ = cmd.Wait()
	require.Equal(t, "terminated", SignalName(cmd.ProcessState))
	require.ErrorIs(t, KillGroup(cmd.Process.Pid), os.ErrProcessDone, "a group that is gone")
}

func TestCommand_bareName(t *testing.T) {
	t.Parallel()
	err := Command(testCtx, time.Second, "sh", "-c", "true").Run()
	require.ErrorIs(t, err, ErrBareName, "a bare name is never looked up on the process's PATH")
}

func TestExitCode_notStarted(t *testing.T) {
	t.Parallel()
	require.Equal(t, -1, ExitCode(nil))
	require.Empty(t, SignalName(nil))
}

// TestWatch: a cancelled command's group gets SIGKILL once the command is
// done, so a child that ignores SIGTERM does not outlive it; without a
// cancel, Watch sends nothing.
func TestWatch(t *testing.T) {
	t.Parallel()
	t.Run("cancelled", func(t *testing.T) {
		t.Parallel()
		ctx, cancel := context.WithCancel(testCtx)
		defer cancel()
		pidFile := filepath.Join(t.TempDir(), "child")
		cmd := helper(t, ctx, time.Minute, "group", pidFile)
		startReady(t, cmd)
		stop := Watch(ctx, cmd.Process.Pid, time.Minute)
		data, err := os.ReadFile(pidFile)
		require.NoError(t, err)
		child, err := strconv.Atoi(string(data))
		require.NoError(t, err)
		cancel()
		_ = cmd.Wait() // the leader dies of SIGTERM
		require.Equal(t, "terminated", SignalName(cmd.ProcessState))
		require.True(t, testutil.Running(child), "the child ignores SIGTERM")
		stop()
		require.Eventually(t, func() bool { return !testutil.Running(child) }, 5*time.Second, 10*time.Millisecond,
			"stop sent SIGKILL to what was left of the group")
	})
	t.Run("not cancelled: stop kills what is left", func(t *testing.T) {
		t.Parallel()
		pidFile := filepath.Join(t.TempDir(), "child")
		cmd := helper(t, testCtx, time.Minute, "group", pidFile)
		startReady(t, cmd)
		stop := Watch(testCtx, cmd.Process.Pid, time.Minute)
		data, err := os.ReadFile(pidFile)
		require.NoError(t, err)
		child, err := strconv.Atoi(string(data))
		require.NoError(t, err)
		time.Sleep(50 * time.Millisecond)
		require.True(t, testutil.Running(cmd.Process.Pid), "no signal before stop without a cancel")
		stop()
		_ = cmd.Wait()
		require.Equal(t, "killed", SignalName(cmd.ProcessState))
		require.Eventually(t, func() bool { return !testutil.Running(child) }, 5*time.Second, 10*time.Millisecond,
			"a background child of the group does not outlive the command")
	})
	t.Run("grace ends first", func(t *testing.T) {
		t.Parallel()
		ctx, cancel := context.WithCancel(testCtx)
		defer cancel()
		cmd := helper(t, ctx, time.Minute, "ignore-term")
		startReady(t, cmd)
		stop := Watch(ctx, cmd.Process.Pid, 100*time.Millisecond)
		defer stop()
		cancel()
		_ = cmd.Wait() // Watch kills it, long before WaitDelay
		require.Equal(t, "killed", SignalName(cmd.ProcessState))
	})
}

// TestStart_busy: a program whose file is still open for writing (ETXTBSY)
// starts once the writer lets go; a command that cannot start for another
// reason fails at once.
func TestStart_busy(t *testing.T) {
	t.Parallel()
	p := filepath.Join(t.TempDir(), "prog")
	f, err := os.OpenFile(p, os.O_CREATE|os.O_WRONLY, 0o755)
	require.NoError(t, err)
	_, err = f.WriteString("#!/bin/sh\necho started\n")
	require.NoError(t, err)
	time.AfterFunc(30*time.Millisecond, func() { _ = f.Close() })
	var out strings.Builder
	tries := 0
	cmd, err := Start(func() *exec.Cmd {
		tries++
		cmd := Command(testCtx, time.Second, p)
		cmd.Stdout = &out
		return cmd
	})
	require.NoError(t, err)
	require.NoError(t, cmd.Wait())
	require.Equal(t, "started\n", out.String())
	require.Greater(t, tries, 1, "the first start found the file busy")

	tries = 0
	_, err = Start(func() *exec.Cmd { tries++; return Command(testCtx, time.Second, filepath.Join(t.TempDir(), "none")) })
	require.Error(t, err)
	require.Equal(t, 1, tries)
}

// TestWait_held: a command that exits 0 while a child holds its stdout is
// done WaitDelay later, and reported as held, not as an error.
func TestWait_held(t *testing.T) {
	t.Parallel()
	pidFile := filepath.Join(t.TempDir(), "child")
	cmd := helper(t, testCtx, 200*time.Millisecond, "hold", pidFile)
	var out strings.Builder
	cmd.Stdout = &out // not a file: os/exec copies it, and waits for the copy
	require.NoError(t, cmd.Start())
	held, err := Wait(cmd)
	require.NoError(t, err)
	require.True(t, held)
	require.Equal(t, 0, ExitCode(cmd.ProcessState))
	data, err := os.ReadFile(pidFile)
	require.NoError(t, err)
	child, err := strconv.Atoi(string(data))
	require.NoError(t, err)
	require.NoError(t, KillGroup(cmd.Process.Pid), "the child is still in the group")
	require.Eventually(t, func() bool { return !testutil.Running(child) }, 5*time.Second, 10*time.Millisecond)

	cmd = helper(t, testCtx, time.Second, "exit", "3")
	cmd.Stdout = &out
	require.NoError(t, cmd.Start())
	held, err = Wait(cmd)
	require.False(t, held)
	var ee *exec.ExitError
	require.ErrorAs(t, err, &ee, "a failure is an error as with cmd.Wait")
}

// TestKillOrphans: a process that a command started in a session of its
// own and left behind becomes the subreaper's child and is killed and
// reaped, and a child named to Spare is not. It runs in a helper process:
// KillOrphans kills every other child.
func TestKillOrphans(t *testing.T) {
	t.Parallel()
	pidFile := filepath.Join(t.TempDir(), "grandchild")
	cmd := helper(t, testCtx, time.Second, "reaper", pidFile)
	out, err := cmd.Output()
	require.NoError(t, err)
	if strings.HasPrefix(string(out), "no subreaper") {
		t.Skip(string(out))
	}
	require.Contains(t, string(out), "killed 1")
	data, err := os.ReadFile(pidFile)
	require.NoError(t, err)
	grandchild, err := strconv.Atoi(string(data))
	require.NoError(t, err)
	require.False(t, testutil.Running(grandchild), "the detached grandchild is gone")
	data, err = os.ReadFile(pidFile + ".spared")
	require.NoError(t, err)
	kept, err := strconv.Atoi(string(data))
	require.NoError(t, err)
	require.True(t, testutil.Running(kept), "a spared child is left running")
	p, err := os.FindProcess(kept)
	require.NoError(t, err)
	require.NoError(t, p.Kill())
	require.Eventually(t, func() bool { return !testutil.Running(kept) }, 5*time.Second, 10*time.Millisecond)
}
