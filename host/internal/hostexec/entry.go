package hostexec

import (
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/mixbox/mixbox/host/internal/yamlnode"
	"github.com/mixbox/mixbox/wasmabi"
)

// Entry is one item of an `exec:` list (docs/spec/mixin-test.md): the
// call it expects and the result it gives. It is what --record-exec writes,
// what --replay-exec reads, and what a mixin-test case's fake commands are.
type Entry struct {
	// Command must equal the request's command.
	Command string `yaml:"command"`
	// Args must equal the request's args, unless ArgsRegex is set.
	Args []string `yaml:"args,omitempty"`
	// ArgsRegex matches the request's args one by one, each anchored at
	// both ends; there must be as many args as regexes.
	ArgsRegex []string `yaml:"args_regex,omitempty"`
	// Stdout, Stderr, ExitCode and TimedOut make up the ExecResult.
	Stdout   string `yaml:"stdout,omitempty"`
	Stderr   string `yaml:"stderr,omitempty"`
	ExitCode int    `yaml:"exit_code"`
	TimedOut bool   `yaml:"timed_out,omitempty"`
	// Line is the entry's line in a mixin-test cases file, 0 when unknown.
	// It is not part of the format: ParseEntries leaves it 0 and
	// MarshalEntries does not write it.
	Line int `yaml:"-"`

	// argsRx are ArgsRegex compiled, anchored, by the parser or Compile.
	argsRx []*regexp.Regexp
}

// entryKeys are the keys of an entry, for the error about an unknown key.
const entryKeys = "command, args, args_regex, stdout, stderr, exit_code, timed_out"

// Match reports whether the call of command with args is the one e
// describes. It uses the regexes compiled by the parser or Compile; an
// Entry built in Go and not compiled compiles them on each call, and one
// with a bad regex matches nothing.
func (e Entry) Match(command string, args []string) bool {
	if e.Command != command {
		return false
	}
	if e.ArgsRegex == nil {
		return slices.Equal(e.Args, args) || len(e.Args) == 0 && len(args) == 0
	}
	if len(e.ArgsRegex) != len(args) {
		return false
	}
	rx := e.argsRx
	if len(rx) != len(e.ArgsRegex) {
		var err error
		if rx, _, err = compileArgs(e.ArgsRegex); err != nil {
			return false
		}
	}
	for i, r := range rx {
		if !r.MatchString(args[i]) {
			return false
		}
	}
	return true
}

// Compile checks e as the parser checks an entry (a command, not both args
// and args_regex, regexes that compile) and returns it with its regexes
// compiled, so that Match does not compile them again: for an Entry built
// in Go. The error names the field, e.g. "args_regex[1]: bad regex ...".
func (e Entry) Compile() (Entry, error) {
	if err := e.check(); err != nil {
		return e, err
	}
	rx, i, err := compileArgs(e.ArgsRegex)
	if err != nil {
		return e, fmt.Errorf("args_regex[%d]: bad regex %q: %w", i, e.ArgsRegex[i], err)
	}
	e.argsRx = rx
	return e, nil
}

// CompileAll returns a copy of entries, each compiled as Compile does; an
// entry that does not compile is copied as it is (it matches nothing if
// its regexes are bad).
func CompileAll(entries []Entry) []Entry {
	if entries == nil {
		return nil
	}
	out := make([]Entry, len(entries))
	for i, e := range entries {
		if c, err := e.Compile(); err == nil {
			e = c
		}
		out[i] = e
	}
	return out
}

// check checks what an entry needs besides good regexes.
func (e Entry) check() error {
	if e.Command == "" {
		return errors.New("command is required")
	}
	if e.Args != nil && e.ArgsRegex != nil {
		return errors.New("give args or args_regex, not both")
	}
	return nil
}

// compileArgs compiles each regex anchored at both ends; on an error, i is
// the index of the bad one.
func compileArgs(res []string) (rx []*regexp.Regexp, i int, err error) {
	if res == nil {
		return nil, 0, nil
	}
	rx = make([]*regexp.Regexp, len(res))
	for i, re := range res {
		if rx[i], err = regexp.Compile(`^(?:` + re + `)$`); err != nil {
			return nil, i, err
		}
	}
	return rx, 0, nil
}

// Result returns the ExecResult e gives.
func (e Entry) Result() wasmabi.ExecResult {
	return wasmabi.ExecResult{ExitCode: e.ExitCode, Stdout: e.Stdout, Stderr: e.Stderr, TimedOut: e.TimedOut}
}

// String returns the call e expects as reports show it:
// `helm [upgrade --install mysql]`, its regexes for args_regex.
func (e Entry) String() string {
	if e.ArgsRegex != nil {
		return CallString(e.Command, e.ArgsRegex)
	}
	return CallString(e.Command, e.Args)
}

// CallString formats a call as `helm [upgrade --install mysql]`, quoting
// an arg that is empty or holds white space or quotes.
func CallString(command string, args []string) string {
	out := make([]string, len(args))
	for i, a := range args {
		if a == "" || strings.ContainsAny(a, " \t\n\r\"'") {
			a = strconv.Quote(a)
		}
		out[i] = a
	}
	return command + " [" + strings.Join(out, " ") + "]"
}

// CallDiff is the two-line report of exec call n (1-based) that is not the
// one wanted, "want" and "got" aligned:
//
//	exec call 2: want helm [upgrade --install mysql]
//	              got helm [install mysql]
func CallDiff(n int, want, got string) string {
	p := fmt.Sprintf("exec call %d: ", n)
	return p + "want " + want + "\n" + strings.Repeat(" ", len(p)) + " got " + got
}

