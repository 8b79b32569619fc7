package compcache

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"sync"

	"github.com/tetratelabs/wazero"
)

var (
	// ErrUnsafeDir is wrapped by Open's error for a directory that another
	// user can write: compiled code is never loaded from it.
	ErrUnsafeDir = errors.New("directory is not private")
	// ErrNoHook is wrapped by Open's error when this wazero's compilation
	// cache has no file cache that mixbox can plug its own into.
	ErrNoHook = errors.New("wazero's compilation cache cannot be given a checked file cache")
	// ErrDiscarded is the error Get returns for a damaged entry, after
	// removing it: wazero's compile then fails with it instead of compiling,
	// and the caller chooses how to compile again (at once, or on the
	// interpreter first while the compiler fills the cache).
	ErrDiscarded = errors.New("damaged compile-cache entry discarded")
)

// magic starts every entry; its last byte is the format's version. Version 2
// leaves wazero's compiled code out of the body's checksum (bodySum).
const magic = "MIXBOXC\x02"

// fixedHeader is the part of the header before the wazero version:
// magic, key, body length (u64), body CRC-32C (u32), version length (u8).
const fixedHeader = len(magic) + 32 + 8 + 4 + 1

// copyBuf is the buffer size of the checksum pass.
const copyBuf = 256 << 10

// Key is wazero's name for an entry: a sha256 over the module's bytes and
// what its compiled code depends on.
type Key = [32]byte

// Cache is a checked file cache in one directory. Its methods are the file
// cache interface wazero calls (Get, Add, Delete); it is safe for
// concurrent use.
type Cache struct {
	dir     string // the entry directory
	version string // wazero's version
	wazero  wazero.CompilationCache

	mu       sync.Mutex
	notes    []string
	failures int       // entries that could not be written
	icpt     intercept // Record, Capture or Serve (alias.go)
}

// Open returns the cache kept in dir, creating dir (mode 0700) when it does
// not exist. A directory that is not the current user's, or that its group
// or others can write, is ErrUnsafeDir with the reason.
func Open(dir string) (*Cache, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("open compile cache %s: %w", dir, err)
	}
	if err := os.MkdirAll(abs, 0o700); err != nil {
		return nil, fmt.Errorf("open compile cache: %w", err)
	}
	if err := checkDir(abs); err != nil {
		return nil, err
	}
	version := wazeroVersion()
	sub := filepath.Join(abs, "mixbox1-wazero-"+version+"-"+runtime.GOARCH+"-"+runtime.GOOS)
	if err := os.Mkdir(sub, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
		return nil, fmt.Errorf("open compile cache: %w", err)
	}
	if err := checkDir(sub); err != nil {
		return nil, err
	}
	c := &Cache{dir: sub, version: version}
	wc, err := hook(c)
	if err != nil {
		return nil, fmt.Errorf("open compile cache %s: %w", abs, err)
	}
	c.wazero = wc
	return c, nil
}

// Wazero returns the wazero compilation cache that reads and writes
// through c. Closing it closes the compiled code it holds in memory; the
// files stay.
func (c *Cache) Wazero() wazero.CompilationCache { return c.wazero }

// Dir returns the directory that holds the entries.
func (c *Cache) Dir() string { return c.dir }

// TakeNotes returns what happened to the cache that a user should hear
// about (an entry discarded, and why) since the last call, once each.
func (c *Cache) TakeNotes() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := c.notes
	c.notes = nil
	return n
}

func (c *Cache) note(format string, args ...any) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.notes = append(c.notes, fmt.Sprintf(format, args...))
}

func (c *Cache) path(key Key) string { return filepath.Join(c.dir, hex.EncodeToString(key[:])) }

