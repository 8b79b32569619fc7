package wasmabi

import (
	"io"
	"strconv"
	"unicode/utf8"
)

// WriteJSON writes the JSON of r to w, as Encode does byte for byte, with
// a small buffer: the captured output is escaped as it is written, never
// copied whole. It returns the bytes written. The host stages a result as
// its length (written to a counter) and writes it into the guest's buffer
// at response_read.
func (r ExecResult) WriteJSON(w io.Writer) (int64, error) { return r.WriteJSONFrom(w, nil, nil) }

// WriteJSONFrom is WriteJSON with the content of stdout and stderr, when
// not nil, in place of r.Stdout and r.Stderr: a host that keeps a capture
// in a file streams it from there. A read error fails the write.
func (r ExecResult) WriteJSONFrom(w io.Writer, stdout, stderr io.Reader) (int64, error) {
	e := jsonWriter{w: w, buf: make([]byte, 0, 32<<10)}
	e.raw(`{"exit_code":`)
	e.int(int64(r.ExitCode))
	e.raw(`,"stdout":`)
	e.strOrFrom(r.Stdout, stdout)
	e.raw(`,"stderr":`)
	e.strOrFrom(r.Stderr, stderr)
	e.raw(`,"stdout_truncated":`)
	e.bool(r.StdoutTruncated)
	e.raw(`,"stderr_truncated":`)
	e.bool(r.StderrTruncated)
	e.raw(`,"timed_out":`)
	e.bool(r.TimedOut)
	e.raw(`,"duration_ms":`)
	e.int(r.DurationMS)
	if r.Signal != "" {
		e.raw(`,"signal":`)
		e.str(r.Signal)
	}
	if r.Path != "" {
		e.raw(`,"path":`)
		e.str(r.Path)
	}
	if r.StdoutLen != 0 {
		e.raw(`,"stdout_len":`)
		e.int(r.StdoutLen)
	}
	if r.StderrLen != 0 {
		e.raw(`,"stderr_len":`)
		e.int(r.StderrLen)
	}
	e.raw("}")
	e.flush()
	return e.n, e.err
}

// jsonWriter buffers JSON on its way to w and keeps the first error.
type jsonWriter struct {
	w   io.Writer
	buf []byte
	n   int64
	err error
}

func (e *jsonWriter) flush() {
	if e.err == nil && len(e.buf) > 0 {
		var k int
		k, e.err = e.w.Write(e.buf)
		e.n += int64(k)
	}
	e.buf = e.buf[:0]
}

func (e *jsonWriter) room(n int) {
	if len(e.buf)+n > cap(e.buf) {
		e.flush()
	}
}

func (e *jsonWriter) raw(s string) {
	e.room(len(s))
	e.buf = append(e.buf, s...)
}

func (e *jsonWriter) int(v int64) {
	e.room(20)
	e.buf = strconv.AppendInt(e.buf, v, 10)
}

func (e *jsonWriter) bool(v bool) {
	e.room(5)
	e.buf = strconv.AppendBool(e.buf, v)
}

func (e *jsonWriter) strOrFrom(s string, r io.Reader) {
	if r == nil {
		e.str(s)
		return
	}
	e.room(1)
	e.buf = append(e.buf, '"')
	chunk := make([]byte, 32<<10)
	var carry []byte
	for {
		n, err := r.Read(chunk)
		data := append(carry, chunk[:n]...)
		k := len(data)
		if err == nil {
			// Keep a rune cut at the chunk's end for the next chunk.
			for j := max(0, k-utf8.UTFMax+1); j < k; j++ {
				if utf8.RuneStart(data[j]) && !utf8.FullRune(data[j:]) {
					k = j
					break
				}
			}
		}
		e.body(string(data[:k]))
		carry = append(carry[:0], data[k:]...)
		if err != nil {
			if err != io.EOF && e.err == nil {
				e.err = err
			}
			break
		}
	}
	e.room(1)
	e.buf = append(e.buf, '"')
}

// str writes s as a JSON string, escaped as encoding/json escapes it with
// HTML escaping off: quote and backslash, control characters (\b, \f, \n,
// \r, \t by name), U+2028 and U+2029, and invalid UTF-8 as \ufffd.
func (e *jsonWriter) str(s string) {
	e.room(1)
	e.buf = append(e.buf, '"')
	e.body(s)
	e.room(1)
	e.buf = append(e.buf, '"')
}

// body writes s escaped, without the quotes.
func (e *jsonWriter) body(s string) {
	const hex = "0123456789abcdef"
	start := 0
	for i := 0; i < len(s); {
		if b := s[i]; b < utf8.RuneSelf {
			if b >= 0x20 && b != '"' && b != '\\' {
				i++
				continue
			}
			e.chunk(s[start:i])
			e.room(6)
			switch b {
			case '\\', '"':
				e.buf = append(e.buf, '\\', b)
			case '\b':
				e.buf = append(e.buf, '\\', 'b')
			case '\f':
				e.buf = append(e.buf, '\\', 'f')
			case '\n':
				e.buf = append(e.buf, '\\', 'n')
			case '\r':
				e.buf = append(e.buf, '\\', 'r')
			case '\t':
				e.buf = append(e.buf, '\\', 't')
			default:
				e.buf = append(e.buf, '\\', 'u', '0', '0', hex[b>>4], hex[b&0xf])
			}
			i++
			start = i
			continue
		}
		c, size := utf8.DecodeRuneInString(s[i:])
		if c == utf8.RuneError && size == 1 {
			e.chunk(s[start:i])
			e.raw(`\ufffd`)
			i += size
			start = i
			continue
		}
		if c == '\u2028' || c == '\u2029' {
			e.chunk(s[start:i])
			e.room(6)
			e.buf = append(e.buf, '\\', 'u', '2', '0', '2', hex[c&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	e.chunk(s[start:])
}

// chunk writes s as is, through the buffer.
func (e *jsonWriter) chunk(s string) {
	for len(s) > 0 {
		if len(e.buf) == cap(e.buf) {
			e.flush()
		}
		n := copy(e.buf[len(e.buf):cap(e.buf)], s)
		e.buf = e.buf[:len(e.buf)+n]
		s = s[n:]
	}
}
