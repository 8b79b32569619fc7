package compcache

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/tetratelabs/wazero"
)

var testCtx = context.WithValue(context.Background(), testCtxKey{}, "compcache")

type testCtxKey struct{}

// openTemp opens a cache in a new private directory.
func openTemp(t *testing.T) *Cache {
	t.Helper()
	c, err := Open(filepath.Join(t.TempDir(), "cache"))
	require.NoError(t, err)
	return c
}

// TestCache_Get_damaged: every kind of damage to an entry is caught before
// wazero would read it: the entry is removed, a note says what was wrong,
// and Get returns ErrDiscarded. An intact entry comes back byte for byte.
func TestCache_Get_damaged(t *testing.T) {
	t.Parallel()
	body := make([]byte, 300<<10)
	_, _ = rand.Read(body)
	key := Key{1, 2, 3}
	tests := []struct {
		name     string
		damage   func(t *testing.T, c *Cache, p string)
		wantNote string // "" for an intact entry
	}{
		{"intact", func(*testing.T, *Cache, string) {}, ""},
		{"empty", func(t *testing.T, _ *Cache, p string) { require.NoError(t, os.Truncate(p, 0)) }, "it is empty"},
		{"truncated in the header", func(t *testing.T, _ *Cache, p string) { require.NoError(t, os.Truncate(p, 20)) }, "truncated inside its header"},
		{"truncated in the body", func(t *testing.T, _ *Cache, p string) { require.NoError(t, os.Truncate(p, 100<<10)) }, "it is truncated (102400 of"},
		{"padded", func(t *testing.T, _ *Cache, p string) { appendTo(t, p, []byte("more")) }, "longer than the"},
		{"a flipped magic byte", func(t *testing.T, _ *Cache, p string) { flip(t, p, 0) }, "not a mixbox cache entry"},
		{"format 1", func(t *testing.T, _ *Cache, p string) {
			b, err := os.ReadFile(p)
			require.NoError(t, err)
			b[len(magic)-1] = 1
			require.NoError(t, os.WriteFile(p, b, 0o600))
		}, "it is in an older format (1; this mixbox writes 2)"},
		{"a flipped key byte", func(t *testing.T, _ *Cache, p string) { flip(t, p, 10) }, "its header is damaged (checksum mismatch)"},
		{"a flipped length byte", func(t *testing.T, _ *Cache, p string) { flip(t, p, 41) }, "its header is damaged (checksum mismatch)"},
		{"a flipped version length", func(t *testing.T, _ *Cache, p string) { flip(t, p, int64(fixedHeader-1)) }, "its header is damaged"},
		{"a flipped body byte", func(t *testing.T, _ *Cache, p string) { flip(t, p, 200<<10) }, "its body is damaged (checksum mismatch)"},
		{"the last byte flipped", func(t *testing.T, _ *Cache, p string) { fi, _ := os.Stat(p); flip(t, p, fi.Size()-1) }, "its body is damaged"},
		{"another key's entry", func(t *testing.T, c *Cache, p string) {
			other := Key{9}
			require.NoError(t, c.Add(other, bytes.NewReader(body)))
			require.NoError(t, os.Rename(c.path(other), p))
		}, "it holds another module"},
		{"another wazero's entry", func(t *testing.T, c *Cache, p string) {
			old := &Cache{dir: c.dir, version: "v0.0.1"}
			require.NoError(t, old.Add(key, bytes.NewReader(body)))
		}, "written by wazero v0.0.1"},
		{"wazero's own format", func(t *testing.T, _ *Cache, p string) {
			require.NoError(t, os.WriteFile(p, append([]byte("WAZEVO\x07v1.12.0"), body...), 0o600))
		}, "not a mixbox cache entry"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := openTemp(t)
			require.NoError(t, c.Add(key, bytes.NewReader(body)))
			p := c.path(key)
			tc.damage(t, c, p)
			rc, ok, err := c.Get(key)
			if tc.wantNote == "" {
				require.NoError(t, err)
				require.True(t, ok)
				got, err := io.ReadAll(rc)
				require.NoError(t, err)
				require.NoError(t, rc.Close())
				require.Equal(t, body, got)
				require.Empty(t, c.TakeNotes())
				return
			}
			require.ErrorIs(t, err, ErrDiscarded)
			require.False(t, ok)
			require.Nil(t, rc)
			notes := c.TakeNotes()
			require.Len(t, notes, 1, "one note per damaged entry")
			require.Contains(t, notes[0], tc.wantNote)
			require.Contains(t, notes[0], "the module is compiled again")
			require.NoFileExists(t, p, "a damaged entry is removed")
			require.Empty(t, c.TakeNotes(), "a note is taken once")
			rc, ok, err = c.Get(key)
			require.NoError(t, err)
			require.False(t, ok, "then it is a plain miss")
			require.Nil(t, rc)
		})
	}
}

