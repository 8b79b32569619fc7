//go:build unix

package compcache

import (
	"fmt"
	"io/fs"
	"os"
	"syscall"
)

// checkAccess refuses a directory that is not owned by the current user or
// root, or that its group or others can write.
func checkAccess(dir string, fi fs.FileInfo) error {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if uid := os.Geteuid(); ok && int(st.Uid) != uid && st.Uid != 0 {
		return fmt.Errorf("%w: %s belongs to uid %d, not to this user (uid %d)", ErrUnsafeDir, dir, st.Uid, uid)
	}
	perm := fi.Mode().Perm()
	var who string
	switch {
	case ok && st.Gid == 0 && perm&0o002 == 0:
		// Group 0 is root's: Porter's images make /cnab group-writable
		// (chmod -R g=u) for a non-root user in group 0, and the cache
		// there is the image's own.
		return nil
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
