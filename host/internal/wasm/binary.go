package wasm

import (
	"errors"
	"fmt"
	"unicode/utf8"
)

// The parts of the WebAssembly binary format this package reads itself, so
// that a module is judged before wazero compiles it.
const (
	magic = "\x00asm"

	secCustom   = 0
	secType     = 1
	secImport   = 2
	secFunction = 3
	secMemory   = 5
	secGlobal   = 6
	secExport   = 7
	secStart    = 8
	secCode     = 10
	secData     = 11

	kindFunc   = 0
	kindTable  = 1
	kindMemory = 2
	kindGlobal = 3
	kindTag    = 4

	pageSize = 65536
)

// errShort and errBad are the parse errors of a reader; the module check
// turns them into ErrTruncated and ErrMalformed.
var (
	errShort = errors.New("unexpected end")
	errBad   = errors.New("bad encoding")
)

// section is one section of a module: its id, its custom name, and where its
// bytes lie (header included) in the module.
type section struct {
	id         byte
	name       string // custom sections only
	start, end int    // [start, end) of the whole section in the module
	payload    []byte // content after the id, size and (custom) name
}

type funcType struct {
	params, results []byte
}

// globalType is the type of a global the module defines.
type globalType struct {
	val     byte
	mutable bool
}

// parsed is what parseModule reads from a core module.
type parsed struct {
	sections []section
	types    []funcType
	funcs    []uint32 // type index of each function, imported ones first
	imports  []Import
	exports  []Export
	exportAt []uint32 // index (in its kind's index space) of each export
	globals  []globalType
	code     []byte // the code section's payload, nil when there is none
	hasMem   bool
	memMin   uint64
	memMax   uint64 // valid when hasMax
	hasMax   bool
}

// reader decodes LEB128 integers, names and bytes with bounds checks.
type reader struct {
	b   []byte
	off int
}

func (r *reader) byte() (byte, error) {
	if r.off >= len(r.b) {
		return 0, errShort
	}
	c := r.b[r.off]
	r.off++
	return c, nil
}

func (r *reader) uleb(bits uint) (uint64, error) {
	var v uint64
	var shift uint
	for {
		c, err := r.byte()
		if err != nil {
			return 0, err
		}
		if shift >= bits || shift == 63 && c > 1 {
			return 0, errBad
		}
		v |= uint64(c&0x7f) << shift
		if c&0x80 == 0 {
			if bits < 64 && v>>bits != 0 {
				return 0, errBad
			}
			return v, nil
		}
		shift += 7
	}
}

func (r *reader) u32() (uint32, error) {
	v, err := r.uleb(32)
	return uint32(v), err
}

func (r *reader) bytes(n uint64) ([]byte, error) {
	if n > uint64(len(r.b)-r.off) {
		return nil, errShort
	}
	b := r.b[r.off : r.off+int(n)]
	r.off += int(n)
	return b, nil
}

func (r *reader) name() (string, error) {
	n, err := r.u32()
	if err != nil {
		return "", err
	}
	b, err := r.bytes(uint64(n))
	if err != nil {
		return "", err
	}
	if !utf8.Valid(b) {
		return "", errBad
	}
	return string(b), nil
}

// valType reads a value type: a one-byte number, vector or reference type, or
// a (ref null? heaptype) of the typed-references encoding.
func (r *reader) valType() (byte, error) {
	c, err := r.byte()
	if err != nil {
		return 0, err
	}
	switch c {
	case 0x7f, 0x7e, 0x7d, 0x7c, 0x7b, 0x70, 0x6f:
		return c, nil
	case 0x63, 0x64:
		if _, err := r.uleb(64); err != nil { // s33 heap type; the value is unused
			return 0, err
		}
		return c, nil
	}
	return 0, errBad
}

// limits reads memory or table limits; memory64 uses 64-bit bounds.
func (r *reader) limits() (lmin, lmax uint64, hasMax bool, err error) {
	flags, err := r.byte()
	if err != nil {
		return 0, 0, false, err
	}
	if flags > 7 {
		return 0, 0, false, errBad
	}
	bits := uint(32)
	if flags&4 != 0 {
		bits = 64
	}
	if lmin, err = r.uleb(bits); err != nil {
		return 0, 0, false, err
	}
	if flags&1 != 0 {
		if lmax, err = r.uleb(bits); err != nil {
			return 0, 0, false, err
		}
		hasMax = true
	}
	return lmin, lmax, hasMax, nil
}

