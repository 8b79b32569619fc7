package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
)

// canChroot reports whether this process may make mount namespaces and
// chroot: it runs as root.
func canChroot() bool { return os.Geteuid() == 0 }

// reexecInNamespace runs this program again in a private mount namespace
// (Go makes / private in it), so that its bind mounts vanish with it.
func reexecInNamespace(ctx context.Context, args []string, stdout, stderr io.Writer) (int, error) {
	self, err := os.Executable()
	if err != nil {
		return 0, fmt.Errorf("find this program: %w", err)
	}
	cmd := exec.CommandContext(ctx, self, append([]string{"-in-namespace"}, args[1:]...)...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, stdout, stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Unshareflags: syscall.CLONE_NEWNS}
	err = cmd.Run()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode(), nil
	}
	if err != nil {
		return 0, fmt.Errorf("start in a mount namespace: %w", err)
	}
	return 0, nil
}

// systemDirs are the host directories every chroot gets: bind-mounted, or
// the same symlink when the host's is one (merged /usr).
func systemDirs() []string { return []string{"usr", "etc", "dev", "bin", "lib", "lib64", "sbin"} }

// mountSystem makes root a chroot with the host's system directories, /proc
// and an empty /tmp and /root; it returns the mount points to unmount.
func mountSystem(root string) ([]string, error) {
	var mounted []string
	for _, d := range systemDirs() {
		src := "/" + d
		fi, err := os.Lstat(src)
		if err != nil {
			continue // e.g. no /lib64
		}
		dst := filepath.Join(root, d)
		if fi.Mode()&os.ModeSymlink != 0 {
			target, err := os.Readlink(src)
			if err != nil {
				return mounted, fmt.Errorf("read link %s: %w", src, err)
			}
			if err := os.Symlink(target, dst); err != nil {
				return mounted, fmt.Errorf("link %s: %w", dst, err)
			}
			continue
		}
		if err := os.MkdirAll(dst, 0o755); err != nil {
			return mounted, fmt.Errorf("make %s: %w", dst, err)
		}
		if err := syscall.Mount(src, dst, "", syscall.MS_BIND|syscall.MS_REC, ""); err != nil {
			return mounted, fmt.Errorf("bind-mount %s on %s: %w", src, dst, err)
		}
		mounted = append(mounted, dst)
	}
	for _, d := range []string{"tmp", "root", "proc"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			return mounted, fmt.Errorf("make %s: %w", d, err)
		}
	}
	if err := os.Chmod(filepath.Join(root, "tmp"), 0o1777); err != nil {
		return mounted, fmt.Errorf("chmod tmp: %w", err)
	}
	proc := filepath.Join(root, "proc")
	if err := syscall.Mount("proc", proc, "proc", 0, ""); err != nil {
		return mounted, fmt.Errorf("mount proc on %s: %w", proc, err)
	}
	return append(mounted, proc), nil
}

// unmount detaches a mount point made by mountSystem.
func unmount(dir string) error {
	if err := syscall.Unmount(dir, syscall.MNT_DETACH); err != nil {
		return fmt.Errorf("unmount %s: %w", dir, err)
	}
	return nil
}

// chrootAttr runs a command chroot'ed into root.
func chrootAttr(root string) *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Chroot: root, Setpgid: true}
}

// plainAttr runs a command in a process group of its own.
func plainAttr() *syscall.SysProcAttr { return &syscall.SysProcAttr{Setpgid: true} }

// usage returns the user+system CPU time and the peak RSS in bytes of a
// finished command (and of the processes it waited for).
func usage(ps *os.ProcessState) (cpuNanos int64, rss int64) {
	ru, ok := ps.SysUsage().(*syscall.Rusage)
	if !ok {
		return ps.UserTime().Nanoseconds() + ps.SystemTime().Nanoseconds(), 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano(), ru.Maxrss << 10
}

// alive reports whether a process exists (a zombie counts as gone).
func alive(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	i := bytes.LastIndexByte(b, ')')
	return i < 0 || i+2 >= len(b) || b[i+2] != 'Z'
}