func TestCache_Get_missing(t *testing.T) {
	t.Parallel()
	c := openTemp(t)
	rc, ok, err := c.Get(Key{7})
	require.NoError(t, err)
	require.False(t, ok)
	require.Nil(t, rc)
	require.Empty(t, c.TakeNotes())
	require.NoError(t, c.Delete(Key{7}), "deleting a missing entry is fine")
}

// TestCache_Add_atomic: Add leaves no temporary file behind and replaces an
// entry whole.
func TestCache_Add_atomic(t *testing.T) {
	t.Parallel()
	c := openTemp(t)
	key := Key{4}
	require.NoError(t, c.Add(key, bytes.NewReader([]byte("first"))))
	require.NoError(t, c.Add(key, bytes.NewReader([]byte("second, longer"))))
	entries, err := os.ReadDir(c.Dir())
	require.NoError(t, err)
	require.Len(t, entries, 1, "no temporary file is left")
	fi, err := entries[0].Info()
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), fi.Mode().Perm(), "entries are private")
	rc, ok, err := c.Get(key)
	require.NoError(t, err)
	require.True(t, ok)
	got, err := io.ReadAll(rc)
	require.NoError(t, err)
	require.NoError(t, rc.Close())
	require.Equal(t, "second, longer", string(got))

	require.NoError(t, c.Add(Key{5}, iotestErrReader{}), "a failed add never fails wazero's compile")
	notes := c.TakeNotes()
	require.Len(t, notes, 1)
	require.Contains(t, notes[0], "cannot write the compile-cache entry")
	entries, err = os.ReadDir(c.Dir())
	require.NoError(t, err)
	require.Len(t, entries, 1, "and leaves nothing")
}

type iotestErrReader struct{}

func (iotestErrReader) Read([]byte) (int, error) { return 0, io.ErrUnexpectedEOF }

// TestOpen_unsafeDir: a directory another user can write, or that is not
// the current user's, is refused and the error says why.
func TestOpen_unsafeDir(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		mode    os.FileMode
		sub     bool // damage the entry directory instead of the cache dir
		chown   bool
		group   int // with root, the directory's group (0 keeps it)
		wantErr string
	}{
		{"private", 0o700, false, false, 0, ""},
		{"readable by all", 0o755, false, false, 0, ""},
		{"world-writable", 0o777, false, false, 0, "can be written by its group and others (mode 0777)"},
		{"sticky and world-writable", os.ModeSticky | 0o777, false, false, 0, "can be written by its group and others"},
		{"group-writable", 0o770, false, false, 4242, "can be written by its group (mode 0770)"},
		{"other-writable", 0o703, false, false, 0, "can be written by others (mode 0703)"},
		{"the entry directory group-writable", 0o770, true, false, 4242, "can be written by its group"},
		{"another user's", 0o700, false, true, 0, "not to this user"},
		{"group-writable by group 0, as Porter's images", 0o775, false, false, -1, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := filepath.Join(t.TempDir(), "cache")
			c, err := Open(dir)
			require.NoError(t, err)
			target := dir
			if tc.sub {
				target = c.Dir()
			}
			require.NoError(t, os.Chmod(target, tc.mode))
			if tc.chown {
				if os.Geteuid() != 0 {
					t.Skip("giving a directory to another user needs root")
				}
				require.NoError(t, os.Chown(target, 4242, 4242))
			}
			switch {
			case tc.group != 0 && os.Geteuid() != 0:
				if tc.group < 0 {
					t.Skip("giving a directory to group 0 needs root")
				}
				// A user's own group is not 0: the mode alone is the case.
			case tc.group > 0:
				require.NoError(t, os.Chown(target, -1, tc.group))
			case tc.group < 0:
				require.NoError(t, os.Chown(target, -1, 0))
			}
			_, err = Open(dir)
			if tc.wantErr == "" {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, ErrUnsafeDir)
			require.ErrorContains(t, err, target)
			require.ErrorContains(t, err, tc.wantErr)
		})
	}
}