// Get returns the body of the entry for key once its header and checksum
// are verified. A missing entry, or one that cannot be read, is a miss
// (wazero compiles the module); a damaged one is removed and noted, and Get
// returns ErrDiscarded, which wazero's compile returns.
func (c *Cache) Get(key Key) (io.ReadCloser, bool, error) {
	switch i := c.current(); i.mode {
	case modeServe:
		return c.serve(key, i.alias)
	case modeCapture:
		c.remember(modeCapture, key)
		return nil, false, errCaptured
	}
	p := c.path(key)
	f, err := os.Open(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, false, nil
	}
	if err != nil {
		c.note("cannot read the compile-cache entry %s (%s); the module is compiled again", p, describe(err))
		return nil, false, nil
	}
	b, err := c.verify(f, key)
	if err != nil {
		_ = f.Close() // read only
		return nil, false, c.discard(p, err)
	}
	c.remember(modeRecord, key)
	return buffered(b), true, nil
}

// discard removes the damaged entry p, notes it, and returns the
// ErrDiscarded for Get.
func (c *Cache) discard(p string, err error) error {
	rmErr := os.Remove(p)
	if rmErr != nil && !errors.Is(rmErr, fs.ErrNotExist) {
		c.note("the compile-cache entry %s is damaged (%s) and cannot be removed (%s); the module is compiled again", p, describe(err), describe(rmErr))
	} else {
		c.note("discarded the compile-cache entry %s: %s; the module is compiled again", p, describe(err))
	}
	return fmt.Errorf("%w: %w", ErrDiscarded, err)
}

// entryError says what is wrong with an entry.
type entryError struct{ msg string }

func (e *entryError) Error() string { return e.msg }

func bad(format string, args ...any) error { return &entryError{fmt.Sprintf(format, args...)} }

// verify checks the entry in f for key and returns its body, which closes
// f.
func (c *Cache) verify(f *os.File, key Key) (*body, error) {
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("stat entry: %w", err)
	}
	size := fi.Size()
	if !fi.Mode().IsRegular() {
		return nil, bad("it is not a regular file")
	}
	if size == 0 {
		return nil, bad("it is empty")
	}
	var fixed [fixedHeader]byte
	if _, err := f.ReadAt(fixed[:], 0); err != nil {
		return nil, bad("it is truncated inside its header (%d bytes)", size)
	}
	if string(fixed[:len(magic)-1]) == magic[:len(magic)-1] && fixed[len(magic)-1] < magic[len(magic)-1] {
		return nil, bad("it is in an older format (%d; this mixbox writes %d)", fixed[len(magic)-1], magic[len(magic)-1])
	}
	if string(fixed[:len(magic)]) != magic {
		return nil, bad("its header is damaged (not a mixbox cache entry)")
	}
	verLen := int(fixed[fixedHeader-1])
	hdrLen := int64(fixedHeader + verLen + 4)
	hdr := make([]byte, hdrLen)
	if _, err := f.ReadAt(hdr, 0); err != nil {
		return nil, bad("it is truncated inside its header (%d bytes)", size)
	}
	sum := binary.LittleEndian.Uint32(hdr[hdrLen-4:])
	if crc32.Checksum(hdr[:hdrLen-4], castagnoli()) != sum {
		return nil, bad("its header is damaged (checksum mismatch)")
	}
	off := len(magic)
	if !bytes.Equal(hdr[off:off+32], key[:]) {
		return nil, bad("it holds another module")
	}
	off += 32
	bodyLen := binary.LittleEndian.Uint64(hdr[off:])
	wantSum := binary.LittleEndian.Uint32(hdr[off+8:])
	if v := string(hdr[fixedHeader : fixedHeader+verLen]); v != c.version {
		return nil, bad("it was written by wazero %s, this is %s", v, c.version)
	}
	if want := uint64(hdrLen) + bodyLen; bodyLen > uint64(size) || want != uint64(size) {
		if want > uint64(size) {
			return nil, bad("it is truncated (%d of %d bytes)", size, want)
		}
		return nil, bad("it is %d bytes, longer than the %d its header says", size, want)
	}
	sr := io.NewSectionReader(f, hdrLen, int64(bodyLen))
	lay := wazeroLayout(sr)
	got, err := bodySum(sr, lay)
	if err != nil {
		return nil, bad("reading it failed: %s", describe(err))
	}
	if got != wantSum {
		return nil, bad("its body is damaged (checksum mismatch)")
	}
	return &body{SectionReader: sr, f: f, layout: lay}, nil
}

