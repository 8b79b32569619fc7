package mask

import (
	"bytes"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// randomText returns n random letters.
func randomText(seed uint64, n int) string {
	rng := rand.New(rand.NewPCG(seed, 7))
	b := make([]byte, n)
	for i := range b {
		b[i] = "abcdefghijklmnopqrstuvwxyz0123456789"[rng.IntN(36)]
	}
	return string(b)
}

// TestWriter_longValue: a value longer than maxPattern (matched by chunks,
// not built into an automaton) prints as one Replacement whole, written in
// any pieces; a part of it printed leaves less than a chunk at either end.
func TestWriter_longValue(t *testing.T) {
	t.Parallel()
	long := randomText(1, 20_000)
	set := NewSet()
	set.Add(long)
	set.Add("short-secret")
	for _, chunks := range [][]int{{1 << 20}, {1}, {7, 300, 4096}, {chunkLen}, {chunkLen - 1, chunkLen + 1}} {
		got := writeInChunks(t, set, []byte("<"+long+"> short-secret <"+long+">"), chunks)
		require.Equal(t, "<*******> ******* <*******>", got, "chunks %v", chunks)
	}

	// A part of the value: no 2*chunkLen bytes of it are left in clear.
	part := long[3000:9000]
	got := writeInChunks(t, set, []byte("["+part+"]"), []int{333})
	require.Contains(t, got, Replacement)
	for i := 0; i+2*chunkLen <= len(part); i += 64 {
		require.NotContains(t, got, part[i:i+2*chunkLen])
	}
	require.Less(t, len(got), 2*chunkLen+len(Replacement)+2)
}

// TestSet_Add_largeValue: a 16 MiB value (a step output as large as the
// default outputBytes) costs chunks, not an automaton, and is masked.
func TestSet_Add_largeValue(t *testing.T) {
	t.Parallel()
	big := strings.Repeat(randomText(2, 1<<20)+"\n", 16)
	set := NewSet()
	set.Add(big)
	m := set.matcher()
	require.Empty(t, m.autos, "no automaton for a long value")
	require.NotNil(t, m.chunks)
	require.LessOrEqual(t, len(m.chunks.byHash), len(big)/chunkLen+1)
	var out bytes.Buffer
	w := NewWriter(&out, set)
	_, _ = w.Write([]byte("before "))
	_, _ = w.Write([]byte(big))
	_, _ = w.Write([]byte(" after"))
	require.NoError(t, w.Flush())
	require.Equal(t, "before ******* after", out.String())
}

// TestWriter_longValueAddedWhileHeld: a long value added while the writer
// holds the start of it back is masked from the held bytes on.
func TestWriter_longValueAddedWhileHeld(t *testing.T) {
	t.Parallel()
	long := randomText(3, 10_000)
	set := NewSet()
	set.Add(long[:100] + "-other-value") // holds back the start of long
	var out bytes.Buffer
	w := NewWriter(&out, set)
	_, _ = w.Write([]byte("a " + long[:90]))
	set.Add(long)
	_, _ = w.Write([]byte(long[90:] + " b"))
	require.NoError(t, w.Flush())
	require.Equal(t, "a ******* b", out.String())
}
