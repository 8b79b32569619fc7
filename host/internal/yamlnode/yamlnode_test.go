package yamlnode

import (
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"testing"

	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"
)

// root parses in and returns its top node.
func root(t *testing.T, in string) *yaml.Node {
	t.Helper()
	doc, err := Parse([]byte(in))
	require.NoError(t, err)
	if len(doc.Content) == 0 {
		return nil
	}
	return doc.Content[0]
}

// value parses `v: IN` and returns the value node of v.
func value(t *testing.T, in string) *yaml.Node {
	t.Helper()
	return Get(root(t, "v: "+in+"\n"), "v")
}

func TestError_Error(t *testing.T) {
	t.Parallel()
	cause := errors.New("boom")
	tests := []struct {
		name string
		e    Error
		want string
	}{
		{"everything", Error{File: "p.yaml", Line: 3, Key: "a.b", Msg: "bad", Err: cause}, "p.yaml: line 3: a.b: bad: boom"},
		{"no file", Error{Line: 3, Key: "a", Msg: "bad"}, "line 3: a: bad"},
		{"no key", Error{File: "p.yaml", Line: 1, Msg: "want a mapping, got a list"}, "p.yaml: line 1: want a mapping, got a list"},
		{"no line", Error{Key: "a", Msg: "bad"}, "a: bad"},
		{"only a cause", Error{Line: 2, Err: cause}, "line 2: boom"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tc.want, tc.e.Error())
		})
	}
	e := &Error{Line: 1, Msg: "bad", Err: cause}
	require.ErrorIs(t, e, cause, "the cause is kept")
}

func TestParse(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		in       string
		wantLine int
		wantMsg  string
	}{
		{"a tab", "cases:\n  - name: a\n\taction: install\n", 2, "found a tab character that violates indentation"},
		{"an unclosed list", "a: [\n", 1, "did not find expected node content"},
		{"an unclosed quote", "a: 'x\n", 2, "found unexpected end of stream"},
		{"an error without a line", "a: b: c\n", 0, "mapping values are not allowed in this context"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := Parse([]byte(tc.in))
			var e *Error
			require.ErrorAs(t, err, &e)
			require.Equal(t, tc.wantLine, e.Line, err.Error())
			require.Equal(t, tc.wantMsg, e.Msg, "the message keeps no yaml: line N: prefix")
		})
	}
	doc, err := Parse(nil)
	require.NoError(t, err)
	require.Empty(t, doc.Content, "an empty input is a document without content")
}

func TestErrorLine(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   error
		want int
	}{
		{errors.New("yaml: line 12: did not find expected key"), 12},
		{errors.New("yaml: unmarshal errors:\n  line 7: cannot unmarshal !!str `x` into int"), 7},
		{errors.New("yaml: the baseline is the line before"), 0},
		{errors.New("yaml: deadline 4: line x, then line 9: here"), 9},
		{errors.New("yaml: line 99999999999999999999999: too big"), 0},
		{nil, 0},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprint(tc.in), func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tc.want, ErrorLine(tc.in))
		})
	}
}

func TestKindName(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"{a: 1}", "a mapping"},
		{"[a]", "a list"},
		{"~", "nothing"},
		{"", "nothing"},
		{"x", `the string "x"`},
		{`"true"`, `the string "true"`}, // a quoted true is not a bool: say so
		{"true", "bool true"},
		{"5", "int 5"},
		{"1.5", "float 1.5"},
		{"!!binary aGk=", "binary aGk="},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tc.want, KindName(value(t, tc.in)))
		})
	}
	require.Equal(t, "nothing", KindName(nil))
	require.Equal(t, "an alias", KindName(&yaml.Node{Kind: yaml.AliasNode}), "an alias to nothing")
}