// bodySum is the CRC-32C an entry's header holds for its body. For a body
// in wazero's format it leaves out the compiled code, which wazero checks
// with its own CRC-32C as it reads it (that checksum is in the part this one
// covers): the code is most of the body, 27 MB for the exec module, and a
// second pass over it cost a warm load about 6 ms (RATIONALE.md, "Why does
// mixbox own the compile cache's file format?"). A body wazero then refuses
// is discarded by Discard. Any other body is checked whole.
func bodySum(r *io.SectionReader, lay layout) (uint32, error) {
	h := crc32.New(castagnoli())
	buf := make([]byte, copyBuf)
	start, end := lay.codeStart, lay.codeEnd
	if !lay.code {
		start, end = r.Size(), r.Size()
	}
	for _, part := range [][2]int64{{0, start}, {end, r.Size()}} {
		if _, err := io.CopyBuffer(h, io.NewSectionReader(r, part[0], part[1]-part[0]), buf); err != nil {
			return 0, err
		}
	}
	return h.Sum32(), nil
}

// layout is where a body in wazero's format keeps what mixbox reads of it:
// "WAZEVO", the version's length and the version, the function count
// (u32), an offset (u64) per function, the code's length (u64), the code,
// then its CRC-32C (u32) and the rest.
type layout struct {
	header bool   // it starts with wazero's header: funcs is its count
	funcs  uint32 // the functions it compiles
	code   bool   // the code's range is within the body, its CRC after it
	// codeStart and codeEnd are the compiled code's range in the body.
	codeStart, codeEnd int64
}

// wazeroLayout reads the layout of a body, as far as it goes.
func wazeroLayout(r *io.SectionReader) layout {
	var lay layout
	var hdr [7 + 255 + 4]byte
	n, _ := r.ReadAt(hdr[:], 0)
	if n < 8 || !bytes.Equal(hdr[:6], []byte("WAZEVO")) {
		return lay
	}
	at := 7 + int(hdr[6])
	if at+4 > n {
		return lay
	}
	lay.header, lay.funcs = true, binary.LittleEndian.Uint32(hdr[at:])
	lenAt := int64(at+4) + 8*int64(lay.funcs)
	var l [8]byte
	if _, err := r.ReadAt(l[:], lenAt); err != nil {
		return lay
	}
	start := lenAt + 8
	size := binary.LittleEndian.Uint64(l[:])
	if size > uint64(r.Size()-start) || uint64(r.Size()-start)-size < 4 {
		return lay
	}
	lay.code, lay.codeStart, lay.codeEnd = true, start, start+int64(size)
	return lay
}

// Discard removes the entry for key, which wazero found and could not load
// (its checksum of the compiled code failed, or the body ended early), notes
// it as Get does for a damaged entry, and returns an error wrapping
// ErrDiscarded with why.
func (c *Cache) Discard(key Key, why error) error {
	return c.discard(c.path(key), bad("its body is damaged: wazero could not load it (%s)", describe(why)))
}

// body is a verified entry's body; closing it closes the file.
type body struct {
	*io.SectionReader
	f      *os.File
	layout layout // of the body, read by verify
}

func (b *body) Close() error { return b.f.Close() }

// Add writes the entry for key: a temporary file in the entry directory,
// synced, then renamed into place. A failure is noted, not returned: wazero
// would fail the compile with it, and the compiled code is good in memory.
func (c *Cache) Add(key Key, content io.Reader) error {
	if c.current().mode == modeServe {
		return nil // never: a served compile hits or fails; and a stand-in's code is not kept
	}
	if err := c.add(key, content); err != nil {
		c.note("cannot write the compile-cache entry in %s (%s); the compiled code is kept in memory only", c.dir, describe(err))
		c.mu.Lock()
		c.failures++
		c.mu.Unlock()
		return nil
	}
	c.remember(modeRecord, key)
	return nil
}

