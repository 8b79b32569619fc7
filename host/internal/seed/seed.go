package seed

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/klauspost/compress/s2"
)

// ErrDamaged is wrapped by the error of Open or Unpack for a seed that is
// not as Make wrote it: nothing is unpacked from it.
var ErrDamaged = errors.New("the seed is damaged")

// trailerMagic ends a file that carries a seed; its last byte is the
// format's version.
const trailerMagic = "MIXBOXS\x01"

// trailerSize is the trailer: the seed's length (u64), then trailerMagic.
const trailerSize = 8 + len(trailerMagic)

// Limits of what Open and Unpack accept, far above what Make writes.
const (
	maxHeader  = 64 << 10 // bytes of header
	maxModules = 256      // modules in one seed
	maxFile    = 1 << 30  // bytes of one unpacked file
	maxName    = 256      // bytes of a file's name
	blockSize  = 1 << 20  // an S2 block: a decoder's memory per goroutine
)

// Module is what a seed says of one module it holds.
type Module struct {
	Sum  [32]byte // the module's sha256
	Stub [32]byte // wazero's key of its stand-in where the seed was made
}

// Seed is a seed found at the end of a file. Open reads only its header;
// Unpack reads the rest.
type Seed struct {
	path    string
	dir     string // the cache's entry directory, e.g. mixbox1-wazero-v1.12.0-amd64-linux
	modules []Module
	bodyAt  int64 // the body's offset in the file: its files, compressed
	bodyLen int64
	bodySum uint32 // its CRC-32C
}

func castagnoli() *crc32.Table { return crc32.MakeTable(crc32.Castagnoli) }

// Open returns the seed at the end of the file path: nil and no error when
// the file carries none.
func Open(path string) (*Seed, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open seed: %w", err)
	}
	defer func() { _ = f.Close() }() // read only
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("open seed: %w", err)
	}
	s, _, err := read(f, fi.Size())
	if err != nil {
		return nil, fmt.Errorf("open seed of %s: %w", path, err)
	}
	if s != nil {
		s.path = path
	}
	return s, nil
}

// read reads the trailer and header of the seed at the end of r, whose
// size is size; start is where the seed begins (size when there is none).
func read(r io.ReaderAt, size int64) (s *Seed, start int64, err error) {
	if size < int64(trailerSize) {
		return nil, size, nil
	}
	var tr [trailerSize]byte
	if _, err := r.ReadAt(tr[:], size-int64(trailerSize)); err != nil {
		return nil, 0, fmt.Errorf("read trailer: %w", err)
	}
	if string(tr[8:]) != trailerMagic {
		return nil, size, nil
	}
	n := binary.LittleEndian.Uint64(tr[:8])
	if n > uint64(size-int64(trailerSize)) {
		return nil, 0, fmt.Errorf("%w: its trailer gives %d bytes in a file of %d", ErrDamaged, n, size)
	}
	start = size - int64(trailerSize) - int64(n)
	hdrLen := min(int64(n), maxHeader)
	hdr := make([]byte, hdrLen)
	if _, err := r.ReadAt(hdr, start); err != nil {
		return nil, 0, fmt.Errorf("read header: %w", err)
	}
	s, used, err := parseHeader(hdr)
	if err != nil {
		return nil, 0, err
	}
	s.bodyAt = start + int64(used)
	if s.bodyLen != int64(n)-int64(used) {
		return nil, 0, fmt.Errorf("%w: its body is %d bytes, its header says %d", ErrDamaged, int64(n)-int64(used), s.bodyLen)
	}
	return s, start, nil
}

// The header: the entry dir's name (u8 length, bytes), the module count
// (u32), each module's sum and stand-in key, the body's length (u64) and
// CRC-32C (u32), and a CRC-32C of everything before it (u32).
func appendHeader(b []byte, dir string, mods []Module, bodyLen int64, bodySum uint32) []byte {
	b = append(b, byte(len(dir)))
	b = append(b, dir...)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(mods)))
	for _, m := range mods {
		b = append(b, m.Sum[:]...)
		b = append(b, m.Stub[:]...)
	}
	b = binary.LittleEndian.AppendUint64(b, uint64(bodyLen))
	b = binary.LittleEndian.AppendUint32(b, bodySum)
	return binary.LittleEndian.AppendUint32(b, crc32.Checksum(b, castagnoli()))
}

