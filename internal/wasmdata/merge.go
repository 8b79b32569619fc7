package wasmdata

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
)

// MaxGap is the longest gap between two segments that Merge fills with
// zeros to join them. Go's linker leaves 17 to 20 bytes between runs; a
// gap costs its length in the module and nothing in memory, whose pages
// the neighbouring bytes touch anyway.
const MaxGap = 64

// ErrMalformed is returned for bytes Merge cannot parse as a module.
var ErrMalformed = errors.New("malformed module")

// Section ids Merge looks at.
const (
	secData      = 11
	secDataCount = 12
)

// Result is a module after Merge.
type Result struct {
	// Bin is the module: new bytes when segments were joined, else the
	// input itself.
	Bin []byte
	// Before and After count its data segments.
	Before, After int
}

// segment is one data segment of the data section.
type segment struct {
	raw    []byte // its encoding, copied when it is not joined
	data   []byte
	offset uint32
	plain  bool // active, memory 0, i32.const offset, not empty: it can be joined
}

func (s segment) end() uint64 { return uint64(s.offset) + uint64(len(s.data)) }

// Merge joins the module's data segments (see the package doc). A module
// with nothing to join is returned as it is.
func Merge(bin []byte) (Result, error) {
	data, dataCount, err := findData(bin)
	if err != nil {
		return Result{}, err
	}
	if data == nil {
		return Result{Bin: bin}, nil
	}
	segs, err := parseSegments(bin[data.payload:data.end])
	if err != nil {
		return Result{}, err
	}
	res := Result{Bin: bin, Before: len(segs), After: len(segs)}
	if dataCount || slices.ContainsFunc(segs, func(s segment) bool { return s.raw[0] == 1 }) {
		return res, nil
	}
	iv, sorted := plainSpans(segs)
	if overlap(iv) {
		return res, nil
	}
	if sorted {
		iv = nil // no segment can lie between two that follow each other
	}
	runs := joinable(segs, iv)
	if len(runs) == len(segs) {
		return res, nil
	}
	size := 10 // the count, and a header per run
	for _, r := range runs {
		size += 16 + int(segs[r.last].end()-uint64(segs[r.first].offset)) + len(segs[r.first].raw)
	}
	sec := appendULEB(make([]byte, 0, size), uint64(len(runs)))
	for _, r := range runs {
		if r.last == r.first {
			sec = append(sec, segs[r.first].raw...)
			continue
		}
		first := segs[r.first]
		n := segs[r.last].end() - uint64(first.offset)
		sec = append(sec, 0, 0x41) // active, memory 0, i32.const
		sec = appendSLEB(sec, int64(int32(first.offset)))
		sec = append(sec, 0x0b)
		sec = appendULEB(sec, n)
		at := len(sec)
		sec = append(sec, make([]byte, n)...)
		for _, s := range segs[r.first : r.last+1] {
			copy(sec[at+int(s.offset-first.offset):], s.data)
		}
	}
	out := make([]byte, 0, len(bin)-(data.end-data.payload)+len(sec)+10)
	out = append(out, bin[:data.start]...)
	out = append(out, secData)
	out = appendULEB(out, uint64(len(sec)))
	out = append(out, sec...)
	out = append(out, bin[data.end:]...)
	return Result{Bin: out, Before: len(segs), After: len(runs)}, nil
}

// span locates a section: its id byte at start, its payload from payload
// to end.
type span struct{ start, payload, end int }

// findData returns the data section, nil when there is none, and whether
// the module has a data count section.
func findData(bin []byte) (*span, bool, error) {
	if len(bin) < 8 || !bytes.Equal(bin[:4], []byte("\x00asm")) || !bytes.Equal(bin[4:8], []byte{1, 0, 0, 0}) {
		return nil, false, fmt.Errorf("%w: not a WebAssembly 1.0 binary", ErrMalformed)
	}
	var data *span
	count := false
	for i := 8; i < len(bin); {
		id := bin[i]
		n, next, err := uleb(bin, i+1)
		if err != nil || uint64(len(bin)-next) < n {
			return nil, false, fmt.Errorf("%w: section at %d runs past the end", ErrMalformed, i)
		}
		switch id {
		case secData:
			if data != nil {
				return nil, false, fmt.Errorf("%w: two data sections", ErrMalformed)
			}
			data = &span{start: i, payload: next, end: next + int(n)}
		case secDataCount:
			count = true
		}
		i = next + int(n)
	}
	return data, count, nil
}

// parseSegments decodes a data section's payload.
func parseSegments(p []byte) ([]segment, error) {
	n, i, err := uleb(p, 0)
	if err != nil || n > uint64(len(p)) {
		return nil, fmt.Errorf("%w: bad data section", ErrMalformed)
	}
	segs := make([]segment, 0, n)
	for range n {
		start := i
		flags, next, err := uleb(p, i)
		if err != nil {
			return nil, fmt.Errorf("%w: bad data segment %d", ErrMalformed, len(segs))
		}
		i = next
		s := segment{}
		mem := uint64(0)
		switch flags {
		case 0, 2:
			if flags == 2 {
				if mem, i, err = uleb(p, i); err != nil {
					return nil, fmt.Errorf("%w: bad data segment %d", ErrMalformed, len(segs))
				}
			}
			var constant bool
			if s.offset, constant, i, err = offsetExpr(p, i); err != nil {
				return nil, fmt.Errorf("%w: data segment %d: %w", ErrMalformed, len(segs), err)
			}
			s.plain = constant && mem == 0
		case 1:
		default:
			return nil, fmt.Errorf("%w: data segment %d has flags %d", ErrMalformed, len(segs), flags)
		}
		size, next, err := uleb(p, i)
		if err != nil || uint64(len(p)-next) < size {
			return nil, fmt.Errorf("%w: data segment %d runs past the section", ErrMalformed, len(segs))
		}
		s.data = p[next : next+int(size)]
		s.plain = s.plain && size > 0 // an empty segment only checks its offset: kept as it is
		i = next + int(size)
		s.raw = p[start:i]
		segs = append(segs, s)
	}
	if i != len(p) {
		return nil, fmt.Errorf("%w: bytes after the last data segment", ErrMalformed)
	}
	return segs, nil
}

