package termsafe

import (
	"io"
	"strconv"
	"sync"
	"unicode/utf8"
)

// Escape returns s with the characters a terminal acts on escaped as text.
func Escape(s string) string {
	return string(appendEscaped(nil, []byte(s)))
}

// appendEscaped appends b, escaped, to dst.
func appendEscaped(dst, b []byte) []byte {
	for i := 0; i < len(b); {
		c := b[i]
		switch {
		case c == '\t' || c == '\n' || (c >= 0x20 && c < 0x7f):
			dst = append(dst, c)
			i++
			continue
		case c < 0x80:
			dst = appendHex(dst, `\x`, rune(c), 2)
			i++
			continue
		}
		r, n := utf8.DecodeRune(b[i:])
		switch {
		case r == utf8.RuneError && n <= 1:
			dst = appendHex(dst, `\x`, rune(c), 2)
		case r < 0xa0:
			dst = appendHex(dst, `\u`, r, 4)
		default:
			dst = append(dst, b[i:i+n]...)
		}
		i += n
	}
	return dst
}

// incomplete returns how many bytes at the end of b begin a UTF-8 sequence
// that is not complete yet.
func incomplete(b []byte) int {
	for n := 1; n <= 3 && n <= len(b); n++ {
		c := b[len(b)-n]
		if c < 0x80 {
			return 0
		}
		if utf8.RuneStart(c) {
			if utf8.FullRune(b[len(b)-n:]) {
				return 0
			}
			return n
		}
	}
	return 0
}

func appendHex(dst []byte, prefix string, r rune, width int) []byte {
	dst = append(dst, prefix...)
	h := strconv.FormatInt(int64(r), 16)
	for i := len(h); i < width; i++ {
		dst = append(dst, '0')
	}
	return append(dst, h...)
}

// Writer escapes what is written to it and writes it on to an underlying
// writer. It is safe for concurrent use.
type Writer struct {
	mu      sync.Mutex
	w       io.Writer
	pending []byte // an incomplete UTF-8 sequence
}

// NewWriter returns a Writer that writes to w.
func NewWriter(w io.Writer) *Writer { return &Writer{w: w} }

// Write escapes p and writes it on; an incomplete UTF-8 sequence at its
// end waits for the next Write or Flush. It reports len(p) written unless
// the underlying writer fails.
func (w *Writer) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	b := append(w.pending, p...)
	keep := incomplete(b)
	out := appendEscaped(make([]byte, 0, len(b)+16), b[:len(b)-keep])
	w.pending = append([]byte(nil), b[len(b)-keep:]...)
	if len(out) == 0 {
		return len(p), nil
	}
	if _, err := w.w.Write(out); err != nil {
		return 0, err
	}
	return len(p), nil
}

// Flush writes out, escaped, an incomplete sequence held back.
func (w *Writer) Flush() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.pending) == 0 {
		return nil
	}
	out := appendEscaped(nil, w.pending)
	w.pending = nil
	_, err := w.w.Write(out)
	return err
}