func TestMapping(t *testing.T) {
	t.Parallel()
	type pair struct {
		K    string
		V    string
		Line int
	}
	tests := []struct {
		name     string
		in       string
		want     []pair
		wantLine int
		wantErr  string
	}{
		{name: "in order", in: "b: 1\na: 2\n", want: []pair{{"b", "1", 1}, {"a", "2", 2}}},
		{name: "null is empty", in: "~\n", want: nil},
		{name: "aliases followed", in: "x: &v one\ny: *v\n", want: []pair{{"x", "one", 1}, {"y", "one", 2}}},
		{name: "not a mapping", in: "[a]\n", wantLine: 1, wantErr: "top: want a mapping, got a list"},
		{name: "a string is not a mapping", in: "abc\n", wantLine: 1, wantErr: `top: want a mapping, got the string "abc"`},
		{name: "a duplicate key", in: "a: 1\nb: 2\na: 3\n", wantLine: 3, wantErr: "top.a: duplicate key (first at line 1); keep one"},
		{name: "a list as a key", in: "? [a]\n: 1\n", wantLine: 1, wantErr: "top: want a string key, got a list"},
		{name: "a null key", in: "~: 1\n", wantLine: 1, wantErr: "top: want a string key, got nothing"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var got []pair
			err := Mapping(root(t, tc.in), "top", func(k string, kn, v *yaml.Node) error {
				got = append(got, pair{k, v.Value, kn.Line})
				return nil
			})
			if tc.wantErr != "" {
				var e *Error
				require.ErrorAs(t, err, &e)
				require.Equal(t, tc.wantLine, e.Line)
				require.Equal(t, tc.wantErr, e.Text())
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.want, got)
		})
	}

	stop := errors.New("stop")
	calls := 0
	err := Mapping(root(t, "a: 1\nb: 2\n"), "", func(string, *yaml.Node, *yaml.Node) error { calls++; return stop })
	require.ErrorIs(t, err, stop)
	require.Equal(t, 1, calls, "the first error of f stops the walk")
}

func TestUnknown(t *testing.T) {
	t.Parallel()
	var err error
	require.NoError(t, Mapping(root(t, "ok: 1\nnope: 2\n"), "m", func(k string, kn, _ *yaml.Node) error {
		if k != "ok" && err == nil {
			err = Unknown(kn, Join("m", k), "ok")
		}
		return nil
	}))
	require.EqualError(t, err, `line 2: m.nope: unknown key "nope" (want one of: ok)`)
}

func TestGet(t *testing.T) {
	t.Parallel()
	n := root(t, "a: &x {b: 1}\nc: *x\n")
	require.Equal(t, "1", Get(Get(n, "c"), "b").Value, "aliases followed")
	require.Nil(t, Get(n, "missing"))
	require.Nil(t, Get(Get(Get(n, "a"), "b"), "b"), "not a mapping")
	require.Nil(t, Get(nil, "a"))
}

func TestReaders(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		read    func(*yaml.Node, string) (any, error)
		in      string
		want    any
		wantErr string // the error's Text
	}{
		{"a string", str, "hello", "hello", ""},
		{"an int as a string", str, "5", "5", ""},
		{"a binary string", str, "!!binary aGk=", "hi", ""},
		{"a bad binary string", str, "!!binary '#'", nil, "v: yaml: !!binary value contains invalid base64 data"},
		{"a null string", str, "~", nil, "v: want a string, got nothing"},
		{"a list for a string", str, "[a]", nil, "v: want a string, got a list"},
		{"strings", strs, "[a, 1]", []string{"a", "1"}, ""},
		{"an empty list", strs, "[]", []string{}, ""},
		{"a null list", strs, "~", []string(nil), ""},
		{"a string for a list", strs, "a", nil, `v: want a list of strings, got the string "a"`},
		{"a mapping in a list", strs, "[a, {b: c}]", nil, "v[1]: want a string, got a mapping"},
		{"a string map", strMap, "{a: x, b: 2}", map[string]string{"a": "x", "b": "2"}, ""},
		{"a null string map", strMap, "~", map[string]string{}, ""},
		{"a list in a string map", strMap, "{a: [x]}", nil, "v.a: want a string, got a list"},
		{"an int", integer, "-12", -12, ""},
		{"a hex int", integer, "0x1f", 31, ""},
		{"a quoted int", integer, `"3"`, nil, `v: want an integer, got the string "3"`},
		{"a float for an int", integer, "1.5", nil, "v: want an integer, got float 1.5"},
		{"an int too big", integer, "18446744073709551615", nil, `v: want an integer, got "18446744073709551615"`},
		{"true", boolean, "true", true, ""},
		{"false", boolean, "false", false, ""},
		{"yes is not a bool", boolean, "yes", nil, `v: want true or false, got the string "yes"`},
		{"a null bool", boolean, "~", nil, "v: want true or false, got nothing"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			n := value(t, tc.in)
			got, err := tc.read(n, "v")
			if tc.wantErr != "" {
				var e *Error
				require.ErrorAs(t, err, &e)
				require.Equal(t, tc.wantErr, e.Text())
				require.Equal(t, 1, e.Line)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.want, got)
		})
	}
}

func str(n *yaml.Node, k string) (any, error)     { return Str(n, k) }
func strs(n *yaml.Node, k string) (any, error)    { return Strs(n, k) }
func strMap(n *yaml.Node, k string) (any, error)  { return StrMap(n, k) }
func integer(n *yaml.Node, k string) (any, error) { return Int(n, k) }
func boolean(n *yaml.Node, k string) (any, error) { return Bool(n, k) }

