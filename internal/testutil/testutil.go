package testutil

import (
	"fmt"
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

// porterCompatRestore is how to get the porter-compat cases back.
const porterCompatRestore = "they are committed with mixbox: restore them with `git checkout -- testdata/porter-compat`"

// PorterCompatDir returns testdata/porter-compat, the cases the real Porter
// ran and what it produced (its RUNNING.md and NOTICE.md). It fails the test
// when the directory is missing: a test that reads the cases must not pass
// without them.
func PorterCompatDir(t testing.TB) string {
	t.Helper()
	dir := filepath.Join(ModuleRoot(t), "testdata", "porter-compat")
	if _, err := os.Stat(filepath.Join(dir, "RUNNING.md")); err != nil {
		t.Fatalf("porter-compat cases not found at %s (%v); %s", dir, err, porterCompatRestore)
	}
	return dir
}

// PorterCompatCases returns the case directories of PorterCompatDir, sorted.
// It fails the test when there are none.
func PorterCompatCases(t testing.TB) []string {
	t.Helper()
	dir := PorterCompatDir(t)
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatalf("read porter-compat cases: %v", err)
	}
	var cases []string
	for _, e := range entries {
		if e.IsDir() {
			cases = append(cases, filepath.Join(dir, e.Name()))
		}
	}
	if len(cases) == 0 {
		t.Fatalf("no porter-compat case in %s; %s", dir, porterCompatRestore)
	}
	return cases
}

// PorterCompatFile returns the path of a file of the porter-compat cases
// (elem relative to PorterCompatDir, "state-upgrade", "files", ...). It
// fails the test when the file is missing.
func PorterCompatFile(t testing.TB, elem ...string) string {
	t.Helper()
	p := filepath.Join(append([]string{PorterCompatDir(t)}, elem...)...)
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("porter-compat file %s not found (%v); %s", p, err, porterCompatRestore)
	}
	return p
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
	CopyTreeExcept(t, src, dst, nil)
}

// CopyTreeExcept is CopyTree without the files and directories for which
// skip (when not nil) reports true, given their path relative to src.
func CopyTreeExcept(t testing.TB, src, dst string, skip func(rel string, dir bool) bool) {
	t.Helper()
	err := filepath.Walk(src, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		if skip != nil && rel != "." && skip(rel, fi.IsDir()) {
			if fi.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		target := filepath.Join(dst, rel)
		if fi.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		return copyFile(p, target, fi.Mode())
	})
	if err != nil {
		t.Fatalf("copy %s to %s: %v", src, dst, err)
	}
}

// CopyFile copies the file src to dst, making dst's directory and keeping
// src's mode (plus the owner's write bit). An executable is copied by cp(1):
// a file this process had open for writing could not be run for a moment
// (ETXTBSY), as a fork made meanwhile by another goroutine holds the
// descriptor until it execs (Go issue 22315).
func CopyFile(t testing.TB, src, dst string) {
	t.Helper()
	fi, err := os.Stat(src)
	if err == nil {
		err = os.MkdirAll(filepath.Dir(dst), 0o755)
	}
	if err == nil {
		err = copyFile(src, dst, fi.Mode())
	}
	if err != nil {
		t.Fatalf("copy %s to %s: %v", src, dst, err)
	}
}

func copyFile(src, dst string, mode os.FileMode) error {
	if mode.Perm()&0o111 == 0 {
		data, err := os.ReadFile(src)
		if err != nil {
			return err
		}
		return os.WriteFile(dst, data, mode.Perm()|0o200)
	}
	if out, err := exec.Command("cp", "-p", src, dst).CombinedOutput(); err != nil {
		return fmt.Errorf("cp %s %s: %w: %s", src, dst, err, out)
	}
	return os.Chmod(dst, mode.Perm()|0o200)
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
