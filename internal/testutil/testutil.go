package testutil

import (
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
)

// ModuleRoot returns the directory of mixbox's go.mod.
func ModuleRoot(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatalf("getwd: %v", err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("go.mod not found above the test's directory")
		}
		dir = parent
	}
}

// SharedDir returns the shared/ directory beside the checkout (specs and
// porter-compat fixtures). It skips the test when it is missing, saying so.
func SharedDir(t testing.TB) string {
	t.Helper()
	dir := filepath.Join(ModuleRoot(t), "..", "shared")
	if _, err := os.Stat(filepath.Join(dir, "fixtures")); err != nil {
		t.Skipf("shared fixtures not found at %s: clone mixbox beside shared/ as CI does", dir)
	}
	return dir
}

// Builds caches binaries built for tests, one build per package path.
type Builds struct {
	mu   sync.Mutex
	dir  string
	done map[string]string
}

// NewBuilds returns a cache that builds into dir.
func NewBuilds(dir string) *Builds { return &Builds{dir: dir, done: map[string]string{}} }

// Binary builds the Go package pkg (a path relative to the module root,
// "./cmd/mixbox") with extra environment (GOOS=wasip1 ...) and returns the
// output path. Static (CGO_ENABLED=0) so it runs in a chroot.
func (b *Builds) Binary(t testing.TB, pkg, out string, env ...string) string {
	t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	key := pkg + " " + out
	if p, ok := b.done[key]; ok {
		return p
	}
	p := filepath.Join(b.dir, out)
	cmd := exec.Command("go", "build", "-trimpath", "-o", p, pkg)
	cmd.Dir = ModuleRoot(t)
	cmd.Env = append(append(os.Environ(), "CGO_ENABLED=0"), env...)
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build %s: %v\n%s", pkg, err, msg)
	}
	b.done[key] = p
	return p
}

// CopyTree copies the directory src into dst, keeping exec bits and making
// everything writable by its owner.
func CopyTree(t testing.TB, src, dst string) {
	t.Helper()
	err := filepath.Walk(src, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		target := filepath.Join(dst, rel)
		if fi.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(target, data, fi.Mode().Perm()|0o200)
	})
	if err != nil {
		t.Fatalf("copy %s to %s: %v", src, dst, err)
	}
}

// AddSeeds adds every file matching the glob pattern (relative to the
// test's package, e.g. "testdata/*.yaml") to f's seed corpus. It fails
// when nothing matches, so that a fuzz target never runs unseeded.
func AddSeeds(f *testing.F, pattern string) {
	f.Helper()
	files, err := filepath.Glob(pattern)
	if err != nil {
		f.Fatalf("seeds %s: %v", pattern, err)
	}
	if len(files) == 0 {
		f.Fatalf("seeds %s: no file matches", pattern)
	}
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatalf("seeds: %v", err)
		}
		f.Add(b)
	}
}
