package seed

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"hash/crc32"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/stretchr/testify/require"
)

const testDir = "mixbox1-wazero-v1.12.0-amd64-linux"

// fakeCache lays out what `mixbox precompile` writes for one module, with
// made-up contents, and returns the module's sum, entry key and stand-in key.
func fakeCache(t *testing.T, root string) (sum, entry, stub [32]byte) {
	t.Helper()
	sum, entry, stub = sha256.Sum256([]byte("module")), sha256.Sum256([]byte("entry")), sha256.Sum256([]byte("stub"))
	img := sha256.Sum256([]byte("image"))
	code := make([]byte, 3<<20)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range code {
		code[i] = byte(rng.IntN(4)) // compressible, as compiled code is
	}
	files := map[string][]byte{
		"mixbox-" + hex.EncodeToString(sum[:]) + ".compiled":             nil,
		"mixbox-" + hex.EncodeToString(sum[:]) + ".reactor1":             []byte("0"),
		testDir + "/" + hex.EncodeToString(entry[:]):                     code,
		testDir + "/" + hex.EncodeToString(sum[:]) + ".alias":            []byte("alias"),
		testDir + "/" + hex.EncodeToString(img[:]) + ".init":             bytes.Repeat([]byte("i"), 70000),
		testDir + "/.mixbox-123":                                         []byte("a temporary file is left out"),
		"mixbox-" + hex.EncodeToString(sum[:]) + ".filling":              []byte("a claim is left out"),
		testDir + "/" + hex.EncodeToString(stub[:]) + "-not-a-cachefile": []byte("left out"),
	}
	for name, b := range files {
		p := filepath.Join(root, filepath.FromSlash(name))
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o700))
		require.NoError(t, os.WriteFile(p, b, 0o600))
	}
	return sum, entry, stub
}

// tree returns the regular files under root and their contents.
func tree(t *testing.T, root string) map[string]string {
	t.Helper()
	out := map[string]string{}
	require.NoError(t, filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		rel, _ := filepath.Rel(root, p)
		out[filepath.ToSlash(rel)] = string(b)
		return err
	}))
	return out
}

// makeExe writes an executable stand-in and appends the seed of root.
func makeExe(t *testing.T, root string, sum, entry, stub [32]byte) (exe string, payload []byte) {
	t.Helper()
	payload, err := Make(root, func(s [32]byte) ([32]byte, [32]byte, bool) { return entry, stub, s == sum })
	require.NoError(t, err)
	exe = filepath.Join(t.TempDir(), "mixbox")
	require.NoError(t, os.WriteFile(exe, []byte("\x7fELF the program"), 0o755))
	require.NoError(t, Append(exe, payload))
	return exe, payload
}

// TestSeed_roundTrip: the files a seed is made of unpack as they were, and
// nothing else of the cache goes in; the executable keeps its own bytes;
// appending again replaces the seed; the same files make the same seed.
func TestSeed_roundTrip(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	sum, entry, stub := fakeCache(t, root)
	exe, payload := makeExe(t, root, sum, entry, stub)

	s, err := Open(exe)
	require.NoError(t, err)
	require.NotNil(t, s)
	require.Equal(t, testDir, s.Dir())
	require.Equal(t, []Module{{Sum: sum, Stub: stub}}, s.Modules())
	got, ok := s.Stub(sum)
	require.True(t, ok)
	require.Equal(t, stub, got)
	_, ok = s.Stub(stub)
	require.False(t, ok, "a module the seed does not hold")

	dst := t.TempDir()
	require.NoError(t, s.Unpack(dst))
	want := tree(t, root)
	for name := range want {
		if s.kind(name) == none {
			delete(want, name)
		}
	}
	require.Len(t, want, 5)
	require.Equal(t, want, tree(t, dst))

	b, err := os.ReadFile(exe)
	require.NoError(t, err)
	require.True(t, bytes.HasPrefix(b, []byte("\x7fELF the program")))
	size := len(b)
	require.NoError(t, Append(exe, payload))
	b, err = os.ReadFile(exe)
	require.NoError(t, err)
	require.Len(t, b, size, "a second seed replaces the first")

	again, err := Make(root, func(s [32]byte) ([32]byte, [32]byte, bool) { return entry, stub, s == sum })
	require.NoError(t, err)
	require.Equal(t, payload, again, "the same files make the same seed")
	require.Less(t, len(payload), 2<<20, "the files are compressed (3 MB of code)")
}

