package modules_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/mixbox/mixbox/host/internal/errkind"
	"github.com/mixbox/mixbox/host/internal/modules"
	"github.com/mixbox/mixbox/mixins/exec/builtin"
)

var testCtx = context.WithValue(context.Background(), testCtxKey{}, "modules")

type testCtxKey struct{}

// TestStore_Load_coldThenWarm_compiler: a module the cache does not hold yet runs
// on the interpreter while the compiler fills the cache; a new Store on the
// same cache then loads it compiled. The compile runs once per Store.
func TestStore_Load_coldThenWarm_compiler(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	bin := builtin.Wasm()
	cold := modules.New(modules.Options{CacheDir: dir})
	l, err := cold.Load(testCtx, "exec", "built-in exec", bin)
	require.NoError(t, err)
	require.True(t, l.Engine.Interpreter(), "a cold module starts on the interpreter")
	again, err := cold.Load(testCtx, "exec", "built-in exec", bin)
	require.NoError(t, err)
	require.Same(t, l.Module, again.Module, "loaded once per Store")

	marks := func() []string {
		m, err := filepath.Glob(filepath.Join(dir, "mixbox-*.compiled"))
		require.NoError(t, err)
		return m
	}
	require.Eventually(t, func() bool { return len(marks()) == 1 }, 5*time.Minute, 50*time.Millisecond,
		"the background compile marks the module compiled")
	require.NoError(t, cold.Close(testCtx))

	warm := modules.New(modules.Options{CacheDir: dir})
	t.Cleanup(func() { _ = warm.Close(testCtx) })
	l, err = warm.Load(testCtx, "exec", "built-in exec", bin)
	require.NoError(t, err)
	require.False(t, l.Engine.Interpreter(), "a cached module loads compiled")
}

func TestStore_Load_noCacheDir_interpreter(t *testing.T) {
	t.Parallel()
	s := modules.New(modules.Options{Interpreter: true})
	t.Cleanup(func() { _ = s.Close(testCtx) })
	l, err := s.Load(testCtx, "exec", "built-in exec", builtin.Wasm())
	require.NoError(t, err)
	require.True(t, l.Engine.Interpreter())
}

func TestStore_Load_incompatible(t *testing.T) {
	t.Parallel()
	s := modules.New(modules.Options{Interpreter: true})
	t.Cleanup(func() { _ = s.Close(testCtx) })
	_, err := s.Load(testCtx, "bad", "bad.wasm", []byte("not wasm"))
	require.ErrorIs(t, err, errkind.ErrIncompatible)
	require.ErrorContains(t, err, "bad.wasm: incompatible mixin: mixin bad is not a WebAssembly module")
	require.Contains(t, errkind.Hint(err), "mixbox mixin inspect")
}

func TestPrecompile(t *testing.T) {
	t.Parallel()
	require.ErrorIs(t, modules.Precompile(testCtx, modules.PrecompileOptions{Version: "test"}), errkind.ErrNoCache)
	err := modules.Precompile(testCtx, modules.PrecompileOptions{Dir: t.TempDir(), Version: "test",
		Sources: []modules.Source{{Name: "bad", Where: "bad.wasm", Bin: []byte("nope")}}, Stdout: io.Discard})
	require.ErrorIs(t, err, errkind.ErrIncompatible)

	open := t.TempDir()
	require.NoError(t, os.Chmod(open, 0o777))
	err = modules.Precompile(testCtx, modules.PrecompileOptions{Dir: open, Version: "test", Sources: []modules.Source{{Name: "exec", Where: "exec (built-in)", Bin: builtin.Wasm()}}, Stdout: io.Discard})
	require.ErrorIs(t, err, errkind.ErrUsage, "a cache another user can write is never filled")
	require.ErrorContains(t, err, "can be written by its group and others")
	marks, err := filepath.Glob(filepath.Join(open, "mixbox-*.compiled"))
	require.NoError(t, err)
	require.Empty(t, marks)
}

