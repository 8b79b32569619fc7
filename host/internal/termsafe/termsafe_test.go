package termsafe

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestEscape(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, in, want string }{
		{"plain", "hello world", "hello world"},
		{"tabs and newlines kept", "a\tb\nc\n", "a\tb\nc\n"},
		{"escape sequence", "\x1b[2K\rstep 1/1 done", `\x1b[2K\x0dstep 1/1 done`},
		{"bell, backspace, DEL", "\a\b\x7f", `\x07\x08\x7f`},
		{"C1 CSI as UTF-8", "\u009b31m", `\u009b31m`},
		{"a lone 0x9b byte", "\x9b31m", `\x9b31m`},
		{"invalid UTF-8", "ok\xff\xfe", `ok\xff\xfe`},
		{"UTF-8 kept", "grüße ✓ \u00a0", "grüße ✓ \u00a0"},
		{"OSC title", "\x1b]0;pwned\x07", `\x1b]0;pwned\x07`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tc.want, Escape(tc.in))
			for cut := 0; cut <= len(tc.in); cut++ {
				var got bytes.Buffer
				w := NewWriter(&got)
				_, err := w.Write([]byte(tc.in[:cut]))
				require.NoError(t, err)
				_, err = w.Write([]byte(tc.in[cut:]))
				require.NoError(t, err)
				require.NoError(t, w.Flush())
				require.Equal(t, tc.want, got.String(), "cut at %d", cut)
			}
		})
	}
}

// TestWriter_incompleteAtFlush: an incomplete UTF-8 sequence left at the end
// is escaped byte by byte.
func TestWriter_incompleteAtFlush(t *testing.T) {
	t.Parallel()
	var got bytes.Buffer
	w := NewWriter(&got)
	_, _ = w.Write([]byte("a\xe2\x9c"))
	require.Equal(t, "a", got.String())
	require.NoError(t, w.Flush())
	require.Equal(t, `a\xe2\x9c`, got.String())
}

func FuzzEscape(f *testing.F) {
	f.Add("\x1b[31mred\x1b[0m\n", 3)
	f.Fuzz(func(t *testing.T, in string, cut int) {
		got := Escape(in)
		for _, c := range []byte(got) {
			require.False(t, c < 0x20 && c != '\t' && c != '\n' || c == 0x7f, "control byte %#x left in %q", c, got)
		}
		if cut < 0 {
			cut = -cut
		}
		cut %= len(in) + 1
		var buf bytes.Buffer
		w := NewWriter(&buf)
		_, _ = w.Write([]byte(in[:cut]))
		_, _ = w.Write([]byte(in[cut:]))
		_ = w.Flush()
		require.Equal(t, got, buf.String(), "a Writer must escape as Escape does")
	})
}
