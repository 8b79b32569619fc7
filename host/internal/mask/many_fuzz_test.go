package mask

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// FuzzWriter_manyValues: with hundreds of values, some of them prefixes or
// overlaps of others, what a Writer prints for a text cut anywhere into
// writes is what Set.String gives for the whole text, and no value is left
// in it. Values are 8 to 40 letters and digits (longer than any value a
// mask may leave alone as trivia), drawn from the input, plus some of their
// prefixes; the text mixes them with the input's own bytes. It uses only
// the public API (NewSet, Add, String, NewWriter, Write, Flush).
func FuzzWriter_manyValues(f *testing.F) {
	f.Add([]byte("seed"), uint16(300), []byte("token=VAL3 and VAL17VAL18 -- VAL2"), uint16(7))
	f.Add([]byte{0}, uint16(2000), []byte("VAL1999VAL0VAL1"), uint16(1))
	f.Add([]byte("x"), uint16(1), []byte(""), uint16(0))
	f.Fuzz(func(t *testing.T, seed []byte, count uint16, text []byte, cut uint16) {
		n := int(count%2000) + 1
		values := make([]string, n)
		for i := range values {
			h := sha256.Sum256(append(append([]byte{}, seed...), byte(i), byte(i>>8)))
			v := hex.EncodeToString(h[:])[:8+i%33]
			if i%7 == 3 && i > 0 {
				v = values[i-1][:min(len(values[i-1]), 8+i%5)] + v[:4] // shares a prefix with the one before
			}
			values[i] = v
		}
		set := NewSet()
		for _, v := range values {
			set.Add(v)
		}
		// VALk in the text stands for values[k].
		in := string(text)
		for k := n - 1; k >= 0; k-- {
			in = strings.ReplaceAll(in, "VAL"+strconv.Itoa(k), values[k])
		}
		want := set.String(in)
		var got bytes.Buffer
		w := NewWriter(&got, set)
		step := int(cut%64) + 1
		for i := 0; i < len(in); i += step {
			_, err := w.Write([]byte(in[i:min(len(in), i+step)]))
			require.NoError(t, err)
		}
		require.NoError(t, w.Flush())
		require.Equal(t, want, got.String(), "the writer and the set disagree")
		for _, v := range values {
			require.NotContains(t, got.String(), v, "a value was left in %q", in)
		}
	})
}