// TestOpen_hooksWazero: the cache really is wazero's file cache. A compile
// writes an entry in mixbox's format; a new runtime on a new Cache loads it
// from there; a damaged entry fails the compile with ErrDiscarded (instead
// of a panic inside wazero), and the next compile writes it again. When a
// wazero upgrade moves the field this relies on, this test fails: see hook.
func TestOpen_hooksWazero(t *testing.T) {
	t.Parallel()
	bin, err := os.ReadFile(filepath.Join("..", "..", "..", "testdata", "abi", "loop.wasm"))
	require.NoError(t, err)
	dir := filepath.Join(t.TempDir(), "cache")
	compile := func() error {
		c, err := Open(dir)
		require.NoError(t, err)
		rt := wazero.NewRuntimeWithConfig(testCtx, wazero.NewRuntimeConfigCompiler().WithCompilationCache(c.Wazero()))
		defer func() { require.NoError(t, rt.Close(testCtx)) }()
		_, err = rt.CompileModule(testCtx, bin)
		return err
	}
	require.NoError(t, compile())
	c, err := Open(dir)
	require.NoError(t, err)
	entries, err := os.ReadDir(c.Dir())
	require.NoError(t, err)
	require.Len(t, entries, 1, "the compile wrote one entry")
	p := filepath.Join(c.Dir(), entries[0].Name())
	data, err := os.ReadFile(p)
	require.NoError(t, err)
	require.Equal(t, magic, string(data[:len(magic)]), "in mixbox's format")
	require.Equal(t, uint64(len(data)-fixedHeader-int(data[fixedHeader-1])-4), binary.LittleEndian.Uint64(data[len(magic)+32:]))

	before, err := os.Stat(p)
	require.NoError(t, err)
	require.NoError(t, compile())
	after, err := os.Stat(p)
	require.NoError(t, err)
	require.True(t, os.SameFile(before, after), "a hit does not write the entry again")

	flip(t, p, 20)
	require.ErrorIs(t, compile(), ErrDiscarded)
	require.NoFileExists(t, p)
	require.NoError(t, compile(), "the next compile compiles")
	require.FileExists(t, p, "and writes the entry again")
}

// flip inverts the byte at off of the file p.
func flip(t *testing.T, p string, off int64) {
	t.Helper()
	f, err := os.OpenFile(p, os.O_RDWR, 0)
	require.NoError(t, err)
	defer func() { require.NoError(t, f.Close()) }()
	b := make([]byte, 1)
	_, err = f.ReadAt(b, off)
	require.NoError(t, err)
	b[0] ^= 0xff
	_, err = f.WriteAt(b, off)
	require.NoError(t, err)
}

func appendTo(t *testing.T, p string, b []byte) {
	t.Helper()
	f, err := os.OpenFile(p, os.O_APPEND|os.O_WRONLY, 0)
	require.NoError(t, err)
	_, err = f.Write(b)
	require.NoError(t, err)
	require.NoError(t, f.Close())
}