// WriteFailures returns how many entries could not be written so far.
func (c *Cache) WriteFailures() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.failures
}

func (c *Cache) add(key Key, content io.Reader) (err error) {
	tmp, err := os.CreateTemp(c.dir, hex.EncodeToString(key[:])+".*.tmp")
	if err != nil {
		return fmt.Errorf("add compile-cache entry: %w", err)
	}
	defer func() {
		if err != nil {
			_ = tmp.Close()           // the error is the one to report
			_ = os.Remove(tmp.Name()) // a partial entry must not stay
		}
	}()
	hdr := c.header(key, 0, 0)
	if _, err := tmp.Write(hdr); err != nil {
		return fmt.Errorf("add compile-cache entry: %w", err)
	}
	n, err := io.Copy(tmp, content)
	if err != nil {
		return fmt.Errorf("add compile-cache entry: %w", err)
	}
	sr := io.NewSectionReader(tmp, int64(len(hdr)), n)
	sum, err := bodySum(sr, wazeroLayout(sr))
	if err != nil {
		return fmt.Errorf("add compile-cache entry: %w", err)
	}
	if _, err := tmp.WriteAt(c.header(key, uint64(n), sum), 0); err != nil {
		return fmt.Errorf("add compile-cache entry: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("add compile-cache entry: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("add compile-cache entry: %w", err)
	}
	if err := os.Rename(tmp.Name(), c.path(key)); err != nil {
		return fmt.Errorf("add compile-cache entry: %w", err)
	}
	return nil
}

// header encodes the header of an entry.
func (c *Cache) header(key Key, bodyLen uint64, bodySum uint32) []byte {
	b := make([]byte, 0, fixedHeader+len(c.version)+4)
	b = append(b, magic...)
	b = append(b, key[:]...)
	b = binary.LittleEndian.AppendUint64(b, bodyLen)
	b = binary.LittleEndian.AppendUint32(b, bodySum)
	b = append(b, byte(len(c.version)))
	b = append(b, c.version...)
	return binary.LittleEndian.AppendUint32(b, crc32.Checksum(b, castagnoli()))
}

// Delete removes the entry for key; wazero calls it for an entry it finds
// stale.
func (c *Cache) Delete(key Key) error {
	if c.current().mode == modeServe {
		return nil // the stand-in's key names no entry
	}
	if err := os.Remove(c.path(key)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("delete compile-cache entry: %w", err)
	}
	return nil
}

// castagnoli is the CRC-32C table (computed once by hash/crc32).
func castagnoli() *crc32.Table { return crc32.MakeTable(crc32.Castagnoli) }

// describe is an error's text for a note, without the path it may repeat.
func describe(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Op + ": " + pe.Err.Error()
	}
	return err.Error()
}

// checkDir refuses a directory that is not owned by the current user or
// root, or that its group or others can write (sticky or not: anyone who
// can create a file there can plant an entry).
func checkDir(dir string) error {
	fi, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("check %s: %w", dir, err)
	}
	if !fi.IsDir() {
		return fmt.Errorf("check %s: not a directory", dir)
	}
	return checkAccess(dir, fi)
}

// wazeroVersion is the version of the wazero module built in, as wazero
// itself reads it ("dev" when the build has no module information), which
// wazero's compiled code depends on. The name is kept to 255 bytes.
func wazeroVersion() string {
	v := "dev"
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, d := range info.Deps {
			if d.Path != "github.com/tetratelabs/wazero" {
				continue
			}
			v = d.Version
			if d.Replace != nil {
				v = d.Replace.Version
			}
		}
	}
	if v == "" || v == "(devel)" {
		v = "dev"
	}
	v = strings.Map(func(r rune) rune {
		if r == '/' || r == filepath.Separator || r < ' ' {
			return '_'
		}
		return r
	}, v)
	return v[:min(len(v), 255)]
}
