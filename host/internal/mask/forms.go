package mask

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/mixbox/mixbox/host/internal/termsafe"
)

// maxFormsLen is the longest value whose forms Forms derives.
const maxFormsLen = 64 << 10

// MinLen is the fewest characters (runes, white space around them not
// counted) a value, or a line of a multi-line value, must have to be masked
// by itself. Masking shorter ones would scrub every "x" or "ok" of the log
// and hide nothing worth hiding.
const MinLen = 4

// Short says what of a value Add left unmasked for being shorter than
// MinLen characters.
type Short struct {
	// Value is true when the value itself is too short: none of it is
	// masked.
	Value bool
	// Lines counts the lines of a multi-line value too short to be masked
	// on their own (the value as a whole still is).
	Lines int
}

// Any reports whether anything was left unmasked.
func (s Short) Any() bool { return s.Value || s.Lines > 0 }

// String says what was left unmasked, for the run log: "it is shorter than
// 4 characters" or "2 of its lines are shorter than 4 characters".
func (s Short) String() string {
	switch {
	case s.Value:
		return fmt.Sprintf("it is shorter than %d characters, so it is not masked", MinLen)
	case s.Lines == 1:
		return fmt.Sprintf("1 of its lines is shorter than %d characters, so that line is not masked by itself", MinLen)
	case s.Lines > 1:
		return fmt.Sprintf("%d of its lines are shorter than %d characters, so those lines are not masked by themselves", s.Lines, MinLen)
	}
	return ""
}

// long reports whether v has at least MinLen characters besides the white
// space around it.
func long(v string) bool { return utf8.RuneCountInString(strings.TrimSpace(v)) >= MinLen }

// Forms returns the forms a value can take on its way to the log, each at
// least MinLen characters long, without repeats, the value itself first:
//
//   - the value;
//   - for a multi-line value, each line (as is, and without the white space
//     around it), the value folded as YAML folds a quoted or plain scalar
//     ("a\nb" becomes "a b": a credential rendered into a double-quoted
//     argument), and its words joined by single spaces (an unquoted shell
//     expansion);
//   - the value as the inside of a JSON string (HTML-escaped and not);
//   - the value with control characters escaped as a guest log shows them
//     (`\x1b`);
//   - the value's standard base64 (a file parameter, or `| base64`).
//
// It returns what was too short in short. A value longer than
// maxFormsLen (64 KiB: a document, not a secret, such as a Terraform state
// output) is masked as itself only.
func Forms(v string) (forms []string, short Short) {
	if strings.TrimSpace(v) == "" {
		return nil, Short{}
	}
	if !long(v) {
		return nil, Short{Value: true}
	}
	if len(v) > maxFormsLen {
		return []string{v}, Short{}
	}
	seen := map[string]bool{}
	add := func(f string) {
		if long(f) && !seen[f] {
			seen[f] = true
			forms = append(forms, f)
		}
	}
	add(v)
	if strings.ContainsAny(v, "\r\n") {
		lines := splitLines(v)
		for _, l := range lines {
			t := strings.TrimSpace(l)
			if t != "" && !long(t) {
				short.Lines++
			}
			add(l)
			add(t)
		}
		add(fold(lines))
		add(strings.Join(strings.Fields(v), " "))
	}
	for _, html := range []bool{true, false} {
		add(jsonInside(v, html))
	}
	add(termsafe.Escape(v))
	add(base64.StdEncoding.EncodeToString([]byte(v)))
	return forms, short
}

// splitLines splits v at "\n", "\r\n" and "\r".
func splitLines(v string) []string {
	v = strings.ReplaceAll(v, "\r\n", "\n")
	return strings.Split(strings.ReplaceAll(v, "\r", "\n"), "\n")
}

// fold joins lines as YAML folds a multi-line flow scalar: white space
// around each line break goes, a single break becomes a space, and n+1
// breaks in a row become n newlines.
func fold(lines []string) string {
	var b strings.Builder
	empty := 0
	for i, l := range lines {
		if i > 0 {
			l = strings.TrimLeft(l, " \t")
		}
		if i < len(lines)-1 {
			l = strings.TrimRight(l, " \t")
		}
		if i == 0 {
			b.WriteString(l)
			continue
		}
		if l == "" && i < len(lines)-1 {
			empty++
			continue
		}
		if empty == 0 {
			b.WriteByte(' ')
		} else {
			b.WriteString(strings.Repeat("\n", empty))
		}
		empty = 0
		b.WriteString(l)
	}
	return b.String()
}

// jsonInside returns v encoded as a JSON string, without the quotes.
func jsonInside(v string, html bool) string {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(html)
	_ = enc.Encode(v) // a string always encodes
	out := strings.TrimSuffix(buf.String(), "\n")
	return out[1 : len(out)-1]
}

// TooShort reports whether v is too short to be masked by itself (fewer
// than MinLen characters besides the white space around it).
func TooShort(v string) bool { return !long(v) }