// TestOpen_none: a file that carries no seed has none, and no error.
func TestOpen_none(t *testing.T) {
	t.Parallel()
	for _, b := range [][]byte{nil, []byte("short"), bytes.Repeat([]byte("x"), 4096)} {
		p := filepath.Join(t.TempDir(), "exe")
		require.NoError(t, os.WriteFile(p, b, 0o755))
		s, err := Open(p)
		require.NoError(t, err)
		require.Nil(t, s)
	}
	_, err := Open(filepath.Join(t.TempDir(), "missing"))
	require.ErrorIs(t, err, fs.ErrNotExist)
}

// TestMake_refuses: a cache that is not one precompile's gives no seed.
func TestMake_refuses(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	sum, entry, stub := fakeCache(t, root)
	_, err := Make(root, func([32]byte) ([32]byte, [32]byte, bool) { return entry, stub, false })
	require.ErrorContains(t, err, "has no alias")
	require.NoError(t, os.Mkdir(filepath.Join(root, "mixbox1-wazero-v1.11.0-amd64-linux"), 0o700))
	_, err = Make(root, func([32]byte) ([32]byte, [32]byte, bool) { return entry, stub, true })
	require.ErrorContains(t, err, "2 entry directories")
	_, err = Make(t.TempDir(), func([32]byte) ([32]byte, [32]byte, bool) { return sum, stub, true })
	require.ErrorContains(t, err, "0 entry directories")
}

// TestSeed_damaged: a seed damaged anywhere is refused, by Open when its
// header or trailer is, by Unpack before it writes anything when its body
// is.
func TestSeed_damaged(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	sum, entry, stub := fakeCache(t, root)
	exe, payload := makeExe(t, root, sum, entry, stub)
	clean, err := os.ReadFile(exe)
	require.NoError(t, err)
	start := len(clean) - trailerSize - len(payload)
	s, err := Open(exe)
	require.NoError(t, err)
	bodyAt := int(s.bodyAt)

	rng := rand.New(rand.NewPCG(3, 4))
	var offsets []int
	for i := start; i < bodyAt; i++ { // every byte of the header
		offsets = append(offsets, i)
	}
	for range 64 { // bytes of the body
		offsets = append(offsets, bodyAt+rng.IntN(len(clean)-trailerSize-bodyAt))
	}
	offsets = append(offsets, len(clean)-trailerSize, len(clean)-trailerSize+3) // the length
	for _, at := range offsets {
		b := bytes.Clone(clean)
		b[at] ^= 0x5a
		p := filepath.Join(t.TempDir(), "exe")
		require.NoError(t, os.WriteFile(p, b, 0o755))
		s, err := Open(p)
		if err != nil {
			require.ErrorIs(t, err, ErrDamaged, "offset %d", at)
			continue
		}
		require.NotNil(t, s, "offset %d", at)
		dst := t.TempDir()
		require.ErrorIs(t, s.Unpack(dst), ErrDamaged, "offset %d", at)
		require.Empty(t, tree(t, dst), "offset %d: nothing is written", at)
	}
	// The magic damaged: no seed, which is not an error.
	b := bytes.Clone(clean)
	b[len(b)-1] ^= 1
	p := filepath.Join(t.TempDir(), "exe")
	require.NoError(t, os.WriteFile(p, b, 0o755))
	s, err = Open(p)
	require.NoError(t, err)
	require.Nil(t, s)
}

// craft returns an executable whose seed holds the records given, made
// with valid checksums: what a hostile seed could hold.
func craft(t testing.TB, recs func(body *bytes.Buffer)) string {
	var body bytes.Buffer
	recs(&body)
	payload := appendHeader(nil, testDir, []Module{{}}, int64(body.Len()), crc32.Checksum(body.Bytes(), castagnoli()))
	payload = append(payload, body.Bytes()...)
	p := filepath.Join(t.TempDir(), "exe")
	require.NoError(t, os.WriteFile(p, []byte("program"), 0o755))
	require.NoError(t, Append(p, payload))
	return p
}

