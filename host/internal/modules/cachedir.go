package modules

import (
	"os"
	"path/filepath"

	"github.com/mixbox/mixbox/internal/environ"
)

// ImageCacheDir is the compiled-module cache inside an invocation image:
// outside the bundle directory, so steps never see it.
const ImageCacheDir = "/cnab/.mixbox/cache"

// DefaultCacheDir is the cache of docs/spec/cli.md when none is given: in an
// invocation image (root "/" and /cnab/app exists) ImageCacheDir if it can be
// written, else the user cache dir ($XDG_CACHE_HOME/mixbox, else
// $HOME/.cache/mixbox, from env), so repeated local runs are warm. "" when
// there is none.
func DefaultCacheDir(root string, env []string) string {
	if root == "" || filepath.Clean(root) == "/" {
		if fi, err := os.Stat("/cnab/app"); err == nil && fi.IsDir() && writable(ImageCacheDir) {
			return ImageCacheDir
		}
	}
	if x, ok := environ.Lookup(env, "XDG_CACHE_HOME"); ok && filepath.IsAbs(x) {
		return filepath.Join(x, "mixbox")
	}
	if h, ok := environ.Lookup(env, "HOME"); ok && h != "" {
		return filepath.Join(h, ".cache", "mixbox")
	}
	return ""
}

// writable reports whether dir exists or can be made, and takes a file.
func writable(dir string) bool {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return false
	}
	f, err := os.CreateTemp(dir, ".probe-")
	if err != nil {
		return false
	}
	name := f.Name()
	_ = f.Close()
	_ = os.Remove(name) // only a probe
	return true
}