// parseHeader reads the header at the start of b and returns the bytes it
// takes.
func parseHeader(b []byte) (*Seed, int, error) {
	short := fmt.Errorf("%w: its header is truncated", ErrDamaged)
	if len(b) < 1 {
		return nil, 0, short
	}
	at := 1 + int(b[0])
	if len(b) < at+4 {
		return nil, 0, short
	}
	s := &Seed{dir: string(b[1:at])}
	n := binary.LittleEndian.Uint32(b[at:])
	at += 4
	if n > maxModules {
		return nil, 0, fmt.Errorf("%w: it names %d modules", ErrDamaged, n)
	}
	if len(b) < at+int(n)*64+16 {
		return nil, 0, short
	}
	for range n {
		var m Module
		copy(m.Sum[:], b[at:])
		copy(m.Stub[:], b[at+32:])
		s.modules = append(s.modules, m)
		at += 64
	}
	bodyLen := binary.LittleEndian.Uint64(b[at:])
	s.bodySum = binary.LittleEndian.Uint32(b[at+8:])
	if crc32.Checksum(b[:at+12], castagnoli()) != binary.LittleEndian.Uint32(b[at+12:]) {
		return nil, 0, fmt.Errorf("%w: its header's checksum fails", ErrDamaged)
	}
	if bodyLen > 1<<40 || !validDir(s.dir) {
		return nil, 0, fmt.Errorf("%w: its header is not a seed's", ErrDamaged)
	}
	s.bodyLen = int64(bodyLen)
	return s, at + 16, nil
}

// Dir returns the name of the cache's entry directory the seed was made
// for: its compiled code is for that wazero, GOOS and GOARCH only.
func (s *Seed) Dir() string { return s.dir }

// Modules returns the modules the seed holds.
func (s *Seed) Modules() []Module { return slices.Clone(s.modules) }

// Stub returns the key wazero gave the stand-in of the module whose sha256
// is sum where the seed was made, and whether the seed holds that module.
func (s *Seed) Stub(sum [32]byte) ([32]byte, bool) {
	for _, m := range s.modules {
		if m.Sum == sum {
			return m.Stub, true
		}
	}
	return [32]byte{}, false
}

// Unpack writes the seed's files into the cache directory root: each
// through a temporary file renamed into place, the markers that say a
// module is compiled after everything else. The compressed stream's
// checksum is verified first; a damaged seed writes nothing.
func (s *Seed) Unpack(root string) error {
	if err := s.unpack(root); err != nil {
		return fmt.Errorf("unpack the seed of %s into %s: %w", s.path, root, err)
	}
	return nil
}