// TestUnpack_hostile: records that name a path out of the cache, a file no
// cache holds, or that unpack to more than they say are refused, and
// nothing lands outside the cache directory.
func TestUnpack_hostile(t *testing.T) {
	t.Parallel()
	key := hex.EncodeToString(make([]byte, 32))
	names := []string{
		"../escape", "/etc/passwd", testDir + "/../../escape", testDir + "/" + key + "/x",
		"other-dir/" + key, "mixbox-x.compiled", testDir + "/" + key + ".exe", "mixbox-" + key + ".compiled/x",
		"mixbox-" + key + ".COMPILED", testDir + "/" + key[:63] + "G", "", key + ".compiled", key,
	}
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			exe := craft(t, func(body *bytes.Buffer) { require.NoError(t, appendRecord(body, name, []byte("x"))) })
			s, err := Open(exe)
			require.NoError(t, err)
			parent := t.TempDir()
			dst := filepath.Join(parent, "cache")
			require.ErrorIs(t, s.Unpack(dst), ErrDamaged)
			require.Empty(t, tree(t, parent), "nothing is written")
		})
	}

	t.Run("more than its size", func(t *testing.T) {
		t.Parallel()
		exe := craft(t, func(body *bytes.Buffer) {
			var rec bytes.Buffer
			require.NoError(t, appendRecord(&rec, testDir+"/"+key, bytes.Repeat([]byte("z"), 5<<20)))
			b := rec.Bytes()
			binary.LittleEndian.PutUint64(b[2+len(testDir)+1+64:], 10) // says 10 bytes
			body.Write(b)
		})
		s, err := Open(exe)
		require.NoError(t, err)
		dst := t.TempDir()
		require.ErrorIs(t, s.Unpack(dst), ErrDamaged)
		for name, b := range tree(t, dst) {
			require.LessOrEqual(t, len(b), 10, name)
		}
	})
	t.Run("a marker only after the rest", func(t *testing.T) {
		t.Parallel()
		exe := craft(t, func(body *bytes.Buffer) {
			require.NoError(t, appendRecord(body, "mixbox-"+key+".compiled", nil))
			require.NoError(t, appendRecord(body, "../escape", []byte("x")))
		})
		s, err := Open(exe)
		require.NoError(t, err)
		dst := t.TempDir()
		require.ErrorIs(t, s.Unpack(dst), ErrDamaged)
		require.Empty(t, tree(t, dst), "no marker says a module is compiled when its files are not all there")
	})
}

// FuzzOpen: no bytes at the end of a file make Open or Unpack panic, hang
// or write a file a cache does not hold.
func FuzzOpen(f *testing.F) {
	root := f.TempDir()
	sum, entry, stub := fakeCache(&testing.T{}, root)
	payload, err := Make(root, func(s [32]byte) ([32]byte, [32]byte, bool) { return entry, stub, s == sum })
	if err != nil {
		f.Fatal(err)
	}
	f.Add(payload[:min(len(payload), 4096)])
	var small bytes.Buffer
	if err := appendRecord(&small, testDir+"/"+hex.EncodeToString(entry[:]), []byte("code")); err != nil {
		f.Fatal(err)
	}
	f.Add(append(appendHeader(nil, testDir, []Module{{}}, int64(small.Len()), crc32.Checksum(small.Bytes(), castagnoli())), small.Bytes()...))
	f.Fuzz(func(t *testing.T, payload []byte) {
		dir := t.TempDir()
		exe := filepath.Join(dir, "exe")
		b := append([]byte("program"), payload...)
		b = binary.LittleEndian.AppendUint64(b, uint64(len(payload)))
		require.NoError(t, os.WriteFile(exe, append(b, trailerMagic...), 0o755))
		s, err := Open(exe)
		if err != nil || s == nil {
			return
		}
		dst := filepath.Join(dir, "cache")
		if err := s.Unpack(dst); err != nil && !errors.Is(err, ErrDamaged) {
			t.Fatalf("Unpack: %v", err)
		}
		var names []string
		for name := range tree(t, dir) {
			names = append(names, name)
		}
		sort.Strings(names)
		for _, name := range names {
			rel, ok := bytes.CutPrefix([]byte(name), []byte("cache/"))
			if name == "exe" {
				continue
			}
			require.True(t, ok && s.kind(string(rel)) != none, "wrote %s", name)
		}
	})
}
