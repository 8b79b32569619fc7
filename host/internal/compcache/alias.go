package compcache

import (
	"bufio"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// A stand-in is a module with the shape of another (every section but the
// code, whose bodies are each one unreachable) that wazero decodes and
// validates in a fraction of the time; compiling it with Serve set makes
// wazero load the compiled code of the module it stands in for. Package
// wasm makes stand-ins (stub.go); this file remembers, per module, which
// entry holds its compiled code and which key wazero gives its stand-in.

// ErrNotServed is the error a compile under Serve fails with when the
// entry cannot be served: wazero then compiles nothing, and the caller
// compiles the module itself.
var ErrNotServed = errors.New("the compiled code is not served to the stand-in")

// errCaptured is the error Get returns under Capture: the compile stops at
// the cache lookup, having told the key.
var errCaptured = errors.New("compile stopped: the key is captured")

// Alias is what a stand-in compile needs: the entry of the module's
// compiled code, and the key of the stand-in.
type Alias struct {
	Entry Key    // wazero's key of the module's compiled code
	Stub  Key    // wazero's key of its stand-in: the CPU and configuration it was learnt on
	Funcs uint32 // the module's own functions, which the entry must compile
}

// aliasMagic starts an alias file; its last byte is the format's version.
const aliasMagic = "MIXBOXA\x01"

// aliasSize is an alias file's size: magic, two keys, funcs (u32), CRC-32C (u32).
const aliasSize = len(aliasMagic) + 32 + 32 + 4 + 4

// mode is what Get and Add do besides their work, set for one compile.
type mode int

const (
	modeNone    mode = iota
	modeRecord       // remember the key of an entry that is on disk
	modeCapture      // Get remembers the key and stops the compile
	modeServe        // Get of alias.Stub serves alias.Entry, nothing else
)

// intercept is the mode of the compile under way.
type intercept struct {
	mode  mode
	alias Alias
	key   Key
	ok    bool // key is set
}

// Record makes c remember the key of the entry a compile found or wrote,
// until the returned function, which returns it (false when the compile
// found none and wrote none), is called. Record, Capture and Serve apply to
// every Get and Add on c while they are set: the caller must run one
// compile at a time (package wasm holds a lock around each).
func (c *Cache) Record() (end func() (Key, bool)) { return c.begin(intercept{mode: modeRecord}) }

// Capture makes the next compile stop at its cache lookup with an error,
// and the returned function return the key it looked up.
func (c *Cache) Capture() (end func() (Key, bool)) { return c.begin(intercept{mode: modeCapture}) }

// Serve makes a compile of the stand-in whose key is a.Stub load the
// entry a.Entry, once it is checked as Get checks any entry and found to
// compile a.Funcs functions. Any other lookup, a missing entry or one for
// another module fails the compile with ErrNotServed; a damaged entry is
// removed and noted and fails it with ErrDiscarded. Nothing is written.
func (c *Cache) Serve(a Alias) (end func()) {
	done := c.begin(intercept{mode: modeServe, alias: a})
	return func() { _, _ = done() }
}

func (c *Cache) begin(i intercept) func() (Key, bool) {
	c.mu.Lock()
	c.icpt = i
	c.mu.Unlock()
	return func() (Key, bool) {
		c.mu.Lock()
		defer c.mu.Unlock()
		i := c.icpt
		c.icpt = intercept{}
		return i.key, i.ok
	}
}

// current returns the mode of the compile under way.
func (c *Cache) current() intercept {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.icpt
}

// remember sets the key of the compile under way, when one is recorded or
// captured.
func (c *Cache) remember(m mode, key Key) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.icpt.mode == m {
		c.icpt.key, c.icpt.ok = key, true
	}
}

// serve is Get under Serve.
func (c *Cache) serve(key Key, a Alias) (io.ReadCloser, bool, error) {
	if key != a.Stub {
		return nil, false, fmt.Errorf("%w: the stand-in's key is another (the CPU or the configuration changed)", ErrNotServed)
	}
	p := c.path(a.Entry)
	f, err := os.Open(p)
	if err != nil {
		return nil, false, fmt.Errorf("%w: %s", ErrNotServed, describe(err))
	}
	b, err := c.verify(f, a.Entry)
	if err != nil {
		_ = f.Close() // read only
		return nil, false, c.discard(p, err)
	}
	if !b.layout.header || b.layout.funcs != a.Funcs {
		_ = b.Close() // read only
		return nil, false, fmt.Errorf("%w: the entry compiles another module", ErrNotServed)
	}
	return buffered(b), true, nil
}

// buffered wraps a body for wazero, which reads the offsets of the
// functions eight bytes at a time: a system call each without it.
func buffered(b *body) io.ReadCloser {
	return struct {
		io.Reader
		io.Closer
	}{bufio.NewReaderSize(b.SectionReader, copyBuf), b}
}

// aliasPath is the alias file of the module whose sha256 is sum.
func (c *Cache) aliasPath(sum [32]byte) string {
	return filepath.Join(c.dir, hex.EncodeToString(sum[:])+".alias")
}

// Alias returns the alias kept for the module whose sha256 is sum. An
// alias file that is damaged is removed: the module is loaded whole again,
// which writes a new one.
func (c *Cache) Alias(sum [32]byte) (Alias, bool) {
	p := c.aliasPath(sum)
	b, err := os.ReadFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		return Alias{}, false
	}
	if err != nil || len(b) != aliasSize || string(b[:len(aliasMagic)]) != aliasMagic ||
		crc32.Checksum(b[:aliasSize-4], castagnoli()) != binary.LittleEndian.Uint32(b[aliasSize-4:]) {
		c.RemoveAlias(sum)
		return Alias{}, false
	}
	var a Alias
	off := len(aliasMagic)
	copy(a.Entry[:], b[off:])
	copy(a.Stub[:], b[off+32:])
	a.Funcs = binary.LittleEndian.Uint32(b[off+64:])
	return a, true
}

// SetAlias keeps a for the module whose sha256 is sum (WriteFile).
func (c *Cache) SetAlias(sum [32]byte, a Alias) error {
	b := make([]byte, 0, aliasSize)
	b = append(b, aliasMagic...)
	b = append(b, a.Entry[:]...)
	b = append(b, a.Stub[:]...)
	b = binary.LittleEndian.AppendUint32(b, a.Funcs)
	b = binary.LittleEndian.AppendUint32(b, crc32.Checksum(b, castagnoli()))
	if err := WriteFile(c.aliasPath(sum), b); err != nil {
		return fmt.Errorf("keep the module's alias: %w", err)
	}
	return nil
}

// WriteFile writes b to name through a temporary file beside it, so that
// a reader never sees it half written: the small files kept next to the
// entries (an alias, what package wasm learnt of a reactor's code).
func WriteFile(name string, b []byte) error {
	f, err := os.CreateTemp(filepath.Dir(name), ".mixbox-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	_, err = f.Write(b)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), name)
	}
	if err != nil {
		_ = os.Remove(f.Name()) // a temporary file of ours
		return fmt.Errorf("write %s: %w", name, err)
	}
	return nil
}

// RemoveAlias removes the alias of the module whose sha256 is sum, if any.
func (c *Cache) RemoveAlias(sum [32]byte) {
	_ = os.Remove(c.aliasPath(sum)) // gone already is as good
}
