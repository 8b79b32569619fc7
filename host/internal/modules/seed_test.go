package modules_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/mixbox/mixbox/host/internal/compcache"
	"github.com/mixbox/mixbox/host/internal/modules"
	"github.com/mixbox/mixbox/host/internal/seed"
	"github.com/mixbox/mixbox/mixins/exec/builtin"
)

// seedFile precompiles the built-in exec module into a new cache, as make
// build does, and returns a file carrying its seed; stub changes the
// stand-in key the seed gives (nil keeps it).
func seedFile(t *testing.T, stub func([32]byte) [32]byte) string {
	t.Helper()
	dir := t.TempDir()
	require.NoError(t, modules.Precompile(testCtx, modules.PrecompileOptions{
		Dir: dir, Sources: []modules.Source{{Name: "exec", Where: "exec (built-in)", Bin: builtin.Wasm()}},
	}))
	c, err := compcache.Open(dir)
	require.NoError(t, err)
	b, err := seed.Make(dir, func(sum [32]byte) (entry, key [32]byte, ok bool) {
		a, ok := c.Alias(sum)
		if stub != nil {
			a.Stub = stub(a.Stub)
		}
		return a.Entry, a.Stub, ok
	})
	require.NoError(t, err)
	exe := filepath.Join(t.TempDir(), "mixbox")
	require.NoError(t, os.WriteFile(exe, []byte("program"), 0o755))
	require.NoError(t, seed.Append(exe, b))
	return exe
}

// TestStore_seed_compiler: with a seed that holds the module for this CPU,
// a load into an empty cache is warm: compiled, not left cold, the cache
// filled; a seed made for another CPU is not unpacked and the module starts
// cold as without one.
func TestStore_seed_compiler(t *testing.T) {
	t.Parallel()
	bin := builtin.Wasm()
	markers := func(dir string) []string {
		m, err := filepath.Glob(filepath.Join(dir, "mixbox-*.compiled"))
		require.NoError(t, err)
		return m
	}

	dir := t.TempDir()
	s := modules.New(modules.Options{CacheDir: dir, CompileLater: true, Seed: seedFile(t, nil)})
	t.Cleanup(func() { _ = s.Close(testCtx) })
	l, err := s.Load(testCtx, "exec", "built-in exec", bin)
	require.NoError(t, err)
	require.False(t, l.Engine.Interpreter(), "the seed's compiled code runs")
	require.Empty(t, s.Cold(), "nothing is left to compile")
	require.Len(t, markers(dir), 1, "the cache holds the module")
	require.Empty(t, l.Notes)

	other := t.TempDir()
	s = modules.New(modules.Options{CacheDir: other, CompileLater: true, Seed: seedFile(t, func(k [32]byte) [32]byte { k[0] ^= 1; return k })})
	t.Cleanup(func() { _ = s.Close(testCtx) })
	l, err = s.Load(testCtx, "exec", "built-in exec", bin)
	require.NoError(t, err)
	require.True(t, l.Engine.Interpreter(), "code for another CPU is not used")
	require.Len(t, s.Cold(), 1)
	require.Empty(t, markers(other))
	entries, err := filepath.Glob(filepath.Join(other, "*", "*"))
	require.NoError(t, err)
	for _, e := range entries {
		fi, err := os.Stat(e)
		require.NoError(t, err)
		require.Less(t, fi.Size(), int64(1<<20), "%s: nothing of the seed is unpacked", e)
	}

	none := t.TempDir()
	s = modules.New(modules.Options{CacheDir: none, CompileLater: true, Seed: filepath.Join(t.TempDir(), "missing")})
	t.Cleanup(func() { _ = s.Close(testCtx) })
	l, err = s.Load(testCtx, "exec", "built-in exec", bin)
	require.NoError(t, err, "a seed file that cannot be read is no seed")
	require.True(t, l.Engine.Interpreter())
}