// splitSections checks the preamble and splits b into sections. It does not
// look inside them.
func splitSections(b []byte) ([]section, error) {
	if len(b) == 0 {
		return nil, fmt.Errorf("%w: the file is empty", ErrNotWasm)
	}
	if len(b) < 8 {
		if len(b) < 4 && string(b) == magic[:len(b)] {
			return nil, fmt.Errorf("%w: %d bytes, shorter than the 8-byte preamble", ErrTruncated, len(b))
		}
		if len(b) < 4 || string(b[:4]) != magic {
			return nil, fmt.Errorf("%w: no \\0asm magic", ErrNotWasm)
		}
		return nil, fmt.Errorf("%w: %d bytes, shorter than the 8-byte preamble", ErrTruncated, len(b))
	}
	if string(b[:4]) != magic {
		return nil, fmt.Errorf("%w: no \\0asm magic", ErrNotWasm)
	}
	version := uint16(b[4]) | uint16(b[5])<<8
	layer := uint16(b[6]) | uint16(b[7])<<8
	switch {
	case layer == 1:
		return nil, fmt.Errorf("%w (component model encoding, version %#x)", ErrComponent, version)
	case layer != 0 || version != 1:
		return nil, fmt.Errorf("%w: version %d, layer %d; expected version 1", ErrVersion, version, layer)
	}
	var secs []section
	r := &reader{b: b, off: 8}
	for r.off < len(b) {
		start := r.off
		id, _ := r.byte()
		size, err := r.u32()
		if err != nil {
			return nil, sectionErr(err, id, start)
		}
		payload, err := r.bytes(uint64(size))
		if err != nil {
			return nil, fmt.Errorf("%w: section %d at offset %d declares %d bytes, only %d remain",
				ErrTruncated, id, start, size, len(b)-r.off)
		}
		s := section{id: id, start: start, end: r.off, payload: payload}
		if id == secCustom {
			cr := &reader{b: payload}
			name, err := cr.name()
			if err != nil {
				return nil, fmt.Errorf("%w: custom section at offset %d has a bad name", ErrMalformed, start)
			}
			s.name, s.payload = name, payload[cr.off:]
		} else if id > 13 {
			return nil, fmt.Errorf("%w: unknown section id %d at offset %d", ErrMalformed, id, start)
		}
		secs = append(secs, s)
	}
	return secs, nil
}

func sectionErr(err error, id byte, off int) error {
	if errors.Is(err, errShort) {
		return fmt.Errorf("%w: section %d at offset %d ends early", ErrTruncated, id, off)
	}
	return fmt.Errorf("%w: section %d at offset %d is badly encoded", ErrMalformed, id, off)
}

// parseModule reads the sections the checks need: types, imports, memory,
// functions, globals, exports and custom sections; the code section is kept
// undecoded.
func parseModule(b []byte) (*parsed, error) {
	secs, err := splitSections(b)
	if err != nil {
		return nil, err
	}
	p := &parsed{sections: secs}
	for _, s := range secs {
		r := &reader{b: s.payload}
		switch s.id {
		case secType:
			err = p.readTypes(r)
		case secImport:
			err = p.readImports(r)
		case secFunction:
			err = p.readFunctions(r)
		case secMemory:
			err = p.readMemories(r)
		case secGlobal:
			err = p.readGlobals(r)
		case secExport:
			err = p.readExports(r)
		case secCode:
			p.code = s.payload
			continue
		default:
			continue
		}
		if err == nil && r.off != len(r.b) {
			err = errBad
		}
		if err != nil {
			return nil, sectionErr(err, s.id, s.start)
		}
	}
	return p, nil
}

func (p *parsed) readTypes(r *reader) error {
	n, err := r.u32()
	if err != nil {
		return err
	}
	for range n {
		form, err := r.byte()
		if err != nil {
			return err
		}
		if form != 0x60 {
			return errBad
		}
		var ft funcType
		for _, dst := range []*[]byte{&ft.params, &ft.results} {
			cnt, err := r.u32()
			if err != nil {
				return err
			}
			if uint64(cnt) > uint64(len(r.b)-r.off) {
				return errShort
			}
			for range cnt {
				t, err := r.valType()
				if err != nil {
					return err
				}
				*dst = append(*dst, t)
			}
		}
		p.types = append(p.types, ft)
	}
	return nil
}