func TestDefaultCacheDir(t *testing.T) {
	t.Parallel()
	_, statErr := os.Stat("/cnab/app")
	if statErr == nil {
		t.Skip("this machine has /cnab/app: it is an invocation image")
	}
	tests := []struct {
		name, root string
		env        []string
		want       string
	}{
		{"XDG_CACHE_HOME first", "/", []string{"HOME=/home/u", "XDG_CACHE_HOME=/x/cache"}, "/x/cache/mixbox"},
		{"then HOME/.cache", "", []string{"HOME=/home/u"}, "/home/u/.cache/mixbox"},
		{"a relative XDG_CACHE_HOME is ignored", "/", []string{"HOME=/home/u", "XDG_CACHE_HOME=rel"}, "/home/u/.cache/mixbox"},
		{"a local run uses the user cache too", "/tmp/root", []string{"HOME=/home/u"}, "/home/u/.cache/mixbox"},
		{"none", "/", nil, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tc.want, modules.DefaultCacheDir(tc.root, tc.env))
		})
	}
}

// TestStore_Load_compileLater_interpreter: with CompileLater a cold module
// runs on the interpreter, nothing compiles it, and Cold lists it once.
func TestStore_Load_compileLater_interpreter(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s := modules.New(modules.Options{CacheDir: dir, CompileLater: true})
	t.Cleanup(func() { _ = s.Close(testCtx) })
	for range 2 {
		l, err := s.Load(testCtx, "exec", "built-in exec", builtin.Wasm())
		require.NoError(t, err)
		require.True(t, l.Engine.Interpreter())
	}
	require.Equal(t, []modules.Cold{{Name: "exec", Where: "built-in exec"}}, s.Cold())
	marks, err := filepath.Glob(filepath.Join(dir, "mixbox-*"))
	require.NoError(t, err)
	for _, m := range marks {
		require.NotContains(t, m, ".compiled", "nothing compiled it")
	}
}

// TestPrecompile_claim: a background fill skips a module another live fill
// has claimed, takes over a claim older than FillTimeout, drops its claim
// when done, and skips a module the cache holds.
func TestPrecompile_claim(t *testing.T) {
	t.Parallel()
	bin, err := os.ReadFile(filepath.Join("..", "wasm", "testdata", "reactor.wasm"))
	require.NoError(t, err)
	sum := sha256.Sum256(bin)
	hexSum := hex.EncodeToString(sum[:])
	tests := []struct {
		name       string
		claimAge   time.Duration // 0: no claim
		wantMarked bool
	}{
		{"no claim: compiled and marked", 0, true},
		{"a live claim: skipped", time.Minute, false},
		{"a dead claim: taken over", modules.FillTimeout + time.Minute, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			claim := modules.Claim(dir, hexSum)
			if tc.claimAge > 0 {
				require.NoError(t, os.WriteFile(claim, []byte("1\n"), 0o644))
				old := time.Now().Add(-tc.claimAge)
				require.NoError(t, os.Chtimes(claim, old, old))
			}
			var out strings.Builder
			err := modules.Precompile(testCtx, modules.PrecompileOptions{Dir: dir, Version: "test", Claim: true, Stdout: &out,
				Sources: []modules.Source{{Name: "reactor", Where: "reactor.wasm", Bin: bin}}})
			require.NoError(t, err)
			_, err = os.Stat(modules.Marker(dir, hexSum))
			require.Equal(t, tc.wantMarked, err == nil, "marked compiled")
			_, err = os.Stat(claim)
			require.Equal(t, !tc.wantMarked, err == nil, "a fill drops its own claim and leaves another's")
			if tc.wantMarked {
				require.Contains(t, out.String(), "compiled reactor.wasm")
				out.Reset()
				require.NoError(t, modules.Precompile(testCtx, modules.PrecompileOptions{Dir: dir, Version: "test", Claim: true, Stdout: &out,
					Sources: []modules.Source{{Name: "reactor", Where: "reactor.wasm", Bin: bin}}}))
				require.Empty(t, out.String(), "a module the cache holds is skipped")
			}
		})
	}
}
