package modules_test

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/mixbox/mixbox/host/internal/errkind"
	"github.com/mixbox/mixbox/host/internal/modules"
	"github.com/mixbox/mixbox/mixins/exec/builtin"
)

var testCtx = context.WithValue(context.Background(), testCtxKey{}, "modules")

type testCtxKey struct{}

// TestStore_Load_coldThenWarm: a module the cache does not hold yet runs
// on the interpreter while the compiler fills the cache; a new Store on the
// same cache then loads it compiled. The compile runs once per Store.
func TestStore_Load_coldThenWarm(t *testing.T) {
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

func TestStore_Load_noCacheDir(t *testing.T) {
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
	require.ErrorIs(t, modules.Precompile(testCtx, "", "test", nil, io.Discard), errkind.ErrNoCache)
	err := modules.Precompile(testCtx, t.TempDir(), "test", []modules.Source{{Name: "bad", Where: "bad.wasm", Bin: []byte("nope")}}, io.Discard)
	require.ErrorIs(t, err, errkind.ErrIncompatible)

	open := t.TempDir()
	require.NoError(t, os.Chmod(open, 0o777))
	err = modules.Precompile(testCtx, open, "test", []modules.Source{{Name: "exec", Where: "exec (built-in)", Bin: builtin.Wasm()}}, io.Discard)
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
