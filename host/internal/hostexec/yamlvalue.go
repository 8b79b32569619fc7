package hostexec

import (
	"bufio"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"unicode/utf8"
)

// writeYAMLValue writes the captured stream s as one YAML scalar, masked
// through maskStream (nil masks nothing), read from its file and never held
// whole: a double-quoted string when it is valid UTF-8, else !!binary
// base64 (what yamlnode.StrNode chooses for such a string). Both read back
// as the same string.
func writeYAMLValue(w *bufio.Writer, s *Spooled, maskStream func(io.Writer) MaskWriter) error {
	valid, err := validUTF8(s.Reader())
	if err != nil {
		return fmt.Errorf("read a recorded capture back: %w", err)
	}
	if maskStream == nil {
		maskStream = func(w io.Writer) MaskWriter { return noMask{w} }
	}
	if !valid {
		if _, err := w.WriteString("!!binary "); err != nil {
			return err
		}
		enc := base64.NewEncoder(base64.StdEncoding, w)
		mw := maskStream(enc)
		if _, err := io.Copy(mw, s.Reader()); err != nil {
			return fmt.Errorf("write a recorded capture: %w", err)
		}
		return errors.Join(mw.Flush(), enc.Close())
	}
	if err := w.WriteByte('"'); err != nil {
		return err
	}
	q := &yamlQuoted{w: w}
	mw := maskStream(q)
	if _, err := io.Copy(mw, s.Reader()); err != nil {
		return fmt.Errorf("write a recorded capture: %w", err)
	}
	if err := errors.Join(mw.Flush(), q.flush()); err != nil {
		return err
	}
	return w.WriteByte('"')
}

// wholeRunes returns the length of b without a rune cut at its end (the
// start of a multi-byte rune whose other bytes have not come yet).
func wholeRunes(b []byte) int {
	for j := len(b) - 1; j >= max(0, len(b)-utf8.UTFMax+1); j-- {
		if utf8.RuneStart(b[j]) {
			if !utf8.FullRune(b[j:]) {
				return j
			}
			break
		}
	}
	return len(b)
}

type noMask struct{ io.Writer }

func (noMask) Flush() error { return nil }

// validUTF8 reports whether r holds valid UTF-8, reading it in chunks.
func validUTF8(r io.Reader) (bool, error) {
	buf := make([]byte, 64<<10)
	var carry []byte
	for {
		n, err := r.Read(buf)
		data := append(carry, buf[:n]...)
		k := len(data)
		if err == nil {
			k = wholeRunes(data)
		}
		if !utf8.Valid(data[:k]) {
			return false, nil
		}
		carry = append(carry[:0], data[k:]...)
		if errors.Is(err, io.EOF) {
			return len(carry) == 0 || utf8.Valid(carry), nil
		}
		if err != nil {
			return false, err
		}
	}
}

// yamlQuoted escapes what is written to it for the inside of a YAML
// double-quoted scalar (YAML 1.2 §5.7): backslash and quote, every
// character that is not printable (C0 and C1 controls, DEL, the line and
// paragraph separators, U+FEFF, U+FFFE, U+FFFF), so that the scalar stays
// on one line and reads back byte for byte. A rune cut between two writes
// is held until the next; a byte that is not UTF-8 (the masking may cut a
// rune) is written \xXX.
type yamlQuoted struct {
	w     *bufio.Writer
	carry []byte
}

func (q *yamlQuoted) Write(p []byte) (int, error) {
	data := append(q.carry, p...)
	k := wholeRunes(data)
	if err := q.escape(data[:k]); err != nil {
		return 0, err
	}
	q.carry = append(q.carry[:0], data[k:]...)
	return len(p), nil
}

func (q *yamlQuoted) flush() error {
	err := q.escape(q.carry)
	q.carry = q.carry[:0]
	return err
}

func (q *yamlQuoted) escape(b []byte) error {
	const hex = "0123456789ABCDEF"
	for len(b) > 0 {
		plain := 0 // printable ASCII needs no escape: write it in one go
		for plain < len(b) && b[plain] >= 0x20 && b[plain] < 0x7f && b[plain] != '\\' && b[plain] != '"' {
			plain++
		}
		if plain > 0 {
			if _, err := q.w.Write(b[:plain]); err != nil {
				return err
			}
			b = b[plain:]
			continue
		}
		r, size := utf8.DecodeRune(b)
		var err error
		switch {
		case r == utf8.RuneError && size == 1:
			_, err = q.w.Write([]byte{'\\', 'x', hex[b[0]>>4], hex[b[0]&0xf]})
		case r == '\\' || r == '"':
			_, err = q.w.Write([]byte{'\\', byte(r)})
		case r == '\n':
			_, err = q.w.WriteString(`\n`)
		case r == '\t':
			_, err = q.w.WriteString(`\t`)
		case r == '\r':
			_, err = q.w.WriteString(`\r`)
		case r == 0:
			_, err = q.w.WriteString(`\0`)
		case r < 0x20 || r >= 0x7f && r <= 0x9f:
			_, err = q.w.Write([]byte{'\\', 'x', hex[r>>4], hex[r&0xf]})
		case r == '\u2028':
			_, err = q.w.WriteString(`\L`)
		case r == '\u2029':
			_, err = q.w.WriteString(`\P`)
		case r == '\ufeff' || r == '\ufffe' || r == '\uffff':
			_, err = fmt.Fprintf(q.w, `\u%04X`, r)
		default:
			_, err = q.w.Write(b[:size])
		}
		if err != nil {
			return err
		}
		b = b[size:]
	}
	return nil
}
