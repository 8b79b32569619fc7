//go:build unix

package testutil

import (
	"bytes"
	"os"
	"strconv"
	"syscall"
)

// Running reports whether pid is a process that has not exited: a zombie,
// which has, is not running. Without procfs, kill(pid, 0) decides.
func Running(pid int) bool {
	if err := syscall.Kill(pid, 0); err != nil {
		return false
	}
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		_, noProc := os.Stat("/proc/self/stat")
		return noProc != nil
	}
	// pid (comm) STATE ...: comm may hold anything, so look after the last ')'.
	rest := bytes.TrimSpace(stat[bytes.LastIndexByte(stat, ')')+1:])
	return !bytes.HasPrefix(rest, []byte("Z")) && !bytes.HasPrefix(rest, []byte("X"))
}