func (s *Seed) unpack(root string) error {
	f, err := os.Open(s.path)
	if err != nil {
		return err
	}
	defer func() { _ = f.Close() }() // read only
	h := crc32.New(castagnoli())
	if _, err := io.Copy(h, io.NewSectionReader(f, s.bodyAt, s.bodyLen)); err != nil {
		return err
	}
	if h.Sum32() != s.bodySum {
		return fmt.Errorf("%w: its body's checksum fails", ErrDamaged)
	}
	if err := os.MkdirAll(filepath.Join(root, s.dir), 0o700); err != nil {
		return err
	}
	var markers []string
	for at := s.bodyAt; at < s.bodyAt+s.bodyLen; {
		rec, err := s.record(f, at)
		if err != nil {
			return err
		}
		at = rec.end
		name := filepath.Join(root, filepath.FromSlash(rec.name))
		if rec.kind == marker {
			markers = append(markers, name)
			continue
		}
		if err := rec.write(f, name); err != nil {
			return err
		}
	}
	for _, m := range markers {
		if err := os.WriteFile(m, nil, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// A record is one file of a seed's body: its name (u16 length, bytes), its
// size (u64), the length of its S2 stream (u64), and the stream.
type record struct {
	name      string
	kind      fileKind
	size      int64 // unpacked
	at, zsize int64 // the stream
	end       int64 // the next record
}

// record reads the record at offset at of f.
func (s *Seed) record(f io.ReaderAt, at int64) (record, error) {
	limit := s.bodyAt + s.bodyLen
	var b [2 + maxName + 16]byte
	n, err := f.ReadAt(b[:min(int64(len(b)), limit-at)], at)
	if n < 2 || err != nil && !errors.Is(err, io.EOF) {
		return record{}, fmt.Errorf("%w: a file's record is truncated", ErrDamaged)
	}
	nameLen := int(binary.LittleEndian.Uint16(b[:]))
	if nameLen > maxName || n < 2+nameLen+16 {
		return record{}, fmt.Errorf("%w: a file's record is truncated", ErrDamaged)
	}
	r := record{name: string(b[2 : 2+nameLen])}
	r.kind = s.kind(r.name)
	size := binary.LittleEndian.Uint64(b[2+nameLen:])
	zsize := binary.LittleEndian.Uint64(b[2+nameLen+8:])
	r.at = at + int64(2+nameLen+16)
	if r.kind == none || size > maxFile || zsize > uint64(limit-r.at) {
		return record{}, fmt.Errorf("%w: it holds %q (%d bytes), which is not a cache file", ErrDamaged, r.name, size)
	}
	r.size, r.zsize = int64(size), int64(zsize)
	r.end = r.at + r.zsize
	return r, nil
}

// write unpacks the record's file from f to name, through a temporary file,
// decoding on two goroutines while it writes.
func (r record) write(f io.ReaderAt, name string) error {
	tmp, err := os.CreateTemp(filepath.Dir(name), ".mixbox-seed-*")
	if err != nil {
		return err
	}
	zr := s2.NewReader(io.NewSectionReader(f, r.at, r.zsize), s2.ReaderMaxBlockSize(blockSize))
	n, err := zr.DecodeConcurrent(&limitWriter{w: tmp, n: r.size}, 2)
	if err == nil && n != r.size {
		err = fmt.Errorf("%w: %s unpacks to %d bytes, not %d", ErrDamaged, r.name, n, r.size)
	} else if corrupt(err) {
		err = fmt.Errorf("%w: %s: %w", ErrDamaged, r.name, err)
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), name)
	}
	if err != nil {
		_ = os.Remove(tmp.Name()) // ours
		return err
	}
	return nil
}

// corrupt reports whether err is S2's for a stream that does not decode.
func corrupt(err error) bool {
	for _, e := range []error{s2.ErrCorrupt, s2.ErrCRC, s2.ErrUnsupported, s2.ErrTooLarge, io.ErrUnexpectedEOF, io.EOF} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

// limitWriter writes at most n bytes to w: a record whose stream unpacks
// to more than its size fills no disk.
type limitWriter struct {
	w io.Writer
	n int64
}

func (l *limitWriter) Write(p []byte) (int, error) {
	if int64(len(p)) > l.n {
		return 0, fmt.Errorf("%w: a file unpacks to more than its size", ErrDamaged)
	}
	l.n -= int64(len(p))
	return l.w.Write(p)
}

// fileKind is what a file of a cache directory is.
type fileKind int

const (
	none    fileKind = iota
	marker           // mixbox-SUM.compiled: the module is compiled
	reactor          // mixbox-SUM.reactor1: package wasm's scan of its code
	entry            // DIR/KEY: compiled code
	alias            // DIR/SUM.alias
	image            // DIR/KEY.init: an initialization image
)

// kind returns what the seed's file name is in a cache directory, or none
// for a name no cache holds (another directory, a path out of it).
func (s *Seed) kind(name string) fileKind {
	dir, base, nested := strings.Cut(name, "/")
	switch {
	case !nested && keyed(dir, "mixbox-", ".compiled"):
		return marker
	case !nested && keyed(dir, "mixbox-", ".reactor1"):
		return reactor
	case !nested || dir != s.dir:
		return none
	case keyed(base, "", ""):
		return entry
	case keyed(base, "", ".alias"):
		return alias
	case keyed(base, "", ".init"):
		return image
	}
	return none
}

// keyed reports whether name is prefix, a sha256 in lower-case hex, then
// suffix.
func keyed(name, prefix, suffix string) bool {
	key, ok := strings.CutPrefix(name, prefix)
	if !ok {
		return false
	}
	if key, ok = strings.CutSuffix(key, suffix); !ok || len(key) != 64 {
		return false
	}
	_, err := hex.DecodeString(key)
	return err == nil && strings.ToLower(key) == key
}

// validDir reports whether dir can be an entry directory's name.
func validDir(dir string) bool {
	return strings.HasPrefix(dir, "mixbox") && !strings.ContainsAny(dir, `/\`) && dir != "." && dir != ".."
}

// Make returns the seed of the cache directory root, as `mixbox precompile`
// filled it: every module it marks compiled, with its entry, alias and
// scan, and every initialization image. aliasOf gives what the cache keeps
// of a module (compcache.Cache.Alias): its entry's key and its stand-in's.
// The result is the same for the same files.
func Make(root string, aliasOf func(sum [32]byte) (entry, stub [32]byte, ok bool)) ([]byte, error) {
	b, err := makeSeed(root, aliasOf)
	if err != nil {
		return nil, fmt.Errorf("make a seed of %s: %w", root, err)
	}
	return b, nil
}

func makeSeed(root string, aliasOf func(sum [32]byte) (entry, stub [32]byte, ok bool)) ([]byte, error) {
	ents, err := os.ReadDir(root)
	if err != nil {
		return nil, err
	}
	var dirs, markers, scans []string
	for _, e := range ents {
		switch name := e.Name(); {
		case e.IsDir() && validDir(name):
			dirs = append(dirs, name)
		case strings.HasSuffix(name, ".compiled") && e.Type().IsRegular():
			markers = append(markers, name)
		case strings.HasSuffix(name, ".reactor1") && e.Type().IsRegular():
			scans = append(scans, name)
		}
	}
	if len(dirs) != 1 {
		return nil, fmt.Errorf("it has %d entry directories (%s), not one", len(dirs), strings.Join(dirs, ", "))
	}
	if len(markers) == 0 {
		return nil, errors.New("it marks no module compiled: run mixbox precompile --cache-dir into it first")
	}
	s := &Seed{dir: dirs[0]}
	var files []string // in the order they are unpacked
	for _, m := range markers {
		if s.kind(m) != marker {
			return nil, fmt.Errorf("%s is not a marker", m)
		}
		var mod Module
		if _, err := hex.Decode(mod.Sum[:], []byte(strings.TrimSuffix(strings.TrimPrefix(m, "mixbox-"), ".compiled"))); err != nil {
			return nil, err
		}
		entryKey, stub, ok := aliasOf(mod.Sum)
		if !ok {
			return nil, fmt.Errorf("the module %x has no alias: it was not compiled by this mixbox", mod.Sum)
		}
		mod.Stub = stub
		s.modules = append(s.modules, mod)
		files = append(files, s.dir+"/"+hex.EncodeToString(entryKey[:]), s.dir+"/"+hex.EncodeToString(mod.Sum[:])+".alias")
	}
	images, err := filepath.Glob(filepath.Join(root, s.dir, "*.init"))
	if err != nil {
		return nil, err
	}
	for _, img := range images {
		files = append(files, s.dir+"/"+filepath.Base(img))
	}
	files = append(files, scans...)
	files = append(files, markers...)
	var body bytes.Buffer
	for _, name := range files {
		if s.kind(name) == none {
			return nil, fmt.Errorf("%s is not a cache file", name)
		}
		if err := addFile(&body, root, name); err != nil {
			return nil, err
		}
	}
	out := appendHeader(nil, s.dir, s.modules, int64(body.Len()), crc32.Checksum(body.Bytes(), castagnoli()))
	return append(out, body.Bytes()...), nil
}

// addFile appends the record of the file root/name to body.
func addFile(body *bytes.Buffer, root, name string) error {
	b, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(name)))
	if err != nil {
		return err
	}
	return appendRecord(body, name, b)
}

// appendRecord appends the record of the file name holding b to body.
func appendRecord(body *bytes.Buffer, name string, b []byte) error {
	var z bytes.Buffer
	zw := s2.NewWriter(&z, s2.WriterBestCompression(), s2.WriterConcurrency(1), s2.WriterBlockSize(blockSize))
	if _, err := zw.Write(b); err != nil {
		return err
	}
	if err := zw.Close(); err != nil {
		return err
	}
	rec := binary.LittleEndian.AppendUint16(nil, uint16(len(name)))
	rec = append(rec, name...)
	rec = binary.LittleEndian.AppendUint64(rec, uint64(len(b)))
	rec = binary.LittleEndian.AppendUint64(rec, uint64(z.Len()))
	body.Write(rec)
	body.Write(z.Bytes())
	return nil
}

// Append makes the file exe carry seed (from Make) at its end, in place of
// any seed it carried.
func Append(exe string, seed []byte) error {
	if err := appendSeed(exe, seed); err != nil {
		return fmt.Errorf("append a seed to %s: %w", exe, err)
	}
	return nil
}

func appendSeed(exe string, seed []byte) error {
	f, err := os.OpenFile(exe, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	fi, err := f.Stat()
	if err == nil {
		var start int64
		if _, start, err = read(f, fi.Size()); err == nil {
			err = f.Truncate(start)
		}
		if err == nil {
			b := binary.LittleEndian.AppendUint64(slices.Clip(seed), uint64(len(seed)))
			_, err = f.WriteAt(append(b, trailerMagic...), start)
		}
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}
