package wasmdata

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/require"
)

// seg is a data segment to encode: active at offset in memory 0 (mem 1 for
// another memory), passive, or with a global.get offset.
type seg struct {
	offset  uint32
	data    string
	passive bool
	global  bool
	mem     uint32
}

// module encodes a module holding a memory section and the segments, with
// a data count section when dataCount.
func module(segs []seg, dataCount bool) []byte {
	b := []byte("\x00asm\x01\x00\x00\x00")
	b = append(b, 5, 3, 1, 0, 1) // memory section: one memory, min 1 page
	if dataCount {
		b = append(b, secDataCount)
		c := appendULEB(nil, uint64(len(segs)))
		b = appendULEB(b, uint64(len(c)))
		b = append(b, c...)
	}
	p := appendULEB(nil, uint64(len(segs)))
	for _, s := range segs {
		switch {
		case s.passive:
			p = append(p, 1)
		case s.mem != 0:
			p = append(p, 2)
			p = appendULEB(p, uint64(s.mem))
		default:
			p = append(p, 0)
		}
		if !s.passive {
			if s.global {
				p = append(p, 0x23, 0, 0x0b)
			} else {
				p = append(p, 0x41)
				p = appendSLEB(p, int64(int32(s.offset)))
				p = append(p, 0x0b)
			}
		}
		p = appendULEB(p, uint64(len(s.data)))
		p = append(p, s.data...)
	}
	b = append(b, secData)
	b = appendULEB(b, uint64(len(p)))
	b = append(b, p...)
	return append(b, 0, 4, 3, 'e', 'n', 'd') // a custom section after it
}

// apply is the reference: the memory (of size) after instantiating a
// module's active constant segments of memory 0, in order; ok is false
// when one is out of bounds or not constant.
func apply(t *testing.T, bin []byte, size int) (mem []byte, ok bool) {
	t.Helper()
	data, _, err := findData(bin)
	require.NoError(t, err)
	mem = make([]byte, size)
	if data == nil {
		return mem, true
	}
	segs, err := parseSegments(bin[data.payload:data.end])
	require.NoError(t, err)
	for _, s := range segs {
		if s.raw[0] == 1 {
			continue
		}
		if !s.plain || s.end() > uint64(size) {
			return nil, false
		}
		copy(mem[s.offset:], s.data)
	}
	return mem, true
}