// FuzzCache_Get: whatever bytes an entry file holds, Get never panics and
// either returns a body whose checksum its header vouches for, or discards
// the file.
func FuzzCache_Get(f *testing.F) {
	c0 := &Cache{version: "v1.12.0"}
	f.Add(c0.header(Key{1}, 0, 0))
	good := c0.header(Key{1}, 5, crc32Of([]byte("hello")))
	f.Add(append(good, "hello"...))
	f.Add([]byte{})
	f.Add([]byte(magic))
	c := &Cache{dir: f.TempDir(), version: "v1.12.0"}
	f.Fuzz(func(t *testing.T, data []byte) {
		p := c.path(Key{1})
		require.NoError(t, os.WriteFile(p, data, 0o600))
		rc, ok, err := c.Get(Key{1})
		if err != nil {
			require.ErrorIs(t, err, ErrDiscarded)
			require.False(t, ok)
			require.NoFileExists(t, p)
			return
		}
		require.True(t, ok)
		got, err := io.ReadAll(rc)
		require.NoError(t, err)
		require.NoError(t, rc.Close())
		require.Equal(t, binary.LittleEndian.Uint32(data[len(magic)+40:]), crc32Of(got))
		require.True(t, bytes.HasSuffix(data, got))
	})
}

func crc32Of(b []byte) uint32 { return crc32.Checksum(b, castagnoli()) }

// TestCache_hammer: Add, Get, Delete and TakeNotes at once from many
// goroutines (run with -race): every Get gives a whole entry or none.
func TestCache_hammer(t *testing.T) {
	t.Parallel()
	c := openTemp(t)
	body := bytes.Repeat([]byte("compiled"), 8<<10)
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 50 {
				key := Key{byte(i % 4)}
				switch (g + i) % 4 {
				case 0:
					_ = c.Add(key, bytes.NewReader(body))
				case 1:
					_ = c.Delete(key)
				case 2:
					c.TakeNotes()
				default:
					rc, ok, err := c.Get(key)
					if err != nil || !ok {
						continue // gone, or replaced while read: a miss
					}
					got, err := io.ReadAll(rc)
					_ = rc.Close()
					if err != nil || !bytes.Equal(got, body) {
						errs <- fmt.Errorf("a hit gave %d bytes, want %d (%v)", len(got), len(body), err)
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
}

// codeBody is a body laid out as wazero v1.12 serialises a module: two
// functions, code bytes, their CRC-32C, then a tail.
func codeBody(code []byte) []byte {
	b := []byte("WAZEVO\x07v1.12.0")
	b = binary.LittleEndian.AppendUint32(b, 2)
	b = binary.LittleEndian.AppendUint64(b, 0)
	b = binary.LittleEndian.AppendUint64(b, 16)
	b = binary.LittleEndian.AppendUint64(b, uint64(len(code)))
	b = append(b, code...)
	b = binary.LittleEndian.AppendUint32(b, crc32.Checksum(code, castagnoli()))
	return append(b, 0, 0, 0, 0, 0)
}

// TestCache_Get_wazeroCode: in a body in wazero's format, the compiled code
// is left to wazero's own checksum (Get hands it over, package wasm discards
// the entry when wazero refuses it); every other byte is checked here.
func TestCache_Get_wazeroCode(t *testing.T) {
	t.Parallel()
	code := make([]byte, 64<<10)
	_, _ = rand.Read(code)
	body := codeBody(code)
	codeAt := len(body) - 9 - len(code)
	key := Key{4}
	for name, at := range map[string]int{
		"the function count": 14, "an offset": 20, "the code's length": codeAt - 3,
		"wazero's checksum": codeAt + len(code) + 1, "the tail": len(body) - 1,
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			c := openTemp(t)
			require.NoError(t, c.Add(key, bytes.NewReader(body)))
			hdr := int64(fixedHeader + len(c.version) + 4)
			flip(t, c.path(key), hdr+int64(at))
			_, _, err := c.Get(key)
			require.ErrorIs(t, err, ErrDiscarded)
		})
	}
	c := openTemp(t)
	require.NoError(t, c.Add(key, bytes.NewReader(body)))
	hdr := int64(fixedHeader + len(c.version) + 4)
	flip(t, c.path(key), hdr+int64(codeAt+100))
	rc, ok, err := c.Get(key)
	require.NoError(t, err, "the code is wazero's to check")
	require.True(t, ok)
	require.NoError(t, rc.Close())
	err = c.Discard(key, errors.New("compilationcache: checksum mismatch"))
	require.ErrorIs(t, err, ErrDiscarded)
	require.NoFileExists(t, c.path(key))
	notes := c.TakeNotes()
	require.Len(t, notes, 1)
	require.Contains(t, notes[0], "its body is damaged: wazero could not load it")
}
