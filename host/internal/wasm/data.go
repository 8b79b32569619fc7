package wasm

import (
	"errors"
	"fmt"

	"github.com/tetratelabs/wazero/api"
)

// dataSegment is an active data segment of memory 0 at a constant offset:
// what a stand-in leaves out and the host writes itself (stub.go).
type dataSegment struct {
	offset uint32
	bytes  []byte // a part of the module's bytes
}

// activeData reads payload, a data section, when every segment in it is an
// active segment of memory 0 at an i32.const offset; ok is false otherwise
// (a passive segment, another memory, another offset expression).
func activeData(payload []byte) (segs []dataSegment, ok bool) {
	r := &reader{b: payload}
	n, err := r.u32()
	if err != nil || uint64(n) > uint64(len(payload)) {
		return nil, false
	}
	segs = make([]dataSegment, 0, n)
	for range n {
		flag, err := r.u32()
		if err != nil || flag != 0 {
			return nil, false
		}
		if op, err := r.byte(); err != nil || op != 0x41 { // i32.const
			return nil, false
		}
		off, err := r.sleb32()
		if err != nil {
			return nil, false
		}
		if end, err := r.byte(); err != nil || end != 0x0b {
			return nil, false
		}
		size, err := r.u32()
		if err != nil {
			return nil, false
		}
		b, err := r.bytes(uint64(size))
		if err != nil {
			return nil, false
		}
		segs = append(segs, dataSegment{offset: uint32(off), bytes: b})
	}
	return segs, r.off == len(payload)
}

// emptyData is a data section of segs with every segment's bytes left out:
// the same count and offsets, so that the module's indexes and bounds are
// the same.
func emptyData(segs []dataSegment) []byte {
	out := appendULEB(nil, uint64(len(segs)))
	for _, s := range segs {
		out = append(out, 0x00, 0x41)
		out = appendSLEB32(out, int32(s.offset))
		out = append(out, 0x0b, 0x00)
	}
	return out
}

// writeData writes segs into mem, as instantiating the module would have;
// a segment past the memory's end fails it as instantiation would.
func writeData(mem api.Memory, segs []dataSegment) error {
	if mem == nil {
		if len(segs) > 0 {
			return errors.New("data segments but no memory")
		}
		return nil
	}
	for i, s := range segs {
		if !mem.Write(s.offset, s.bytes) {
			return fmt.Errorf("data segment %d (%d bytes at %d) is out of bounds of memory", i, len(s.bytes), s.offset)
		}
	}
	return nil
}

// sleb32 reads a signed LEB128 of at most 32 bits.
func (r *reader) sleb32() (int32, error) {
	var v int64
	var shift uint
	for {
		c, err := r.byte()
		if err != nil {
			return 0, err
		}
		if shift >= 35 {
			return 0, errBad
		}
		v |= int64(c&0x7f) << shift
		shift += 7
		if c&0x80 == 0 {
			if shift < 64 && c&0x40 != 0 {
				v |= -1 << shift
			}
			break
		}
	}
	if v < -1<<31 || v > 1<<31-1 {
		return 0, errBad
	}
	return int32(v), nil
}

// appendSLEB32 appends v as signed LEB128.
func appendSLEB32(b []byte, v int32) []byte {
	x := int64(v)
	for {
		c := byte(x & 0x7f)
		x >>= 7
		if x == 0 && c&0x40 == 0 || x == -1 && c&0x40 != 0 {
			return append(b, c)
		}
		b = append(b, c|0x80)
	}
}
