package wasmdata

import (
	"os"
	"testing"

	"github.com/stretchr/testify/require"
)

// goModule is a Go-built module's layout, made up: n segments of 2 bytes,
// 18 bytes apart, as Go's linker writes them.
func goModule(n int) []byte {
	segs := make([]seg, n)
	for i := range segs {
		segs[i] = seg{offset: uint32(4096 + 20*i), data: "\x01\x02"}
	}
	return module(segs, false)
}

// TestBenchmarkMerge is BenchmarkMerge's twin: the same input merges into
// one segment writing the same memory.
func TestBenchmarkMerge(t *testing.T) {
	t.Parallel()
	bin := goModule(1000)
	got, err := Merge(bin)
	require.NoError(t, err)
	require.Equal(t, 1, got.After)
	want, _ := apply(t, bin, 1<<16)
	mem, _ := apply(t, got.Bin, 1<<16)
	require.Equal(t, want, mem)
}

// BenchmarkMerge merges 75,000 segments, the exec module's count before
// make wasm merged it.
func BenchmarkMerge(b *testing.B) {
	bin := goModule(75000)
	if f := os.Getenv("WASMDATA_BENCH_MODULE"); f != "" {
		var err error
		if bin, err = os.ReadFile(f); err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(int64(len(bin)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Merge(bin); err != nil {
			b.Fatal(err)
		}
	}
}
