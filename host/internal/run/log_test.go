package run

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/mixbox/mixbox/host/internal/mask"
)

// TestLineWriter: the JSON log writes one output event per line, and cuts
// a line longer than maxLine into events marked partial, at rune
// boundaries, so that what it holds is bounded; the events put together
// give the stream back.
func TestLineWriter(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("x", maxLine-1) + "é" + strings.Repeat("y", 3*maxLine)
	tests := []struct {
		name   string
		writes []string
	}{
		{"short lines", []string{"a\nb\n", "c"}},
		{"a line across writes", []string{"ab", "cd\nef\n"}},
		{"a long line in one write", []string{long + "\nend\n"}},
		{"a long line byte by byte", strings.Split(long[:maxLine+10], "")},
		{"a line of exactly maxLine", []string{strings.Repeat("z", maxLine) + "\n"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var out bytes.Buffer
			l := newRunLog(true, mask.NewSet(), mask.NewSet(), &out, &out)
			w := &lineWriter{log: l, stream: "stdout"}
			for _, s := range tc.writes {
				_, err := w.Write([]byte(s))
				require.NoError(t, err)
				require.LessOrEqual(t, cap(w.partial), 2*maxLine, "the writer holds at most a line's worth")
			}
			w.flushPartial()
			var got strings.Builder
			for _, line := range strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n") {
				var e event
				require.NoError(t, json.Unmarshal([]byte(line), &e))
				require.Equal(t, "output", e.Event)
				require.LessOrEqual(t, len(e.Text), maxLine)
				require.NotContains(t, e.Text, "\ufffd", "a rune was cut")
				got.WriteString(e.Text)
				if !e.Partial {
					got.WriteString("\n")
				}
			}
			want := strings.Join(tc.writes, "")
			if !strings.HasSuffix(want, "\n") {
				want += "\n" // the last line, flushed
			}
			require.Equal(t, want, got.String())
		})
	}
}
