package wasm

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"slices"
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
	stub, _, _, err := standIn(bin, sha256.Sum256(bin))
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
		{"compiled code damaged", func(t *testing.T, c *compcache.Cache, a compcache.Alias) {
			// compcache's checksum leaves the code to wazero's own.
			p := filepath.Join(c.Dir(), hexKey(a.Entry))
			b, err := os.ReadFile(p)
			require.NoError(t, err)
			b[len(b)/2] ^= 0xff
			require.NoError(t, os.WriteFile(p, b, 0o600))
		}, "wazero could not load it"},
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
		stub, funcs, data, err := standIn(bin, sha256.Sum256(bin))
		require.NoError(t, err, name)
		orig, err := splitSections(bin)
		require.NoError(t, err)
		got, err := splitSections(stub)
		require.NoError(t, err)
		require.Len(t, got, len(orig)+1, name)
		for i, s := range orig {
			require.Equal(t, s.id, got[i].id, name)
			if s.id == secData && data != nil {
				segs, ok := activeData(got[i].payload)
				require.True(t, ok, name)
				want, _ := activeData(s.payload)
				require.Len(t, segs, len(want), "%s: as many segments", name)
				for j := range segs {
					assert.Equal(t, want[j].offset, segs[j].offset, "%s: segment %d at its offset", name, j)
					assert.Empty(t, segs[j].bytes, "%s: segment %d left out", name, j)
				}
				assert.Equal(t, want, data, "%s: the data left out is returned", name)
				continue
			}
			if s.id != secCode {
				assert.Equal(t, s.payload, got[i].payload, "%s: section %d is kept", name, s.id)
				continue
			}
			n, err := (&reader{b: s.payload}).u32()
			require.NoError(t, err)
			assert.Equal(t, n, funcs, name)
		}
		hasData := false
		if at := slices.IndexFunc(orig, func(s section) bool { return s.id == secData }); at >= 0 {
			_, hasData = activeData(orig[at].payload)
		}
		assert.Equal(t, hasData, data != nil, "%s: active data is left out", name)
		assert.Equal(t, standInSection, got[len(got)-1].name)
		e := newEngine(t, EngineOptions{})
		_, err = e.Load(testCtx, name, stub)
		require.NoError(t, err, "%s: the stand-in is a valid module", name)
	}
}

func hexKey(k [32]byte) string { return hex.EncodeToString(k[:]) }

func TestActiveData(t *testing.T) {
	t.Parallel()
	seg := func(b ...byte) []byte { return b }
	tests := []struct {
		name    string
		payload []byte
		want    []dataSegment
		ok      bool
	}{
		{"active at i32.const", seg(2, 0, 0x41, 0x10, 0x0b, 2, 'h', 'i', 0, 0x41, 0x80, 0x01, 0x0b, 1, '!'),
			[]dataSegment{{offset: 16, bytes: []byte("hi")}, {offset: 128, bytes: []byte("!")}}, true},
		{"negative offset is a large one", seg(1, 0, 0x41, 0x7f, 0x0b, 0), []dataSegment{{offset: 0xffffffff, bytes: []byte{}}}, true},
		{"passive", seg(1, 1, 2, 'h', 'i'), nil, false},
		{"another memory", seg(1, 2, 1, 0x41, 0, 0x0b, 0), nil, false},
		{"offset from a global", seg(1, 0, 0x23, 0, 0x0b, 0), nil, false},
		{"short", seg(1, 0, 0x41, 0, 0x0b, 5, 'a'), nil, false},
		{"trailing bytes", seg(0, 0), nil, false},
		{"empty", seg(0), []dataSegment{}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := activeData(tc.payload)
			require.Equal(t, tc.ok, ok)
			if ok {
				assert.Equal(t, tc.want, got)
				again, ok := activeData(emptyData(got))
				require.True(t, ok)
				require.Len(t, again, len(got))
				for i := range got {
					assert.Equal(t, got[i].offset, again[i].offset)
					assert.Empty(t, again[i].bytes)
				}
			}
		})
	}
}
