// Package procexec is mixbox's one process layer: how a bare command name is
// found on a PATH, how a command is started in its own process group and
// stopped when its context ends, and how its exit is reported. The exec
// calls of wasm mixins (host/internal/hostexec), native mixin runtimes
// (host/internal/native) and the guest SDK's native backend (wasmabi/guest)
// all use it, so the forms of a mixin cannot drift apart.
//
//	bin, err := procexec.LookPath("helm", pathValue, "/cnab/app")
//	if err != nil {
//		return err // errors.Is(err, exec.ErrNotFound) or exec.ErrDot
//	}
//	cmd := procexec.Command(ctx, 5*time.Second, bin, "version")
//	err = cmd.Run()
//	code := procexec.ExitCode(cmd.ProcessState) // 143 after a SIGTERM
//
// # The PATH rule
//
// LookPath is os/exec's LookPath over an explicit PATH value and directory
// instead of the process's: the entries are tried in order and the first
// that holds an executable regular file of that name decides. A missing
// directory is skipped. A match through a relative entry ("." or "" or
// "tools") is refused with exec.ErrDot, as Go refuses it since 1.19, and is
// never run; relative entries are taken from dir, the mixin's working
// directory. RATIONALE.md ("Why does a PATH look-up refuse relative
// entries?") says why and how this compares with Porter.
//
// # Stopping a command
//
// Command starts a process in a new process group. When its context is done
// the whole group gets SIGTERM; the grace period later Wait stops waiting
// (exec.Cmd.WaitDelay: the leader is killed, the pipes are closed). Watch
// adds SIGKILL for the whole group, the grace period after SIGTERM or as soon
// as the command is done, whichever comes first, and its stop kills what is
// left of the group in any case: nothing in a command's group outlives it.
// Wait treats a command that exited while a child still held its output
// (exec.ErrWaitDelay) as done. A child that leaves the group (setsid) is
// found another way: main makes mixbox a child subreaper (BecomeSubreaper,
// Linux), so every orphan of a command becomes mixbox's child, and
// KillOrphans kills and reaps them before mixbox exits. RATIONALE.md ("How
// does mixbox make sure no process outlives it?") says why.
//
// # Notes
//
// It does not read the process's environment or working directory, does
// not capture output, and does not decide what a command may run (that is
// the policy's job). Process groups and signals are Unix only: elsewhere a
// command runs in mixbox's group, cancelling kills only the process, and
// no signal is reported. PATHEXT and Windows extensions are not looked at.
package procexec
