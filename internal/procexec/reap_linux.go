//go:build linux

package procexec

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"syscall"
)

// prSetChildSubreaper is prctl's PR_SET_CHILD_SUBREAPER (linux/prctl.h).
const prSetChildSubreaper = 36

// BecomeSubreaper makes this process the reaper of its orphaned
// descendants (prctl PR_SET_CHILD_SUBREAPER): a process that a command
// started and left behind, in a session of its own too, becomes this
// process's child when its parent exits, so KillOrphans can find it. It
// changes the whole process: call it from main, once.
func BecomeSubreaper() error {
	if _, _, errno := syscall.RawSyscall(syscall.SYS_PRCTL, prSetChildSubreaper, 1, 0); errno != 0 {
		return fmt.Errorf("become child subreaper: %w", errno)
	}
	return nil
}

// KillOrphans sends SIGKILL to every child of this process but the ones
// Spare names (and to the
// process group each one leads) and reaps them, until none is left; it
// returns how many it killed. Call it when this process has no command of
// its own running any more, before it exits: every child then is something
// a command left behind.
func KillOrphans() int {
	killed := 0
	for round := 0; round < 64; round++ {
		kids := slices.DeleteFunc(children(os.Getpid()), spared)
		if len(kids) == 0 {
			return killed
		}
		for _, pid := range kids {
			if pgid, err := syscall.Getpgid(pid); err == nil && pgid == pid {
				_ = syscall.Kill(-pid, syscall.SIGKILL) // the group it leads, its own children included
			}
			_ = syscall.Kill(pid, syscall.SIGKILL) // it may be gone already
		}
		for _, pid := range kids {
			var ws syscall.WaitStatus
			for {
				_, err := syscall.Wait4(pid, &ws, 0, nil)
				if !errors.Is(err, syscall.EINTR) {
					break
				}
			}
			killed++
		}
	}
	return killed
}

// children lists the processes whose parent is ppid (this process): from
// /proc/PID/task/*/children where the kernel has them, else by reading the
// parent of every process in /proc.
func children(ppid int) []int {
	dir := "/proc/" + strconv.Itoa(ppid) + "/task"
	if tasks, err := os.ReadDir(dir); err == nil {
		var out []int
		found := false
		for _, task := range tasks {
			data, err := os.ReadFile(dir + "/" + task.Name() + "/children")
			if err != nil {
				continue
			}
			found = true
			for _, f := range bytes.Fields(data) {
				if pid, err := strconv.Atoi(string(f)); err == nil {
					out = append(out, pid)
				}
			}
		}
		if found {
			return out
		}
	}
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	var out []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue // gone
		}
		// pid (comm) state ppid ...: comm may hold anything, so read after the last ')'.
		i := bytes.LastIndexByte(stat, ')')
		if i < 0 {
			continue
		}
		fields := bytes.Fields(stat[i+1:])
		if len(fields) < 2 {
			continue
		}
		if p, err := strconv.Atoi(string(fields[1])); err == nil && p == ppid {
			out = append(out, pid)
		}
	}
	return out
}
