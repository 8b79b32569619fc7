package run

import (
	"path/filepath"
	"strings"
)

// paths maps the CNAB absolute paths a bundle names to where they are on this
// host: with a root, /cnab/app/x is <root>/cnab/app/x.
type paths struct {
	root string // "/" for the real paths
}

func newPaths(root string) paths {
	if root == "" {
		root = "/"
	}
	abs, err := filepath.Abs(root)
	if err == nil {
		root = abs
	}
	return paths{root: filepath.Clean(root)}
}

// onHost returns where the absolute bundle path p is on this host. A relative
// p is taken from the bundle directory, as Porter's runtime (cwd /cnab/app)
// does.
func (p paths) onHost(name string) string {
	if name == "" {
		return ""
	}
	if !filepath.IsAbs(name) {
		name = filepath.Join("/cnab/app", name)
	}
	return filepath.Join(p.root, filepath.Clean(name))
}

// isRooted reports whether the paths are mapped under a root.
func (p paths) isRooted() bool { return p.root != "/" }

func (p paths) bundleDir() string  { return p.onHost("/cnab/app") }
func (p paths) outputsDir() string { return p.onHost("/cnab/app/outputs") }
func (p paths) mixinOutputsDir() string {
	return p.onHost("/cnab/app/porter/outputs")
}
func (p paths) bundleJSON() string { return p.onHost("/cnab/bundle.json") }
func (p paths) stateBag() string   { return p.onHost("/porter/state.tgz") }

// cnabPath reports whether name is a CNAB absolute path (/cnab/..., /porter/...)
// that a root maps.
func cnabPath(name string) bool {
	clean := filepath.Clean(name)
	for _, top := range []string{"/cnab", "/porter"} {
		if clean == top || strings.HasPrefix(clean, top+"/") {
			return true
		}
	}
	return false
}
