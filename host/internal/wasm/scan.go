package wasm

// The instruction decoder behind mutatesTables: it only skips immediates,
// so that scanning the 4 MB of code of a Go module takes milliseconds. It
// knows the instruction set wazero compiles by default (WebAssembly 2.0:
// sign extension, saturating conversions, bulk memory, reference types,
// SIMD, multiple values); any other opcode is an error.

// Immediates of an opcode.
const (
	immBad      = iota // not an instruction wazero compiles by default
	immNone            // no immediate
	immLEB             // one LEB128 (an index, a block type, a constant)
	immLEB2            // two: call_indirect
	immMemarg          // alignment (bit 6: a memory index follows), offset
	immBrTable         // a vector of labels and a default
	immSelectT         // a vector of value types
	immByte            // one byte: ref.null's type
	immFixed4          // f32.const
	immFixed8          // f64.const
	immTableSet        // table.set: one LEB; writes a table
	immFC              // the 0xfc prefix
	immFD              // the 0xfd prefix (SIMD)
)

// opImmediates returns the immediates of every one-byte opcode.
func opImmediates() *[256]byte {
	var t [256]byte
	set := func(kind byte, ops ...int) {
		for _, op := range ops {
			t[op] = kind
		}
	}
	set(immNone, 0x00, 0x01, 0x05, 0x0b, 0x0f, 0x1a, 0x1b, 0xd1)
	for op := 0x45; op <= 0xc4; op++ {
		t[op] = immNone
	}
	set(immLEB, 0x02, 0x03, 0x04, 0x0c, 0x0d, 0x10, 0x20, 0x21, 0x22, 0x23, 0x24, 0x25, 0x3f, 0x40, 0x41, 0x42, 0xd2)
	set(immLEB2, 0x11)
	for op := 0x28; op <= 0x3e; op++ {
		t[op] = immMemarg
	}
	set(immBrTable, 0x0e)
	set(immSelectT, 0x1c)
	set(immByte, 0xd0)
	set(immFixed4, 0x43)
	set(immFixed8, 0x44)
	set(immTableSet, 0x26)
	set(immFC, 0xfc)
	set(immFD, 0xfd)
	return &t
}

// Sub-opcodes of 0xfc that write a table or drop a segment.
const (
	fcDataDrop  = 9
	fcTableInit = 12
	fcElemDrop  = 13
	fcTableCopy = 14
	fcTableGrow = 15
	fcTableFill = 17
)

// scanner walks instructions in b.
type scanner struct {
	b   []byte
	i   int
	imm *[256]byte
	bad bool
}

// leb skips one LEB128 and returns its first byte.
func (s *scanner) leb() byte {
	if s.i >= len(s.b) {
		s.bad = true
		return 0
	}
	first := s.b[s.i]
	for n := 0; s.i < len(s.b); n++ {
		c := s.b[s.i]
		s.i++
		if c&0x80 == 0 {
			return first
		}
		if n == 9 {
			break
		}
	}
	s.bad = true
	return 0
}

// u32 reads an unsigned LEB128 of at most 32 bits.
func (s *scanner) u32() uint32 {
	var v uint32
	for shift := 0; shift < 35; shift += 7 {
		if s.i >= len(s.b) {
			break
		}
		c := s.b[s.i]
		s.i++
		v |= uint32(c&0x7f) << shift
		if c&0x80 == 0 {
			return v
		}
	}
	s.bad = true
	return 0
}

func (s *scanner) skip(n int) {
	if n > len(s.b)-s.i {
		s.bad = true
		s.i = len(s.b)
		return
	}
	s.i += n
}

func (s *scanner) memarg() {
	if align := s.leb(); align&0x40 != 0 {
		s.leb()
	}
	s.leb()
}

// next skips the instruction at s.i, reporting whether it writes a table or
// drops a segment and whether it is an end.
func (s *scanner) next() (mutates, end bool) {
	op := s.b[s.i]
	s.i++
	switch s.imm[op] {
	case immNone:
		return false, op == 0x0b
	case immLEB:
		s.leb()
	case immLEB2:
		s.leb()
		s.leb()
	case immMemarg:
		s.memarg()
	case immBrTable:
		for n := uint64(s.u32()) + 1; n > 0 && !s.bad; n-- {
			s.leb()
		}
	case immSelectT:
		n := s.u32()
		s.skip(int(min(n, uint32(len(s.b)))))
	case immByte:
		s.skip(1)
	case immFixed4:
		s.skip(4)
	case immFixed8:
		s.skip(8)
	case immTableSet:
		s.leb()
		return true, false
	case immFC:
		return s.nextFC(), false
	case immFD:
		s.nextFD()
	default:
		s.bad = true
	}
	return false, false
}

func (s *scanner) nextFC() bool {
	sub := s.u32()
	switch {
	case sub <= 7: // saturating truncations
	case sub == 11, sub == 16, sub == fcDataDrop, sub == fcElemDrop, sub == fcTableGrow, sub == fcTableFill:
		s.leb()
	case sub == 8, sub == 10, sub == fcTableInit, sub == fcTableCopy:
		s.leb()
		s.leb()
	default:
		s.bad = true
		return false
	}
	switch sub {
	case fcDataDrop, fcTableInit, fcElemDrop, fcTableCopy, fcTableGrow, fcTableFill:
		return true
	}
	return false
}

func (s *scanner) nextFD() {
	switch sub := s.u32(); {
	case sub <= 11, sub == 92, sub == 93: // loads and stores
		s.memarg()
	case sub == 12, sub == 13: // v128.const, i8x16.shuffle
		s.skip(16)
	case sub >= 21 && sub <= 34: // extract and replace lane
		s.skip(1)
	case sub >= 84 && sub <= 91: // load and store lane
		s.memarg()
		s.skip(1)
	case sub > 0xff:
		s.bad = true
	}
}

// skipConstExpr skips a constant expression up to and including its end.
func skipConstExpr(r *reader) error {
	s := &scanner{b: r.b, i: r.off, imm: opImmediates()}
	for s.i < len(s.b) && !s.bad {
		if _, end := s.next(); end {
			r.off = s.i
			return nil
		}
	}
	if s.bad {
		return errBad
	}
	return errShort
}

// mutatesTables reads every function body of a code section and reports
// whether any instruction writes a table or drops a segment: state that a
// reactor snapshot of memory and globals would not bring back.
func mutatesTables(code []byte) (bool, error) {
	if code == nil {
		return false, nil
	}
	r := &reader{b: code}
	n, err := r.u32()
	if err != nil {
		return false, err
	}
	imm := opImmediates()
	for range n {
		size, err := r.u32()
		if err != nil {
			return false, err
		}
		body, err := r.bytes(uint64(size))
		if err != nil {
			return false, err
		}
		s := &scanner{b: body, imm: imm}
		for groups := s.u32(); groups > 0 && !s.bad; groups-- {
			s.leb()   // count
			s.skip(1) // value type
		}
		for s.i < len(s.b) && !s.bad {
			if mutates, _ := s.next(); mutates {
				return true, nil
			}
		}
		if s.bad {
			return false, errBad
		}
	}
	if r.off != len(r.b) {
		return false, errBad
	}
	return false, nil
}
