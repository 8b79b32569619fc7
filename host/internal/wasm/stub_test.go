package wasm

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mixbox/mixbox/host/internal/compcache"
)

// exitPlusOne is testdata/exit.wasm with one constant of its code changed:
// stdin "3" exits 4. Its stand-in differs from exit's only by the module
// sum it carries.
func exitPlusOne(t *testing.T) []byte {
	t.Helper()
	bin := bytes.Clone(guest(t, "exit"))
	i := bytes.LastIndex(bin, []byte{0x41, 0x30, 0x6b}) // i32.const 48, i32.sub
	require.Positive(t, i)
	bin[i+1] = 0x2f
	return bin
}

// exitCode runs m as one step with stdin.
func exitCode(t *testing.T, e *Engine, m *Module, stdin string) int {
	t.Helper()
	in := stepInput("install")
	in.Stdin = []byte(stdin)
	res, _ := NewRunner(e, m, RunnerOptions{}).Run(testCtx, in, (&stdio{}).io(false))
	return res.ExitCode
}

// TestStandIn_ownCode: two modules that differ only in their code, loaded
// through their stand-ins from one cache in one engine, each run their own
// code.
func TestStandIn_ownCode(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	bins := map[string][]byte{"exit": guest(t, "exit"), "exit+1": exitPlusOne(t)}
	first := newEngine(t, EngineOptions{CacheDir: dir})
	for name, bin := range bins {
		_, err := first.Load(testCtx, name, bin)
		require.NoError(t, err)
	}
	e := newEngine(t, EngineOptions{CacheDir: dir})
	want := map[string]int{"exit": 3, "exit+1": 4}
	for name, bin := range bins {
		m, err := e.Load(testCtx, name, bin)
		require.NoError(t, err)
		require.True(t, m.standIn, name)
		assert.Equal(t, want[name], exitCode(t, e, m, "3"), name)
	}
}

// TestStandIn_notAWayIn: the stand-in's bytes loaded as a mixin of their
// own are compiled as what they are (every function unreachable): the
// module's code is served only to the host's own stand-in compile.
func TestStandIn_notAWayIn(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	bin := guest(t, "exit")
	first := newEngine(t, EngineOptions{CacheDir: dir})
	_, err := first.Load(testCtx, "exit", bin)
	require.NoError(t, err)
	stub, _, err := standIn(bin, sha256.Sum256(bin))
	require.NoError(t, err)
	e := newEngine(t, EngineOptions{CacheDir: dir})
	m, err := e.Load(testCtx, "stub", stub)
	require.NoError(t, err)
	assert.False(t, m.standIn)
	in := stepInput("install")
	in.Stdin = []byte("3")
	res, err := NewRunner(e, m, RunnerOptions{}).Run(testCtx, in, (&stdio{}).io(false))
	require.ErrorIs(t, err, ErrTrap)
	assert.Contains(t, err.Error(), "unreachable")
	assert.Empty(t, res.Outputs, "the stand-in runs none of exit's code")
}

// TestStandIn_fallback: whatever is wrong with the alias or the entry it
// names, the module loads compiled whole and runs its own code, and the
// alias is learnt again so that the next load goes through the stand-in.
func TestStandIn_fallback(t *testing.T) {
	t.Parallel()
	bin := guest(t, "exit")
	sum := sha256.Sum256(bin)
	tests := []struct {
		name     string
		damage   func(t *testing.T, c *compcache.Cache, a compcache.Alias)
		wantNote string
	}{
		{"entry removed", func(t *testing.T, c *compcache.Cache, a compcache.Alias) {
			require.NoError(t, c.Delete(a.Entry))
		}, ""},
		{"entry damaged", func(t *testing.T, c *compcache.Cache, a compcache.Alias) {
			p := filepath.Join(c.Dir(), hexKey(a.Entry))
			b, err := os.ReadFile(p)
			require.NoError(t, err)
			b[len(b)-3] ^= 0xff
			require.NoError(t, os.WriteFile(p, b, 0o600))
		}, "its body is damaged"},
		{"learnt on another CPU", func(t *testing.T, c *compcache.Cache, a compcache.Alias) {
			a.Stub[0] ^= 0xff
			require.NoError(t, c.SetAlias(sum, a))
		}, ""},
		{"for another module", func(t *testing.T, c *compcache.Cache, a compcache.Alias) {
			a.Funcs++
			require.NoError(t, c.SetAlias(sum, a))
		}, ""},
		{"alias file damaged", func(t *testing.T, c *compcache.Cache, _ compcache.Alias) {
			p := filepath.Join(c.Dir(), hexKey(sum)+".alias")
			b, err := os.ReadFile(p)
			require.NoError(t, err)
			b[10] ^= 0xff
			require.NoError(t, os.WriteFile(p, b, 0o600))
		}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			first := newEngine(t, EngineOptions{CacheDir: dir})
			_, err := first.Load(testCtx, "exit", bin)
			require.NoError(t, err)
			a, ok := first.disk.Alias(sum)
			require.True(t, ok, "the first load learns the alias")
			tc.damage(t, first.disk, a)

			e := newEngine(t, EngineOptions{CacheDir: dir})
			m, err := e.Load(testCtx, "exit", bin)
			require.NoError(t, err)
			assert.False(t, m.standIn)
			assert.Equal(t, 3, exitCode(t, e, m, "3"))
			notes := e.TakeNotes()
			if tc.wantNote == "" {
				assert.Empty(t, notes)
			} else {
				require.Len(t, notes, 1)
				assert.Contains(t, notes[0], tc.wantNote)
			}

			again := newEngine(t, EngineOptions{CacheDir: dir})
			m, err = again.Load(testCtx, "exit", bin)
			require.NoError(t, err)
			assert.True(t, m.standIn, "the alias is learnt again")
			assert.Equal(t, 3, exitCode(t, again, m, "3"))
		})
	}
}

// TestStandIn_shape: the stand-in keeps every section but the code, and
// wazero accepts it.
func TestStandIn_shape(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"hello", "exit", "reactor", "exec", "grow"} {
		bin := guest(t, name)
		stub, funcs, err := standIn(bin, sha256.Sum256(bin))
		require.NoError(t, err, name)
		orig, err := splitSections(bin)
		require.NoError(t, err)
		got, err := splitSections(stub)
		require.NoError(t, err)
		require.Len(t, got, len(orig)+1, name)
		for i, s := range orig {
			require.Equal(t, s.id, got[i].id, name)
			if s.id != secCode {
				assert.Equal(t, s.payload, got[i].payload, "%s: section %d is kept", name, s.id)
				continue
			}
			n, err := (&reader{b: s.payload}).u32()
			require.NoError(t, err)
			assert.Equal(t, n, funcs, name)
		}
		assert.Equal(t, standInSection, got[len(got)-1].name)
		e := newEngine(t, EngineOptions{})
		_, err = e.Load(testCtx, name, stub)
		require.NoError(t, err, "%s: the stand-in is a valid module", name)
	}
}

func hexKey(k [32]byte) string { return hex.EncodeToString(k[:]) }
