//go:build !unix

package procexec

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
)

// There are no process groups here: the signals only name what the Unix
// build sends.
const (
	sigTerm = "SIGTERM"
	sigKill = "SIGKILL"
)

// setGroup leaves cmd in mixbox's group: cancellation kills the process
// (exec.CommandContext's default).
func setGroup(*exec.Cmd) {}

// signalGroup is not supported without process groups.
func signalGroup(pid int, sig string) error {
	return fmt.Errorf("send %s to process group %d: %w", sig, pid, errors.ErrUnsupported)
}

// signaled is false: signals are not reported here.
func signaled(*os.ProcessState) (int, bool) { return 0, false }

func signalName(*os.ProcessState) string { return "" }

// busy reports whether err says the program file is open for writing: it
// never does here.
func busy(error) bool { return false }
