package mask

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// referenceMask is the meaning of masking, written the slow and obvious
// way: every occurrence of every pattern is covered, overlapping
// occurrences make one run, and each run prints as one Replacement.
func referenceMask(patterns []string, text string) string {
	lengths := map[int]bool{}
	set := map[string]bool{}
	for _, p := range patterns {
		set[p], lengths[len(p)] = true, true
	}
	type run struct{ start, end int }
	var runs []run
	for end := 1; end <= len(text); end++ {
		for n := range lengths {
			if n > end || !set[text[end-n:end]] {
				continue
			}
			start := end - n
			for len(runs) > 0 && runs[len(runs)-1].end > start {
				start = min(start, runs[len(runs)-1].start)
				runs = runs[:len(runs)-1]
			}
			runs = append(runs, run{start, end})
		}
	}
	var b strings.Builder
	at := 0
	for _, r := range runs {
		b.WriteString(text[at:r.start])
		b.WriteString(Replacement)
		at = r.end
	}
	b.WriteString(text[at:])
	return b.String()
}

// patternsOf returns every pattern set holds.
func patternsOf(set *Set) []string {
	set.mu.Lock()
	defer set.mu.Unlock()
	var out []string
	for _, b := range set.batches {
		for _, p := range b.patterns {
			out = append(out, string(p))
		}
	}
	for _, p := range set.pending {
		out = append(out, string(p))
	}
	return out
}

// manyValues makes n random values of 8 to 16 letters and a text of size
// bytes in which some of them occur, some overlapping.
func manyValues(n, size int) ([]string, []byte) {
	rng := rand.New(rand.NewPCG(1, 2))
	const letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_"
	word := func(l int) string {
		b := make([]byte, l)
		for i := range b {
			b[i] = letters[rng.IntN(len(letters))]
		}
		return string(b)
	}
	values := make([]string, n)
	for i := range values {
		values[i] = word(8 + rng.IntN(9))
	}
	var text bytes.Buffer
	for text.Len() < size {
		switch rng.IntN(10) {
		case 0:
			text.WriteString(values[rng.IntN(n)])
		case 1: // two values overlapping by a few bytes, or a value's prefix
			v := values[rng.IntN(n)]
			text.WriteString(v[:len(v)-3])
			text.WriteString(values[rng.IntN(n)])
		default:
			text.WriteString(word(1 + rng.IntN(40)))
		}
		text.WriteByte(" \n"[rng.IntN(2)])
	}
	return values, text.Bytes()[:size]
}

// writeInChunks writes text to a fresh Writer over set in chunks of the
// given sizes (repeated), and returns what came out.
func writeInChunks(t testing.TB, set *Set, text []byte, chunks []int) string {
	var got bytes.Buffer
	w := NewWriter(&got, set)
	for i := 0; len(text) > 0; i++ {
		n := min(len(text), max(1, chunks[i%len(chunks)]))
		if _, err := w.Write(text[:n]); err != nil {
			t.Fatal(err)
		}
		text = text[n:]
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	return got.String()
}

const (
	benchValues = 20_000
	benchBytes  = 1 << 20
)

// TestBenchmarkWriter_manyValues is the correctness twin of
// BenchmarkWriter_manyValues: the same 20,000 values and 1 MiB, masked as
// the reference does it, written whole and in odd chunks.
func TestBenchmarkWriter_manyValues(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("the reference model takes seconds on 1 MiB")
	}
	values, text := manyValues(benchValues, benchBytes)
	set := NewSet()
	for _, v := range values {
		set.Add(v)
	}
	want := referenceMask(patternsOf(set), string(text))
	require.Greater(t, strings.Count(want, Replacement), 10_000, "the text must hold many values")
	require.Equal(t, want, writeInChunks(t, set, text, []int{benchBytes}))
	require.Equal(t, want, writeInChunks(t, set, text, []int{4096, 7, 1, 333}))
}

