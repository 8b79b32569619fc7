package wasm

// Instructions the reactor restore must know about: they change state that
// lives outside linear memory and globals (tables, dropped segments).
const (
	opTableSet = 0x26
	opPrefixFC = 0xfc
	opPrefixFD = 0xfd

	fcDataDrop  = 9
	fcTableInit = 12
	fcElemDrop  = 13
	fcTableCopy = 14
	fcTableGrow = 15
	fcTableFill = 17
)

// sleb skips a signed LEB128 of at most bits bits.
func (r *reader) sleb(bits uint) error {
	for i := uint(0); ; i += 7 {
		c, err := r.byte()
		if err != nil {
			return err
		}
		if c&0x80 == 0 {
			return nil
		}
		if i+7 >= bits {
			return errBad
		}
	}
}

// skip skips n bytes.
func (r *reader) skip(n int) error {
	if n > len(r.b)-r.off {
		return errShort
	}
	r.off += n
	return nil
}

// memarg skips a memory argument: alignment (with the multi-memory index
// flag), then the offset.
func (r *reader) memarg() error {
	align, err := r.u32()
	if err != nil {
		return err
	}
	if align&0x40 != 0 {
		if _, err := r.u32(); err != nil {
			return err
		}
	}
	_, err = r.uleb(64)
	return err
}

// instr skips the immediates of the instruction whose opcode r just read,
// and says whether it changes a table or drops a segment. It knows the
// instruction set wazero compiles by default (WebAssembly 2.0: bulk memory,
// reference types, SIMD, ...); any other opcode is errBad.
func (r *reader) instr(op byte) (mutates bool, err error) {
	switch {
	case op <= 0x01, op == 0x05, op == 0x0b, op == 0x0f, op == 0x1a, op == 0x1b,
		op >= 0x45 && op <= 0xc4, op == 0xd1:
		return false, nil // no immediates
	case op >= 0x02 && op <= 0x04: // block, loop, if
		return false, r.sleb(33)
	case op == 0x0c, op == 0x0d, op == 0x10, op >= 0x20 && op <= 0x25, op == 0x3f, op == 0x40, op == 0xd2:
		_, err = r.u32()
		return false, err
	case op == opTableSet:
		_, err = r.u32()
		return true, err
	case op == 0x0e: // br_table
		n, err := r.u32()
		if err != nil {
			return false, err
		}
		for range uint64(n) + 1 {
			if _, err := r.u32(); err != nil {
				return false, err
			}
		}
		return false, nil
	case op == 0x11: // call_indirect
		if _, err := r.u32(); err != nil {
			return false, err
		}
		_, err = r.u32()
		return false, err
	case op == 0x1c: // select t*
		n, err := r.u32()
		if err != nil {
			return false, err
		}
		for range n {
			if _, err := r.valType(); err != nil {
				return false, err
			}
		}
		return false, nil
	case op >= 0x28 && op <= 0x3e:
		return false, r.memarg()
	case op == 0x41:
		return false, r.sleb(32)
	case op == 0x42:
		return false, r.sleb(64)
	case op == 0x43:
		return false, r.skip(4)
	case op == 0x44:
		return false, r.skip(8)
	case op == 0xd0: // ref.null t
		return false, r.skip(1)
	case op == opPrefixFC:
		return r.instrFC()
	case op == opPrefixFD:
		return false, r.instrFD()
	}
	return false, errBad
}

func (r *reader) instrFC() (bool, error) {
	sub, err := r.u32()
	if err != nil {
		return false, err
	}
	var n int // u32 immediates
	switch {
	case sub <= 7: // saturating truncations
	case sub == 11, sub == fcDataDrop, sub == fcElemDrop, sub == fcTableGrow, sub == 16, sub == fcTableFill:
		n = 1
	case sub == 8, sub == 10, sub == fcTableInit, sub == fcTableCopy:
		n = 2
	default:
		return false, errBad
	}
	for range n {
		if _, err := r.u32(); err != nil {
			return false, err
		}
	}
	switch sub {
	case fcDataDrop, fcTableInit, fcElemDrop, fcTableCopy, fcTableGrow, fcTableFill:
		return true, nil
	}
	return false, nil
}

func (r *reader) instrFD() error {
	sub, err := r.u32()
	if err != nil {
		return err
	}
	switch {
	case sub <= 11, sub == 92, sub == 93: // loads and stores
		return r.memarg()
	case sub == 12, sub == 13: // v128.const, i8x16.shuffle
		return r.skip(16)
	case sub >= 21 && sub <= 34: // extract and replace lane
		return r.skip(1)
	case sub >= 84 && sub <= 91: // load and store lane
		if err := r.memarg(); err != nil {
			return err
		}
		return r.skip(1)
	case sub <= 0xff:
		return nil
	}
	return errBad
}

// skipConstExpr skips a constant expression up to and including its end.
func skipConstExpr(r *reader) error {
	for {
		op, err := r.byte()
		if err != nil {
			return err
		}
		if op == 0x0b {
			return nil
		}
		if _, err := r.instr(op); err != nil {
			return err
		}
	}
}

// mutatesTables reads every function body of a code section and reports
// whether any instruction writes a table or drops a segment: state a reactor
// snapshot of memory and globals would not bring back.
func mutatesTables(code []byte) (bool, error) {
	if code == nil {
		return false, nil
	}
	r := &reader{b: code}
	n, err := r.u32()
	if err != nil {
		return false, err
	}
	for range n {
		size, err := r.u32()
		if err != nil {
			return false, err
		}
		body, err := r.bytes(uint64(size))
		if err != nil {
			return false, err
		}
		br := &reader{b: body}
		groups, err := br.u32()
		if err != nil {
			return false, err
		}
		for range groups {
			if _, err := br.u32(); err != nil {
				return false, err
			}
			if _, err := br.valType(); err != nil {
				return false, err
			}
		}
		for br.off < len(br.b) {
			op := br.b[br.off]
			br.off++
			mutates, err := br.instr(op)
			if err != nil {
				return false, err
			}
			if mutates {
				return true, nil
			}
		}
	}
	if r.off != len(r.b) {
		return false, errBad
	}
	return false, nil
}
