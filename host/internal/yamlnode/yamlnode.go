package yamlnode

import (
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// Error is a problem at a line of a YAML document.
type Error struct {
	// File names the document, "" when the caller has no file.
	File string
	// Line is the 1-based line of the problem, 0 when unknown.
	Line int
	// Key is the dotted path of the value, e.g. "mixins.helm3.exec[0]";
	// "" for the document itself.
	Key string
	// Msg says what is wrong.
	Msg string
	// Err is the cause, if any (a bad regex's error, say).
	Err error
}

// Error returns "FILE: line LINE: KEY: MSG: ERR", leaving out the parts
// that are empty.
func (e *Error) Error() string {
	var b strings.Builder
	if e.File != "" {
		b.WriteString(e.File + ": ")
	}
	if e.Line > 0 {
		b.WriteString("line " + strconv.Itoa(e.Line) + ": ")
	}
	b.WriteString(e.Text())
	return b.String()
}

// Text returns the message without the file and the line: "KEY: MSG: ERR",
// leaving out the parts that are empty.
func (e *Error) Text() string {
	parts := make([]string, 0, 3)
	for _, s := range []string{e.Key, e.Msg} {
		if s != "" {
			parts = append(parts, s)
		}
	}
	if e.Err != nil {
		parts = append(parts, e.Err.Error())
	}
	return strings.Join(parts, ": ")
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error at the line of n (0 for a nil n) for key.
func Errorf(n *yaml.Node, key, format string, args ...any) *Error {
	e := &Error{Key: key, Msg: fmt.Sprintf(format, args...)}
	if n != nil {
		e.Line = n.Line
	}
	return e
}

// Parse parses the first YAML document of data and returns its document
// node; an empty input gives a node without content. A syntax error is an
// *Error with the line yaml.v3 reports and its message without the "yaml:
// line N:" prefix.
func Parse(data []byte) (doc *yaml.Node, err error) {
	defer func() {
		if r := recover(); r != nil {
			doc, err = nil, &Error{Msg: fmt.Sprintf("unexpected content (%v)", r)}
		}
	}()
	var n yaml.Node
	if err := yaml.Unmarshal(data, &n); err != nil {
		line := ErrorLine(err)
		msg := strings.TrimPrefix(err.Error(), "yaml: ")
		msg = strings.TrimPrefix(msg, "line "+strconv.Itoa(line)+": ")
		return nil, &Error{Line: line, Msg: msg}
	}
	return &n, nil
}

// ErrorLine returns the line that a yaml.v3 syntax or type error names
// ("yaml: line 3: ..."), 0 when it names none.
func ErrorLine(err error) int {
	if err == nil {
		return 0
	}
	s := err.Error()
	for {
		i := strings.Index(s, "line ")
		if i < 0 {
			return 0
		}
		word := i == 0 || !unicode.IsLetter(rune(s[i-1]))
		s = s[i+len("line "):]
		if !word {
			continue // "deadline 4" names no line
		}
		j := 0
		for j < len(s) && s[j] >= '0' && s[j] <= '9' {
			j++
		}
		if j > 0 {
			n, convErr := strconv.Atoi(s[:j])
			if convErr != nil {
				return 0 // more digits than an int holds: no line to trust
			}
			return n
		}
	}
}

// Deref follows an alias to the node it names; any other node is returned
// as it is.
func Deref(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && n.Alias != nil && i < 16; i++ {
		n = n.Alias
	}
	return n
}

// IsNull reports whether n is missing or a null scalar (`~`, `null` or no
// value at all).
func IsNull(n *yaml.Node) bool {
	n = Deref(n)
	return n == nil || n.Kind == yaml.ScalarNode && n.Tag == "!!null"
}

// KindName names what n is, for "want X, got KIND" errors: "a mapping",
// "a list", "nothing" (null), `the string "x"`, "int 5", "bool true".
func KindName(n *yaml.Node) string {
	n = Deref(n)
	if n == nil {
		return "nothing"
	}
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.AliasNode:
		return "an alias"
	case yaml.ScalarNode:
		switch n.Tag {
		case "!!null":
			return "nothing"
		case "!!str":
			return fmt.Sprintf("the string %q", n.Value)
		}
		return strings.TrimPrefix(n.Tag, "!!") + " " + n.Value
	}
	return "nothing"
}

// WantKind returns an *Error for key unless n (aliases followed) is of
// kind: a yaml.MappingNode, yaml.SequenceNode or yaml.ScalarNode. A null
// is of no kind.
func WantKind(n *yaml.Node, key string, kind yaml.Kind) error {
	n = Deref(n)
	if n != nil && n.Kind == kind && !IsNull(n) {
		return nil
	}
	want := "a value"
	switch kind {
	case yaml.MappingNode:
		want = "a mapping"
	case yaml.SequenceNode:
		want = "a list"
	case yaml.ScalarNode:
		want = "a string"
	}
	return Errorf(n, key, "want %s, got %s", want, KindName(n))
}

// Join returns the key k of the mapping at key: "a.b", or k when key is "".
func Join(key, k string) string {
	if key == "" {
		return k
	}
	return key + "." + k
}

// Index returns the key of item i of the list at key: "a[0]".
func Index(key string, i int) string {
	return key + "[" + strconv.Itoa(i) + "]"
}

// Mapping calls f, in order, with each key of the mapping n, the key's
// node and its value (aliases followed). A null n is an empty mapping. Any
// other kind, a key that is not a string and a key given twice are
// *Errors; the first error of f stops the walk and is returned as it is.
func Mapping(n *yaml.Node, key string, f func(k string, kn, v *yaml.Node) error) error {
	n = Deref(n)
	if IsNull(n) {
		return nil
	}
	if err := WantKind(n, key, yaml.MappingNode); err != nil {
		return err
	}
	seen := make(map[string]int, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		kn, v := Deref(n.Content[i]), Deref(n.Content[i+1])
		if kn == nil || kn.Kind != yaml.ScalarNode || IsNull(kn) {
			return Errorf(kn, key, "want a string key, got %s", KindName(kn))
		}
		if first, dup := seen[kn.Value]; dup {
			return Errorf(kn, Join(key, kn.Value), "duplicate key (first at line %d); keep one", first)
		}
		seen[kn.Value] = kn.Line
		if err := f(kn.Value, kn, v); err != nil {
			return err
		}
	}
	return nil
}

// Unknown returns the error for the key kn of the mapping at key that is
// none of known, a comma-separated list: `unknown key "x" (want one of:
// KNOWN)`. key may be "" when the caller names the mapping otherwise.
func Unknown(kn *yaml.Node, key, known string) *Error {
	return Errorf(kn, key, "unknown key %q (want one of: %s)", kn.Value, known)
}

// Get returns the value of key in the mapping n (aliases followed), or nil
// when n is not a mapping or has no such key.
func Get(n *yaml.Node, key string) *yaml.Node {
	n = Deref(n)
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if Deref(n.Content[i]).Value == key {
			return Deref(n.Content[i+1])
		}
	}
	return nil
}

