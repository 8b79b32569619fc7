package procexec

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// LookPath finds the executable name on the PATH value pathEnv and returns
// its absolute path. Relative entries, "" (which means ".") included, are
// taken from dir; a name found through one is refused with an error
// matching exec.ErrDot. A name not found, an empty name and a name with a
// separator (which is a path, not a name to look up) give an error matching
// exec.ErrNotFound. Errors are *exec.Error, worded as os/exec words them.
func LookPath(name, pathEnv, dir string) (string, error) {
	if name == "" || strings.ContainsRune(name, '/') || strings.ContainsRune(name, filepath.Separator) {
		return "", &exec.Error{Name: name, Err: exec.ErrNotFound}
	}
	for _, entry := range filepath.SplitList(pathEnv) {
		if entry == "" {
			entry = "." // the shell's rule, and os/exec's
		}
		p := filepath.Join(entry, name)
		if filepath.IsAbs(p) {
			if executable(p) {
				return p, nil
			}
			continue
		}
		if executable(filepath.Join(dir, p)) {
			return "", &exec.Error{Name: name, Err: exec.ErrDot}
		}
	}
	return "", &exec.Error{Name: name, Err: exec.ErrNotFound}
}

// executable reports whether p is a regular file with an execute bit set,
// its symlinks followed.
func executable(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.Mode().IsRegular() && fi.Mode().Perm()&0o111 != 0
}