func TestWantKind(t *testing.T) {
	t.Parallel()
	require.NoError(t, WantKind(value(t, "[a]"), "v", yaml.SequenceNode))
	require.EqualError(t, WantKind(value(t, "~"), "v", yaml.MappingNode), "line 1: v: want a mapping, got nothing")
	require.EqualError(t, WantKind(value(t, "~"), "v", yaml.ScalarNode), "line 1: v: want a string, got nothing", "null is no scalar")
	require.EqualError(t, WantKind(nil, "v", yaml.SequenceNode), "v: want a list, got nothing")
}

func TestJoinIndex(t *testing.T) {
	t.Parallel()
	require.Equal(t, "a", Join("", "a"))
	require.Equal(t, "m.a", Join("m", "a"))
	require.Equal(t, "m.exec[0].args", Join(Index(Join("m", "exec"), 0), "args"))
}

// FuzzParse checks that Parse never panics, that its errors are *Errors
// without the "yaml: " prefix, and that the walk of what it parses never
// panics either.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"a: 1\nb: [x, y]\nc: {d: e}\n",
		"x: &v {a: 1}\ny: *v\n",
		"- a\n- ~\n- !!binary aGk=\n",
		"a: [\n",
		"? [a]\n: b\n",
	} {
		f.Add([]byte(s))
	}
	prefix := regexp.MustCompile(`^yaml: `)
	f.Fuzz(func(t *testing.T, data []byte) {
		doc, err := Parse(data)
		if err != nil {
			var e *Error
			require.ErrorAs(t, err, &e)
			require.False(t, prefix.MatchString(e.Msg), e.Msg)
			return
		}
		var walk func(n *yaml.Node, key string, depth int)
		walk = func(n *yaml.Node, key string, depth int) {
			if depth > 8 {
				return
			}
			_, _ = Str(n, key)
			_, _ = Strs(n, key)
			_, _ = StrMap(n, key)
			_, _ = Int(n, key)
			_, _ = Bool(n, key)
			_ = KindName(n)
			_ = Mapping(n, key, func(k string, _, v *yaml.Node) error {
				walk(v, Join(key, k), depth+1)
				return nil
			})
			if n = Deref(n); n != nil && n.Kind == yaml.SequenceNode {
				for i, e := range n.Content {
					walk(e, Index(key, i), depth+1)
				}
			}
		}
		for _, n := range doc.Content {
			walk(n, "", 0)
		}
	})
}

func TestStrNode(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in        string
		wantStyle yaml.Style
		wantTag   string
	}{
		{"plain", 0, "!!str"},
		{"true", 0, "!!str"},
		{"a\nb\n", yaml.LiteralStyle, "!!str"},
		{"\n", yaml.DoubleQuotedStyle, "!!str"},
		{"\n\nx", yaml.DoubleQuotedStyle, "!!str"},
		{"\t\n", yaml.DoubleQuotedStyle, "!!str"},
		{"a\r\nb", yaml.DoubleQuotedStyle, "!!str"},
		{"tab\there", yaml.DoubleQuotedStyle, "!!str"},
		{"\xff\xfe", 0, "!!binary"},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("%q", tc.in), func(t *testing.T) {
			t.Parallel()
			n := StrNode(tc.in)
			require.Equal(t, tc.wantStyle, n.Style)
			require.Equal(t, tc.wantTag, n.Tag)
			require.Equal(t, tc.in, roundTrip(t, n))
		})
	}
}

// roundTrip writes {v: n} with yaml.v3 and reads v back with Str.
func roundTrip(t *testing.T, n *yaml.Node) string {
	t.Helper()
	doc := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Content: []*yaml.Node{{Kind: yaml.ScalarNode, Tag: "!!str", Value: "v"}, n}}
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	require.NoError(t, enc.Encode(doc))
	require.NoError(t, enc.Close())
	back, err := Parse(buf.Bytes())
	require.NoError(t, err, "written:\n%s", buf.String())
	s, err := Str(Get(back.Content[0], "v"), "v")
	require.NoError(t, err, "written:\n%s", buf.String())
	return s
}

// FuzzStrNode checks that every string StrNode makes reads back as it was.
func FuzzStrNode(f *testing.F) {
	for _, s := range []string{"", "x", "\n", "a\nb", " \n ", "\t\n", "\xff", "# c", "- a", "true", "~", "a: b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		require.Equal(t, s, roundTrip(t, StrNode(s)))
	})
}
