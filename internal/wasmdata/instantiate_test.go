package wasmdata

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/tetratelabs/wazero"
)

// instantiate compiles bin (data only: a memory and its segments) in a new
// wazero runtime, instantiates it, and returns its memory's first n bytes.
func instantiate(tb testing.TB, bin []byte, n uint32) []byte {
	tb.Helper()
	ctx := context.Background()
	rt := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfigCompiler())
	defer func() { _ = rt.Close(ctx) }() // nothing of it is kept
	mod, err := rt.InstantiateWithConfig(ctx, bin, wazero.NewModuleConfig().WithName(""))
	require.NoError(tb, err)
	got, ok := mod.Memory().Read(0, n)
	require.True(tb, ok)
	return append([]byte(nil), got...)
}

// segmentsModule is goModule for wazero: in a memory of 32 pages (75,000
// segments end at 1.5 MiB), without module()'s last custom section.
func segmentsModule(n int) []byte {
	bin := goModule(n)
	bin = bin[:len(bin)-6]
	bin[12] = 32 // the memory section's min: module() declares one page
	return bin
}

// TestBenchmarkInstantiate is BenchmarkInstantiate's twin: wazero makes
// the same memory of both forms.
func TestBenchmarkInstantiate(t *testing.T) {
	t.Parallel()
	bin := segmentsModule(75000)
	merged, err := Merge(bin)
	require.NoError(t, err)
	require.Equal(t, 1, merged.After)
	require.Equal(t, instantiate(t, bin, 32<<16), instantiate(t, merged.Bin, 32<<16))
}

// BenchmarkInstantiate is a runtime's decode, compile and instantiation of
// a module whose data is 75,000 segments (Go's linker's layout), against
// the same data merged.
func BenchmarkInstantiate(b *testing.B) {
	bin := segmentsModule(75000)
	merged, err := Merge(bin)
	require.NoError(b, err)
	for _, bc := range []struct {
		name string
		bin  []byte
	}{{"segments=75000", bin}, {"segments=merged", merged.Bin}} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				instantiate(b, bc.bin, 1)
			}
		})
	}
}
