//go:build unix

package compcache

import (
	"fmt"
	"os"
	"syscall"
)

// checkDir refuses a directory that is not owned by the current user or
// root, or that its group or others can write (sticky or not: anyone who
// can create a file there can plant an entry).
func checkDir(dir string) error {
	fi, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("check %s: %w", dir, err)
	}
	if !fi.IsDir() {
		return fmt.Errorf("check %s: not a directory", dir)
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		if uid := os.Geteuid(); int(st.Uid) != uid && st.Uid != 0 {
			return fmt.Errorf("%w: %s belongs to uid %d, not to this user (uid %d)", ErrUnsafeDir, dir, st.Uid, uid)
		}
	}
	perm := fi.Mode().Perm()
	var who string
	switch {
	case perm&0o022 == 0o022:
		who = "its group and others"
	case perm&0o020 != 0:
		who = "its group"
	case perm&0o002 != 0:
		who = "others"
	default:
		return nil
	}
	return fmt.Errorf("%w: %s can be written by %s (mode %04o)", ErrUnsafeDir, dir, who, perm)
}
