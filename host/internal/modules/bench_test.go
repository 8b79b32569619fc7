package modules_test

import (
	"crypto/sha256"
	"encoding/hex"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/mixbox/mixbox/host/internal/modules"
	"github.com/mixbox/mixbox/internal/testutil"
	"github.com/mixbox/mixbox/mixins/exec/builtin"
)

// warmCache returns a cache dir that holds the built-in exec module
// compiled: MIXBOX_TEST_CACHE when make test filled it, else one this
// filled (a cold compile, which is why its users say _compiler).
func warmCache(tb testing.TB) string {
	tb.Helper()
	dir, fill, cleanup, err := testutil.SharedCache()
	require.NoError(tb, err)
	tb.Cleanup(cleanup)
	if fill {
		require.NoError(tb, modules.Precompile(testCtx, modules.PrecompileOptions{Dir: dir, Version: "test",
			Sources: []modules.Source{{Name: "exec", Where: modules.BuiltInWhere("exec"), Bin: builtin.Module()}}}))
	}
	return dir
}

// loadWarm is what every `mixbox run` process does first: a new Store on a
// warm cache loads the built-in exec module, with its sum known from the
// build (sums) or hashed.
func loadWarm(tb testing.TB, dir string, sums map[string][32]byte) modules.Loaded {
	s := modules.New(modules.Options{CacheDir: dir, Version: "test", Sums: sums})
	defer func() { _ = s.Close(testCtx) }() // the module is used after Close only for its Info
	l, err := s.Load(testCtx, "exec", modules.BuiltInWhere("exec"), builtin.Module())
	require.NoError(tb, err)
	return l
}

func knownSums(tb testing.TB) map[string][32]byte {
	b, err := hex.DecodeString(builtin.SHA256())
	require.NoError(tb, err)
	var sum [32]byte
	copy(sum[:], b)
	return map[string][32]byte{modules.BuiltInWhere("exec"): sum}
}

// TestBenchmarkStore_LoadWarm_compiler is BenchmarkStore_LoadWarm's twin:
// both ways the module loads compiled from the cache, named by its sha256.
func TestBenchmarkStore_LoadWarm_compiler(t *testing.T) {
	t.Parallel()
	dir := warmCache(t)
	for _, sums := range []map[string][32]byte{nil, knownSums(t)} {
		l := loadWarm(t, dir, sums)
		require.False(t, l.Engine.Interpreter(), "a cache hit loads compiled code")
		require.Equal(t, builtin.SHA256(), l.Module.Info().SHA256)
	}
}

// BenchmarkStore_LoadWarm is the module load on a cache hit, a process's
// largest cost before its first step: check, decode, validate (wazero
// validates every function again), read the compiled code. hash=computed
// adds the sha256 that a known sum saves.
func BenchmarkStore_LoadWarm(b *testing.B) {
	dir := warmCache(b)
	for _, bc := range []struct {
		name string
		sums map[string][32]byte
	}{{"hash=known", knownSums(b)}, {"hash=computed", nil}} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				loadWarm(b, dir, bc.sums)
			}
		})
	}
}

// TestBenchmarkModuleHash: the hash BenchmarkModuleHash times is the one
// make wasm embeds.
func TestBenchmarkModuleHash(t *testing.T) {
	t.Parallel()
	sum := sha256.Sum256(builtin.Module())
	require.Equal(t, builtin.SHA256(), hex.EncodeToString(sum[:]))
}

// BenchmarkModuleHash is one sha256 of the exec module: what each load
// paid three times before it was hashed once (and the built-in not at all).
func BenchmarkModuleHash(b *testing.B) {
	bin := builtin.Module()
	b.SetBytes(int64(len(bin)))
	b.ReportAllocs()
	for b.Loop() {
		sha256.Sum256(bin)
	}
}