func TestMerge(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name          string
		segs          []seg
		dataCount     bool
		before, after int
	}{
		{"Go's layout: short runs 18 bytes apart", []seg{{0, "ab", false, false, 0}, {20, "cd", false, false, 0}, {40, "e", false, false, 0}}, false, 3, 1},
		{"touching segments", []seg{{0, "ab", false, false, 0}, {2, "cd", false, false, 0}}, false, 2, 1},
		{"a gap over MaxGap stays", []seg{{0, "ab", false, false, 0}, {2 + MaxGap + 1, "cd", false, false, 0}}, false, 2, 2},
		{"a gap of exactly MaxGap is filled", []seg{{0, "ab", false, false, 0}, {2 + MaxGap, "cd", false, false, 0}}, false, 2, 1},
		{"out of address order: two runs", []seg{{100, "x", false, false, 0}, {110, "y", false, false, 0}, {0, "z", false, false, 0}, {10, "w", false, false, 0}}, false, 4, 2},
		{"a gap another segment writes is not filled", []seg{{10, "m", false, false, 0}, {0, "ab", false, false, 0}, {20, "cd", false, false, 0}}, false, 3, 3},
		{"overlapping segments: left alone", []seg{{0, "abcd", false, false, 0}, {2, "XY", false, false, 0}}, false, 2, 2},
		{"a passive segment: left alone", []seg{{0, "ab", false, false, 0}, {0, "p", true, false, 0}, {4, "cd", false, false, 0}}, false, 3, 3},
		{"a data count section: left alone", []seg{{0, "ab", false, false, 0}, {4, "cd", false, false, 0}}, true, 2, 2},
		{"a global offset breaks the run", []seg{{0, "ab", false, false, 0}, {0, "g", false, true, 0}, {4, "cd", false, false, 0}, {6, "ef", false, false, 0}}, false, 4, 3},
		{"another memory breaks the run", []seg{{0, "ab", false, false, 0}, {4, "m1", false, false, 1}, {8, "cd", false, false, 0}}, false, 3, 3},
		{"an offset past 2 GiB", []seg{{0x8000_0000, "ab", false, false, 0}, {0x8000_0004, "cd", false, false, 0}}, false, 2, 1},
		{"one segment", []seg{{0, "ab", false, false, 0}}, false, 1, 1},
		{"none", nil, false, 0, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			bin := module(tc.segs, tc.dataCount)
			got, err := Merge(bin)
			require.NoError(t, err)
			require.Equal(t, tc.before, got.Before)
			require.Equal(t, tc.after, got.After)
			if tc.before == tc.after {
				require.Equal(t, bin, got.Bin, "nothing joined: the module is returned as it is")
				return
			}
			if tc.segs[0].offset < 1<<20 {
				want, wantOK := apply(t, bin, 1<<16)
				mem, ok := apply(t, got.Bin, 1<<16)
				require.Equal(t, wantOK, ok)
				require.Equal(t, want, mem, "the merged module writes the same memory")
			}
			require.True(t, bytes.HasSuffix(got.Bin, []byte{0, 4, 3, 'e', 'n', 'd'}), "the sections after the data section are kept")
			again, err := Merge(got.Bin)
			require.NoError(t, err)
			require.Equal(t, got.Bin, again.Bin, "merging is idempotent")
		})
	}
}

func TestMerge_malformed(t *testing.T) {
	t.Parallel()
	good := module([]seg{{0, "ab", false, false, 0}, {4, "cd", false, false, 0}}, false)
	tests := []struct {
		name string
		bin  []byte
	}{
		{"empty", nil},
		{"not wasm", []byte("\x7fELF\x02\x01\x01\x00")},
		{"a section past the end", append([]byte("\x00asm\x01\x00\x00\x00"), 11, 100, 1)},
		{"a segment past the section", append([]byte("\x00asm\x01\x00\x00\x00"), 11, 5, 1, 0, 0x41, 0, 0x0b)},
		{"truncated", good[:len(good)-9]},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := Merge(tc.bin)
			require.ErrorIs(t, err, ErrMalformed)
		})
	}
}

// FuzzMerge: for any segment layout, the merged module writes the same
// memory as the original, has no more segments, and Merge never panics on
// any bytes.
func FuzzMerge(f *testing.F) {
	f.Add([]byte{0, 2, 20, 2, 40, 1}, false)
	f.Add([]byte{10, 1, 0, 2, 20, 2}, false)
	f.Add([]byte{0, 4, 2, 2}, true)
	f.Fuzz(func(t *testing.T, layout []byte, raw bool) {
		if raw {
			_, _ = Merge(layout) // any bytes: an error or a module, never a panic
			return
		}
		var segs []seg
		for i := 0; i+1 < len(layout) && len(segs) < 64; i += 2 {
			off := uint32(layout[i]) * 7 % 4096
			n := int(layout[i+1] % 32)
			data := make([]byte, n)
			for k := range data {
				data[k] = byte(i+k) | 1 // never zero: a byte lost to a gap shows
			}
			segs = append(segs, seg{offset: off, data: string(data), passive: layout[i+1] == 255})
		}
		bin := module(segs, false)
		got, err := Merge(bin)
		require.NoError(t, err)
		require.LessOrEqual(t, got.After, got.Before)
		want, wantOK := apply(t, bin, 1<<13)
		mem, ok := apply(t, got.Bin, 1<<13)
		require.Equal(t, wantOK, ok)
		require.Equal(t, want, mem)
	})
}
