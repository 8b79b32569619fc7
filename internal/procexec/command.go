package procexec

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// ErrBareName is the start error of a Command given a bare name: look the
// name up with LookPath and pass the path it returns.
var ErrBareName = errors.New("a bare command name is not a path; look it up with LookPath first")

// Command returns the exec.Cmd that runs the program at path with args in
// its own process group. When ctx is done the group gets SIGTERM, and grace
// later Wait stops waiting for the command: its leader is killed and its
// pipes are closed (exec.Cmd.Cancel and WaitDelay). Use Watch to kill the
// rest of the group too. The caller sets Dir, Env and the stdio.
//
// path must be a path, absolute or with a separator: Command never looks a
// name up on the process's own PATH, as exec.Command would, and a bare name
// fails at Start with ErrBareName.
func Command(ctx context.Context, grace time.Duration, path string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, path, args...)
	if !strings.ContainsRune(path, '/') && !strings.ContainsRune(path, filepath.Separator) {
		cmd.Path = path
		cmd.Err = fmt.Errorf("start %q: %w", path, ErrBareName)
	}
	setGroup(cmd)
	cmd.WaitDelay = grace
	return cmd
}

// TerminateGroup sends SIGTERM to the process group led by pid. A group
// that is gone gives os.ErrProcessDone.
func TerminateGroup(pid int) error { return signalGroup(pid, sigTerm) }

// KillGroup sends SIGKILL to the process group led by pid. A group that is
// gone gives os.ErrProcessDone.
func KillGroup(pid int) error { return signalGroup(pid, sigKill) }

// Watch stops the process group led by pid (a started Command) when ctx is
// done: SIGTERM at once, then SIGKILL the grace period later or when stop
// is called, whichever comes first. stop ends the watch, sends SIGKILL to
// whatever is left of the group (a background child the command left
// running, cancelled or not) and returns once no signal is in flight; call
// it once, when the command and everything that reads its output are done.
func Watch(ctx context.Context, pid int, grace time.Duration) (stop func()) {
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		select {
		case <-done:
			return
		case <-ctx.Done():
		}
		_ = TerminateGroup(pid) // the leader may be gone already; its children are not
		t := time.NewTimer(grace)
		defer t.Stop()
		select {
		case <-done:
		case <-t.C:
		}
		_ = KillGroup(pid) // best effort: the group may be gone
	}()
	return func() {
		close(done)
		<-finished
		_ = KillGroup(pid) // nothing of the command outlives it; the group may be gone
	}
}

// Wait is cmd.Wait for a Command whose stdout or stderr is not an *os.File:
// when the command exited successfully but something it started still held
// its output when WaitDelay expired (exec.ErrWaitDelay), the command is done
// all the same: Wait returns nil and held is true. Call Watch's stop (or
// KillGroup) afterwards to stop what held it.
func Wait(cmd *exec.Cmd) (held bool, err error) {
	err = cmd.Wait()
	if errors.Is(err, exec.ErrWaitDelay) && cmd.ProcessState != nil && cmd.ProcessState.Success() {
		return true, nil
	}
	return false, err
}

// ExitCode is the exit status of a finished process as a shell reports it:
// its exit code, or 128+N for a process that signal N killed, so a killed
// process is never 0 and never negative. A nil state (the process never
// started) is -1.
func ExitCode(ps *os.ProcessState) int {
	if ps == nil {
		return -1
	}
	if sig, ok := signaled(ps); ok {
		return 128 + sig
	}
	return ps.ExitCode()
}

// SignalName names the signal that killed the process as Go's
// syscall.Signal does ("killed", "terminated"), or "" for a process that
// exited (or never started).
func SignalName(ps *os.ProcessState) string {
	if ps == nil {
		return ""
	}
	return signalName(ps)
}

// Start starts the command newCmd makes. While the program's file is busy
// (ETXTBSY: a file that is still open for writing somewhere — in this process,
// a fork of another goroutine holds a just-written executable's descriptor
// until it execs, Go issue 22315), it makes the command anew and tries again,
// a few times, a little later each time: an exec.Cmd cannot be started twice.
func Start(newCmd func() *exec.Cmd) (*exec.Cmd, error) {
	const tries = 6
	for i := 1; ; i++ {
		cmd := newCmd()
		err := cmd.Start()
		if err == nil || !busy(err) || i == tries {
			return cmd, err
		}
		time.Sleep(time.Duration(i*i) * 5 * time.Millisecond)
	}
}