// BenchmarkWriter_manyValues masks 1 MiB against 20,000 values: linear in
// the output, whatever the number of values (222 s before the automaton).
func BenchmarkWriter_manyValues(b *testing.B) {
	values, text := manyValues(benchValues, benchBytes)
	set := NewSet()
	for _, v := range values {
		set.Add(v)
	}
	set.matcher() // built once, as the first write of a run would
	b.ReportAllocs()
	b.SetBytes(int64(len(text)))
	for b.Loop() {
		var out countWriter
		w := NewWriter(&out, set)
		for chunk := text; len(chunk) > 0; chunk = chunk[min(len(chunk), 4096):] {
			_, _ = w.Write(chunk[:min(len(chunk), 4096)])
		}
		_ = w.Flush()
	}
}

// BenchmarkSet_Add_oneByOne adds 20,000 values one at a time with a write
// between each: the batches keep the rebuilds at O(n log n).
func BenchmarkSet_Add_oneByOne(b *testing.B) {
	values, _ := manyValues(benchValues, 1)
	b.ReportAllocs()
	for b.Loop() {
		set := NewSet()
		w := NewWriter(&countWriter{}, set)
		for _, v := range values {
			set.Add(v)
			_, _ = w.Write([]byte("a line of output\n"))
		}
	}
}

// TestBenchmarkSet_Add_oneByOne is the twin of BenchmarkSet_Add_oneByOne:
// after adding the values one by one with writes between, every one of
// them is masked.
func TestBenchmarkSet_Add_oneByOne(t *testing.T) {
	t.Parallel()
	values, _ := manyValues(2000, 1)
	set := NewSet()
	var got bytes.Buffer
	w := NewWriter(&got, set)
	for _, v := range values {
		set.Add(v)
		_, _ = w.Write([]byte("a line of output\n"))
	}
	_, _ = w.Write([]byte(strings.Join(values, "\n")))
	require.NoError(t, w.Flush())
	require.Equal(t, strings.Repeat("a line of output\n", len(values))+strings.TrimSuffix(strings.Repeat(Replacement+"\n", len(values)), "\n"), got.String())
}

type countWriter struct{ n int }

func (c *countWriter) Write(p []byte) (int, error) { c.n += len(p); return len(p), nil }

// FuzzWriter_reference checks a Writer against the reference model with
// several values, some overlapping, the text written in two pieces and a
// value added between them.
func FuzzWriter_reference(f *testing.F) {
	f.Add("abcdef", "defghi", "zzzz", "xabcdefghiy zzzz abc", 5)
	f.Add("line-one\nline-two", "pass", "ab\ncdef", "line-one line-two pass", 3)
	f.Fuzz(func(t *testing.T, v1, v2, v3, text string, cut int) {
		set := NewSet()
		set.Add(v1)
		set.Add(v2)
		if cut < 0 {
			cut = -cut
		}
		cut %= len(text) + 1
		var got bytes.Buffer
		w := NewWriter(&got, set)
		_, _ = w.Write([]byte(text[:cut]))
		// A value added now is masked in what follows, and in the bytes
		// held back that may begin it; what was printed stays printed.
		printed := got.Len()
		set.Add(v3)
		_, _ = w.Write([]byte(text[cut:]))
		require.NoError(t, w.Flush())

		for _, v := range []string{v1, v2} {
			if long(v) && !strings.Contains(v, "*") {
				require.NotContains(t, got.String(), v, "value %q leaked from %q", v, text)
			}
		}
		if long(v3) && !strings.Contains(v3, "*") && !strings.Contains(text[:cut], v3[:1]) {
			// Nothing of v3 could have been printed before it was added.
			require.NotContains(t, got.String()[printed:], v3, "value %q added mid-stream leaked from %q", v3, text)
		}
		odd := func(v string) bool { return strings.Contains(v, "*") || len(v) > maxPattern/6 } // a value with a form that long is matched by chunks
		if !strings.Contains(text, "*") && !slices.ContainsFunc([]string{v1, v2, v3}, odd) {
			// Without the values added mid-stream, the Writer is the reference.
			set2 := NewSet()
			set2.Add(v1)
			set2.Add(v2)
			want := referenceMask(patternsOf(set2), text)
			require.Equal(t, want, writeInChunks(t, set2, []byte(text), []int{cut, 1, 2}), fmt.Sprintf("values %q %q", v1, v2))
		}
	})
}