// Str returns the scalar n as a string: its text as written, base64
// decoded for a !!binary scalar. Null, a mapping and a list are *Errors.
func Str(n *yaml.Node, key string) (string, error) {
	n = Deref(n)
	if n == nil || n.Kind != yaml.ScalarNode || IsNull(n) {
		return "", Errorf(n, key, "want a string, got %s", KindName(n))
	}
	if n.Tag == "!!binary" {
		var s string
		if err := n.Decode(&s); err != nil {
			return "", &Error{Line: n.Line, Key: key, Err: err}
		}
		return s, nil
	}
	return n.Value, nil
}

// Strs returns the list of strings n; an empty list is an empty, non-nil
// slice and null is nil. Item i's errors are at Index(key, i).
func Strs(n *yaml.Node, key string) ([]string, error) {
	n = Deref(n)
	if IsNull(n) {
		return nil, nil
	}
	if n.Kind != yaml.SequenceNode {
		return nil, Errorf(n, key, "want a list of strings, got %s", KindName(n))
	}
	out := make([]string, 0, len(n.Content))
	for i, e := range n.Content {
		s, err := Str(e, Index(key, i))
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

// StrMap returns the mapping of strings n; null is an empty, non-nil map.
// The value of k's errors are at Join(key, k).
func StrMap(n *yaml.Node, key string) (map[string]string, error) {
	out := map[string]string{}
	err := Mapping(n, key, func(k string, _, v *yaml.Node) error {
		s, err := Str(v, Join(key, k))
		out[k] = s
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Int returns the integer n (a !!int scalar: 3, 0x1f, -2; not "3").
func Int(n *yaml.Node, key string) (int, error) {
	n = Deref(n)
	if n == nil || n.Kind != yaml.ScalarNode || n.Tag != "!!int" {
		return 0, Errorf(n, key, "want an integer, got %s", KindName(n))
	}
	var v int
	if err := n.Decode(&v); err != nil {
		return 0, Errorf(n, key, "want an integer, got %q", n.Value)
	}
	return v, nil
}

// Bool returns the boolean n (a !!bool scalar: true or false; not "yes").
func Bool(n *yaml.Node, key string) (bool, error) {
	n = Deref(n)
	if n == nil || n.Kind != yaml.ScalarNode || n.Tag != "!!bool" {
		return false, Errorf(n, key, "want true or false, got %s", KindName(n))
	}
	var b bool
	if err := n.Decode(&b); err != nil {
		return false, Errorf(n, key, "want true or false, got %q", n.Value)
	}
	return b, nil
}

// StrNode returns a node that yaml.v3 writes so that Str reads back s: a
// literal block (`|`) for a multi-line string where yaml.v3 keeps it as
// written, else double quotes (yaml.v3 writes "\n" as a block that reads
// back as "", and "\t\n" as one that does not parse), and !!binary for a
// string that is not UTF-8.
func StrNode(s string) *yaml.Node {
	n := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s}
	switch {
	case !utf8.ValidString(s):
		n.Tag, n.Value = "!!binary", base64.StdEncoding.EncodeToString([]byte(s))
	case strings.Contains(s, "\n") && !strings.HasPrefix(s, "\n") && !strings.ContainsAny(s, "\t\r"):
		n.Style = yaml.LiteralStyle
	case strings.ContainsAny(s, "\n\t\r"):
		n.Style = yaml.DoubleQuotedStyle
	}
	return n
}
