package main

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/mixbox/mixbox/internal/testutil"
)

// copyCache copies the shared compiled cache into a new private directory
// and returns it with the path of its largest file: the compiled exec module.
func copyCache(t *testing.T) (dir string, entries []string) {
	t.Helper()
	dir = filepath.Join(t.TempDir(), "cache")
	testutil.CopyTree(t, cacheDir, dir)
	require.NoError(t, os.Chmod(dir, 0o700))
	entries = compiledEntries(t, dir)
	require.NotEmpty(t, entries, "the shared cache holds the compiled exec module")
	return dir, entries
}

// compiledEntries are the compiled modules in the cache dir: its files over
// 1 MiB but the initialization images. A cache kept between test runs also
// holds the exec modules of earlier builds.
func compiledEntries(t *testing.T, dir string) []string {
	t.Helper()
	var entries []string
	require.NoError(t, filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.HasSuffix(p, ".init") {
			return err
		}
		if fi, err := d.Info(); err == nil && fi.Size() > 1<<20 {
			entries = append(entries, p)
		}
		return nil
	}))
	return entries
}

// TestRun_damagedCache_compiler: a compile-cache entry damaged in any way
// (bytes flipped in its header or body, truncated, emptied) never crashes
// mixbox and never fails the run: the first run warns once, naming what is
// wrong, and compiles the module again (which needs the compiler); the next
// run is warm and quiet.
func TestRun_damagedCache_compiler(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		damage func(t *testing.T, p string)
		want   string
	}{
		{"bytes flipped in the header", func(t *testing.T, p string) { flipAt(t, p, 16, 8) }, "its header is damaged"},
		{"bytes flipped in the body", func(t *testing.T, p string) { flipAt(t, p, 100000, 4) }, "its body is damaged"},
		{"truncated", func(t *testing.T, p string) { require.NoError(t, os.Truncate(p, 1000000)) }, "it is truncated"},
		{"empty", func(t *testing.T, p string) { require.NoError(t, os.Truncate(p, 0)) }, "it is empty"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cache, entries := copyCache(t)
			for _, entry := range entries {
				tc.damage(t, entry)
			}
			env := []string{"PATH=/usr/bin:/bin", "HOME=" + t.TempDir(), "MIXBOX_CACHE_DIR=" + cache}
			root := newRoot(t, helloManifest, nil)
			args := append([]string{"run", "--cnab-root", root, "--action", "install"}, helloInputs()...)
			code, stdout, stderr := runCLI(t, env, args...)
			require.Equal(t, 0, code, stdout+stderr)
			require.Equal(t, 1, strings.Count(stderr, "warning: discarded the compile-cache entry"), stderr)
			require.Contains(t, stderr, tc.want)
			require.Contains(t, stdout, "Hello world")
			require.NotEmpty(t, compiledEntries(t, cache), "the entry is written again")

			code, stdout, stderr = runCLI(t, env, args...)
			require.Equal(t, 0, code, stdout+stderr)
			require.NotContains(t, stderr, "warning", "the repaired entry loads")
		})
	}
}

// TestRun_unsafeCacheDir: compiled code is never loaded from a cache
// directory another user can write; the run says why once and goes on, on
// the interpreter.
func TestRun_unsafeCacheDir(t *testing.T) {
	t.Parallel()
	cache, entries := copyCache(t)
	require.NoError(t, os.Chmod(cache, 0o777))
	env := []string{"PATH=/usr/bin:/bin", "HOME=" + t.TempDir(), "MIXBOX_CACHE_DIR=" + cache}
	root := newRoot(t, helloManifest, nil)
	code, stdout, stderr := runCLI(t, env, append([]string{"run", "--cnab-root", root, "--action", "install", "--log-format", "json"}, helloInputs()...)...)
	require.Equal(t, 0, code, stdout+stderr)
	var warnings, engines []string
	for _, e := range jsonEvents(t, stdout) {
		switch e["event"] {
		case "warning":
			warnings = append(warnings, e["text"].(string))
		case "step_end":
			engines = append(engines, e["engine"].(string))
		}
	}
	require.Len(t, warnings, 1, stdout)
	require.Contains(t, warnings[0], "the compile cache is not used")
	require.Contains(t, warnings[0], cache+" can be written by its group and others (mode 0777)")
	require.Contains(t, warnings[0], "chmod go-w")
	require.Equal(t, []string{"interpreter"}, engines)
	require.Equal(t, entries, compiledEntries(t, cache), "the cache is left alone")
}

// flipAt inverts n bytes of the file p from off.
func flipAt(t *testing.T, p string, off int64, n int) {
	t.Helper()
	f, err := os.OpenFile(p, os.O_RDWR, 0)
	require.NoError(t, err)
	defer func() { require.NoError(t, f.Close()) }()
	b := make([]byte, n)
	_, err = f.ReadAt(b, off)
	require.NoError(t, err)
	for i := range b {
		b[i] ^= 0xff
	}
	_, err = f.WriteAt(b, off)
	require.NoError(t, err)
}