func (p *parsed) readImports(r *reader) error {
	n, err := r.u32()
	if err != nil {
		return err
	}
	for range n {
		var imp Import
		if imp.Module, err = r.name(); err != nil {
			return err
		}
		if imp.Name, err = r.name(); err != nil {
			return err
		}
		kind, err := r.byte()
		if err != nil {
			return err
		}
		imp.Kind = kindName(kind)
		switch kind {
		case kindFunc:
			idx, err := r.u32()
			if err != nil {
				return err
			}
			if int(idx) >= len(p.types) {
				return errBad
			}
			imp.Params = typeNames(p.types[idx].params)
			imp.Results = typeNames(p.types[idx].results)
			p.funcs = append(p.funcs, idx)
		case kindTable:
			if _, err := r.valType(); err != nil {
				return err
			}
			if _, _, _, err := r.limits(); err != nil {
				return err
			}
		case kindMemory:
			if _, _, _, err := r.limits(); err != nil {
				return err
			}
		case kindGlobal:
			if _, err := r.valType(); err != nil {
				return err
			}
			if _, err := r.byte(); err != nil {
				return err
			}
		case kindTag:
			if _, err := r.byte(); err != nil {
				return err
			}
			if _, err := r.u32(); err != nil {
				return err
			}
		default:
			return errBad
		}
		p.imports = append(p.imports, imp)
	}
	return nil
}

func (p *parsed) readFunctions(r *reader) error {
	n, err := r.u32()
	if err != nil {
		return err
	}
	for range n {
		idx, err := r.u32()
		if err != nil {
			return err
		}
		if int(idx) >= len(p.types) {
			return errBad
		}
		p.funcs = append(p.funcs, idx)
	}
	return nil
}

func (p *parsed) readMemories(r *reader) error {
	n, err := r.u32()
	if err != nil {
		return err
	}
	for i := range n {
		lmin, lmax, hasMax, err := r.limits()
		if err != nil {
			return err
		}
		if i == 0 {
			p.hasMem, p.memMin, p.memMax, p.hasMax = true, lmin, lmax, hasMax
		}
	}
	return nil
}

func (p *parsed) readGlobals(r *reader) error {
	n, err := r.u32()
	if err != nil {
		return err
	}
	for range n {
		t, err := r.valType()
		if err != nil {
			return err
		}
		mut, err := r.byte()
		if err != nil {
			return err
		}
		if mut > 1 {
			return errBad
		}
		if err := skipConstExpr(r); err != nil {
			return err
		}
		p.globals = append(p.globals, globalType{val: t, mutable: mut == 1})
	}
	return nil
}

func (p *parsed) readExports(r *reader) error {
	n, err := r.u32()
	if err != nil {
		return err
	}
	for range n {
		name, err := r.name()
		if err != nil {
			return err
		}
		kind, err := r.byte()
		if err != nil {
			return err
		}
		if kind > kindTag {
			return errBad
		}
		idx, err := r.u32()
		if err != nil {
			return err
		}
		if kind == kindFunc && int(idx) >= len(p.funcs) {
			return errBad
		}
		p.exports = append(p.exports, Export{Name: name, Kind: kindName(kind)})
		p.exportAt = append(p.exportAt, idx)
	}
	return nil
}

// export returns the export called name and its index in its kind's index
// space.
func (p *parsed) export(name string) (Export, uint32, bool) {
	for i, e := range p.exports {
		if e.Name == name {
			return e, p.exportAt[i], true
		}
	}
	return Export{}, 0, false
}

// funcSig returns the parameter and result types of function idx, which
// readExports checked exists.
func (p *parsed) funcSig(idx uint32) (params, results []string) {
	ft := p.types[p.funcs[idx]]
	return typeNames(ft.params), typeNames(ft.results)
}

func kindName(k byte) string {
	switch k {
	case kindFunc:
		return "func"
	case kindTable:
		return "table"
	case kindMemory:
		return "memory"
	case kindGlobal:
		return "global"
	case kindTag:
		return "tag"
	}
	return fmt.Sprintf("kind(%d)", k)
}

func typeNames(ts []byte) []string {
	out := make([]string, len(ts))
	for i, t := range ts {
		switch t {
		case 0x7f:
			out[i] = "i32"
		case 0x7e:
			out[i] = "i64"
		case 0x7d:
			out[i] = "f32"
		case 0x7c:
			out[i] = "f64"
		case 0x7b:
			out[i] = "v128"
		case 0x70:
			out[i] = "funcref"
		case 0x6f:
			out[i] = "externref"
		default:
			out[i] = "ref"
		}
	}
	return out
}

// appendULEB appends v as unsigned LEB128.
func appendULEB(b []byte, v uint64) []byte {
	for {
		c := byte(v & 0x7f)
		v >>= 7
		if v != 0 {
			b = append(b, c|0x80)
			continue
		}
		return append(b, c)
	}
}