// offsetExpr reads a constant expression up to its end; constant reports
// an `i32.const N end`, whose N is returned.
func offsetExpr(p []byte, i int) (off uint32, constant bool, next int, err error) {
	if i < len(p) && p[i] == 0x41 {
		v, j, err := sleb32(p, i+1)
		if err == nil && j < len(p) && p[j] == 0x0b {
			return uint32(v), true, j + 1, nil
		}
	}
	// Anything else (global.get, i64.const, extended constants): skip to
	// its end, which these expressions mark with a 0x0b no immediate of
	// theirs can hold in the encodings a linker writes.
	for j := i; j < len(p); j++ {
		if p[j] == 0x0b {
			return 0, false, j + 1, nil
		}
	}
	return 0, false, 0, errors.New("offset expression without an end")
}

// overlap reports whether two spans of iv (sorted) share a byte: two
// segments write it, and Merge then leaves the module alone, since filling a gap
// could overwrite what another segment wrote.
func overlap(iv [][2]uint64) bool {
	for k := 1; k < len(iv); k++ {
		if iv[k][0] < iv[k-1][1] {
			return true
		}
	}
	return false
}

// plainSpans returns the [start, end) of every joinable segment, sorted,
// and whether the segments were in that order already.
func plainSpans(segs []segment) (iv [][2]uint64, sorted bool) {
	iv = make([][2]uint64, 0, len(segs))
	sorted = true
	for _, s := range segs {
		if s.plain {
			sp := [2]uint64{uint64(s.offset), s.end()}
			sorted = sorted && (len(iv) == 0 || iv[len(iv)-1][0] <= sp[0])
			iv = append(iv, sp)
		}
	}
	if !sorted {
		slices.SortFunc(iv, func(a, b [2]uint64) int { return compare(a[0], b[0]) })
	}
	return iv, sorted
}

func compare(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// run is segs[first..last], written as one segment.
type run struct{ first, last int }

// joinable groups consecutive segments into runs: a plain segment joins
// the run before it when it starts at most MaxGap bytes after the run's
// end and no other segment (of iv, every plain one, sorted; nil when
// the segments are in address order) writes into the gap.
func joinable(segs []segment, iv [][2]uint64) []run {
	var runs []run
	for i, s := range segs {
		if n := len(runs); n > 0 && s.plain && segs[runs[n-1].first].plain {
			end := segs[runs[n-1].last].end()
			if uint64(s.offset) >= end && uint64(s.offset)-end <= MaxGap && !written(iv, end, uint64(s.offset)) {
				runs[n-1].last = i
				continue
			}
		}
		runs = append(runs, run{i, i})
	}
	return runs
}

// written reports whether a span of iv (sorted, disjoint) meets [a, b).
func written(iv [][2]uint64, a, b uint64) bool {
	if a == b || iv == nil {
		return false
	}
	k, _ := slices.BinarySearchFunc(iv, a, func(s [2]uint64, t uint64) int {
		if s[1] <= t {
			return -1
		}
		return 1
	})
	return k < len(iv) && iv[k][0] < b
}

// uleb reads an unsigned LEB128 of at most 64 bits at p[i:].
func uleb(p []byte, i int) (uint64, int, error) {
	var v uint64
	for shift := 0; shift < 64; shift += 7 {
		if i >= len(p) {
			break
		}
		c := p[i]
		i++
		v |= uint64(c&0x7f) << shift
		if c&0x80 == 0 {
			return v, i, nil
		}
	}
	return 0, i, errors.New("bad LEB128")
}

// sleb32 reads a signed LEB128 of at most 32 bits at p[i:].
func sleb32(p []byte, i int) (int32, int, error) {
	var v int64
	shift := 0
	for n := 0; n < 5 && i < len(p); n++ {
		c := p[i]
		i++
		v |= int64(c&0x7f) << shift
		shift += 7
		if c&0x80 == 0 {
			if shift < 64 && c&0x40 != 0 {
				v |= -1 << shift
			}
			return int32(v), i, nil
		}
	}
	return 0, i, errors.New("bad LEB128")
}

func appendULEB(b []byte, v uint64) []byte {
	for {
		c := byte(v & 0x7f)
		v >>= 7
		if v != 0 {
			c |= 0x80
		}
		b = append(b, c)
		if v == 0 {
			return b
		}
	}
}

func appendSLEB(b []byte, v int64) []byte {
	for {
		c := byte(v & 0x7f)
		v >>= 7
		if (v == 0 && c&0x40 == 0) || (v == -1 && c&0x40 != 0) {
			return append(b, c)
		}
		b = append(b, c|0x80)
	}
}