// ParseEntries parses an exec list file (what --record-exec writes and
// --replay-exec reads): a document `exec: [...]` or a bare list of entries,
// each as ParseEntryList reads it. Every error wraps ErrInvalid and names
// the line, e.g. `invalid exec list: line 4: exec[1].exit_code: want an
// integer, got the string "x"`.
func ParseEntries(data []byte) ([]Entry, error) {
	doc, err := yamlnode.Parse(data)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	if len(doc.Content) == 0 {
		return nil, nil
	}
	list := yamlnode.Deref(doc.Content[0])
	if list.Kind != yaml.SequenceNode {
		if list.Kind != yaml.MappingNode && !yamlnode.IsNull(list) {
			return nil, fmt.Errorf("%w: %w", ErrInvalid, yamlnode.Errorf(list, "",
				"want `exec:` with a list of entries, or a list of entries, got %s", yamlnode.KindName(list)))
		}
		var execs *yaml.Node
		if err := yamlnode.Mapping(list, "", func(k string, kn, v *yaml.Node) error {
			if k != "exec" {
				return yamlnode.Unknown(kn, "", "exec")
			}
			execs = v
			return nil
		}); err != nil {
			return nil, fmt.Errorf("%w: %w", ErrInvalid, err)
		}
		list = execs
	}
	entries, err := ParseEntryList(list, "exec")
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	for i := range entries {
		entries[i].Line = 0 // not part of the format: an entry read back equals the one written
	}
	return entries, nil
}

// ParseEntryList parses the `exec:` list n of a cases file or of an exec
// list file; null is no entries. key names the list in errors ("exec").
// Each entry needs a command, has args or args_regex but not both, and its
// args_regex compile (anchored at both ends, once, here). Line is each
// entry's line. Every error is a *yamlnode.Error with the line of the
// problem and the key, e.g. "exec[0].args_regex[1]".
func ParseEntryList(n *yaml.Node, key string) ([]Entry, error) {
	n = yamlnode.Deref(n)
	if yamlnode.IsNull(n) {
		return nil, nil
	}
	if err := yamlnode.WantKind(n, key, yaml.SequenceNode); err != nil {
		return nil, err
	}
	var out []Entry
	for i, en := range n.Content {
		e, err := parseEntry(en, yamlnode.Index(key, i))
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, nil
}

func parseEntry(n *yaml.Node, key string) (Entry, error) {
	n = yamlnode.Deref(n)
	if err := yamlnode.WantKind(n, key, yaml.MappingNode); err != nil {
		return Entry{}, err
	}
	e := Entry{Line: n.Line}
	var rxNode *yaml.Node
	err := yamlnode.Mapping(n, key, func(k string, kn, v *yaml.Node) error {
		var err error
		field := yamlnode.Join(key, k)
		switch k {
		case "command":
			e.Command, err = yamlnode.Str(v, field)
		case "args":
			e.Args, err = yamlnode.Strs(v, field)
		case "args_regex":
			e.ArgsRegex, err = yamlnode.Strs(v, field)
			rxNode = v
		case "stdout":
			e.Stdout, err = yamlnode.Str(v, field)
		case "stderr":
			e.Stderr, err = yamlnode.Str(v, field)
		case "exit_code":
			e.ExitCode, err = yamlnode.Int(v, field)
		case "timed_out":
			e.TimedOut, err = yamlnode.Bool(v, field)
		default:
			err = yamlnode.Unknown(kn, "", entryKeys)
		}
		return err
	})
	if err != nil {
		return Entry{}, err
	}
	if err := e.check(); err != nil {
		return Entry{}, &yamlnode.Error{Line: n.Line, Key: key, Err: err}
	}
	rx, i, err := compileArgs(e.ArgsRegex)
	if err != nil {
		field := yamlnode.Index(yamlnode.Join(key, "args_regex"), i)
		return Entry{}, &yamlnode.Error{Line: rxNode.Content[i].Line, Key: field, Msg: fmt.Sprintf("bad regex %q", e.ArgsRegex[i]), Err: err}
	}
	e.argsRx = rx
	return e, nil
}

// MarshalEntries returns entries as an `exec:` document, each entry's keys
// in the order of Entry's fields, empty ones left out but exit_code.
// Strings are written so that ParseEntries reads them back as they were
// (yamlnode.StrNode).
func MarshalEntries(entries []Entry) ([]byte, error) {
	list := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
	for _, e := range entries {
		list.Content = append(list.Content, e.node())
	}
	if len(entries) == 0 {
		list.Style = yaml.FlowStyle
	}
	doc := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Content: []*yaml.Node{yamlnode.StrNode("exec"), list}}
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(doc); err != nil {
		return nil, fmt.Errorf("marshal exec list: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("marshal exec list: %w", err)
	}
	return buf.Bytes(), nil
}

// node returns e as the mapping MarshalEntries writes.
func (e Entry) node() *yaml.Node {
	m := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
	add := func(k string, v *yaml.Node) { m.Content = append(m.Content, yamlnode.StrNode(k), v) }
	add("command", yamlnode.StrNode(e.Command))
	if len(e.Args) > 0 {
		add("args", strsNode(e.Args))
	}
	if len(e.ArgsRegex) > 0 {
		add("args_regex", strsNode(e.ArgsRegex))
	}
	if e.Stdout != "" {
		add("stdout", yamlnode.StrNode(e.Stdout))
	}
	if e.Stderr != "" {
		add("stderr", yamlnode.StrNode(e.Stderr))
	}
	add("exit_code", &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: strconv.Itoa(e.ExitCode)})
	if e.TimedOut {
		add("timed_out", &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: "true"})
	}
	return m
}

func strsNode(list []string) *yaml.Node {
	n := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
	for _, s := range list {
		n.Content = append(n.Content, yamlnode.StrNode(s))
	}
	return n
}
