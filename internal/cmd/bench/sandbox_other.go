//go:build !linux

package main

import (
	"context"
	"errors"
	"io"
	"os"
	"syscall"
)

func canChroot() bool { return false }

func reexecInNamespace(context.Context, []string, io.Writer, io.Writer) (int, error) {
	return 0, errors.New("mount namespaces need Linux")
}

func mountSystem(string) ([]string, error) { return nil, errors.New("chroots need Linux") }

func unmount(string) error { return nil }

func chrootAttr(string) *syscall.SysProcAttr { return nil }

func plainAttr() *syscall.SysProcAttr { return nil }

func usage(ps *os.ProcessState) (cpuNanos int64, rss int64) {
	return ps.UserTime().Nanoseconds() + ps.SystemTime().Nanoseconds(), 0
}

func alive(int) bool { return false }
