package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/mixbox/mixbox/internal/testutil"
)

// TestRun_seed_compiler: a mixbox that carries its built-in's compiled code,
// as make build makes it (precompile, then host/internal/cmd/mkseed), runs
// a bundle warm on an empty cache: the cache holds the compiled module as
// the run ends, the same bytes precompile wrote, with no warning; the next
// run is warm too.
func TestRun_seed_compiler(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	mixbox := filepath.Join(dir, "mixbox")
	testutil.CopyFile(t, builds.Binary(t, "./cmd/mixbox", "mixbox"), mixbox)
	seeded := filepath.Join(dir, "seed-cache")
	out, err := exec.Command(mixbox, "precompile", "--cache-dir", seeded).CombinedOutput()
	require.NoError(t, err, string(out))
	out, err = exec.Command(builds.Binary(t, "./host/internal/cmd/mkseed", "mkseed"), "-cache", seeded, mixbox).CombinedOutput()
	require.NoError(t, err, string(out))
	require.Contains(t, string(out), "carries 1 module(s)")

	cache := filepath.Join(dir, "cache")
	root := newRoot(t, helloManifest, nil)
	for range 2 {
		cmd := exec.Command(mixbox, append([]string{"run", "--cnab-root", root, "--action", "install"}, helloInputs()...)...)
		cmd.Env = []string{"PATH=/usr/bin:/bin", "HOME=" + t.TempDir(), "MIXBOX_CACHE_DIR=" + cache}
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		require.NoError(t, cmd.Run(), stdout.String()+stderr.String())
		require.Contains(t, stdout.String(), "Hello world")
		require.NotContains(t, stderr.String(), "warning")

		marks, err := filepath.Glob(filepath.Join(cache, "mixbox-*.compiled"))
		require.NoError(t, err)
		require.Len(t, marks, 1, "the module is compiled as the run ends")
		want := compiledEntries(t, seeded)
		got := compiledEntries(t, cache)
		require.Len(t, got, 1)
		require.Len(t, want, 1)
		a, err := os.ReadFile(want[0])
		require.NoError(t, err)
		b, err := os.ReadFile(got[0])
		require.NoError(t, err)
		require.True(t, bytes.Equal(a, b), "the entry is the one precompile wrote")
	}
}
