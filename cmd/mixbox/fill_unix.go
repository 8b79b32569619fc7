//go:build unix

package main

import (
	"os"
	"path/filepath"
	"strconv"
	"syscall"
)

// detachAttr starts a process in a process group of its own, so that the
// signals of the run's group (a terminal's ^C) do not reach it. It stays in
// the run's session: a session of its own would be a scheduling group of
// its own (Linux's autogroup), where its nice value would not yield to
// other sessions' work.
func detachAttr() *syscall.SysProcAttr { return &syscall.SysProcAttr{Setpgid: true} }

// lowerPriority gives every thread of this process the lowest CPU
// priority (nice 19); threads made later inherit it. On Linux a priority is
// a thread's, so each is set.
func lowerPriority() {
	tasks, _ := filepath.Glob("/proc/self/task/*") // none outside Linux: the process is set below
	for _, t := range tasks {
		if tid, err := strconv.Atoi(filepath.Base(t)); err == nil {
			_ = syscall.Setpriority(syscall.PRIO_PROCESS, tid, 19) // best effort: a fill at normal priority still works
		}
	}
	_ = syscall.Setpriority(syscall.PRIO_PROCESS, os.Getpid(), 19) // as above
}
