package mixintest

import (
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"github.com/mixbox/mixbox/host"
	"github.com/mixbox/mixbox/host/internal/hostexec"
	"github.com/mixbox/mixbox/host/internal/policy"

	"gopkg.in/yaml.v3"
)

// Sentinel errors. The command line maps ErrCases to exit code 2 and
// ErrIncompatible to exit code 3.
var (
	// ErrCases is wrapped by every error about a cases file or a Case: bad
	// YAML, an unknown key, a wrong type, a missing field, a bad regex.
	ErrCases = errors.New("invalid cases file")
	// ErrIncompatible is wrapped when the host refuses the module before
	// running it: not a wasm core module, a wrong ABI, a disallowed import.
	// It is host.ErrIncompatible.
	ErrIncompatible = host.ErrIncompatible
)

// CasesError is an error in a cases file, at a line. It matches ErrCases.
type CasesError struct {
	// File is the cases file, as given to LoadCases.
	File string
	// Line is the 1-based line of the problem, 0 when unknown.
	Line int
	// Msg says what is wrong.
	Msg string
}

// Error returns "FILE:LINE: MSG".
func (e *CasesError) Error() string {
	loc := e.File
	if loc == "" {
		loc = "cases"
	}
	if e.Line > 0 {
		loc += ":" + strconv.Itoa(e.Line)
	}
	return fmt.Sprintf("%s: %s: %s", ErrCases, loc, e.Msg)
}

// Is reports whether target is ErrCases.
func (e *CasesError) Is(target error) bool { return target == ErrCases }

// Suite is a parsed cases file.
type Suite struct {
	// Path is the file the suite was loaded from, "" when parsed from bytes.
	Path string
	// Mixin is the file's `mixin:` as written, possibly empty.
	Mixin string
	// Cases are the file's cases, in order.
	Cases []Case

	doc *yaml.Node // the whole document, for Update
}

// MixinPath returns the file's `mixin:` resolved against the directory of
// the cases file, else (when no such file is there) against the working
// directory, or "" when the file names no mixin.
func (s *Suite) MixinPath() string {
	if s.Mixin == "" || filepath.IsAbs(s.Mixin) || s.Path == "" {
		return s.Mixin
	}
	beside := filepath.Join(filepath.Dir(s.Path), s.Mixin)
	if _, err := os.Stat(beside); err != nil {
		if _, err := os.Stat(s.Mixin); err == nil {
			return s.Mixin // relative to the working directory, as a command line would be
		}
	}
	return beside
}

// Case is one test of a mixin: a step to run, the table that answers its
// exec calls, and what it must have done.
type Case struct {
	// Name names the case in the report; --run matches it.
	Name string
	// Action is the action: install, upgrade, uninstall or a custom action
	// (run as `invoke --action NAME`). A full argv such as
	// "invoke --action status" is taken as is.
	Action string
	// Input is the step's stdin, exactly as the runtime sends it.
	Input string
	// Env is the environment of the mixin. Only the keys of abi-v1 §2
	// reach a wasm guest; PORTER_DEBUG=true also shows debug log lines.
	Env map[string]string
	// Files are the files of the read-only /cnab/app mount, by relative
	// path.
	Files map[string]string
	// Exec answers the mixin's exec calls, in the order they must come.
	Exec []Exec
	// Loose is `strict: false`: calls may come in any order, entries may go
	// unused, and an unexpected call gets E_NOTFOUND instead of failing
	// the case.
	Loose bool
	// Policy, when set, is checked before the table, as a run's policy is;
	// nil allows every call and mounts /cnab/app.
	Policy *Policy
	// Want is what the mixin must have done.
	Want Want
	// Line is the case's line in its cases file, 0 when not from a file.
	Line int

	node *yaml.Node // the case's mapping, for Update
}

// Exec is one fake command of a case's table: how to recognise the call
// (Command, then Args exactly or ArgsRegex, each regex anchored, one per
// arg) and what it returns (Stdout, Stderr, ExitCode and TimedOut make up
// the ExecResult). Line is its line in the cases file, 0 when not from a
// file. It is the entry of the `exec:` lists that --record-exec writes and
// --replay-exec reads, too.
type Exec = hostexec.Entry

// Want is what a case checks.
type Want struct {
	// ExitCode is the mixin's exit code.
	ExitCode int
	// Outputs is the exact set of outputs; nil does not check outputs.
	Outputs map[string]string
	// StdoutContains and StderrContains must each appear in the mixin's
	// stdout (or stderr), which includes the streamed output of its exec
	// calls, masked.
	StdoutContains []string
	StderrContains []string
	// Denied lists, in order, the exec calls the policy must have refused,
	// each as a command ("kubectl") or a command line ("kubectl get pods");
	// nil does not check denials.
	Denied []string
}

// Policy is the mixin's block of a policy (docs/spec/policy.md), for a
// case, checked as a run checks it. A parsed `policy:` block mounts
// /cnab/app unless it says `mount: false`, and its Limits are merged with
// the policy defaults; the zero Policy grants no command and does not mount
// /cnab/app (set Mount).
type Policy = policy.Mixin

// Grant allows one command: Command by name ("*" for any), Path pins the
// resolved path, Args are anchored regexes for the leading args.
type Grant = policy.ExecGrant

// Limits are the per-step limits of docs/spec/policy.md.
type Limits = policy.Limits

// LoadCases reads and parses a cases file.
func LoadCases(file string) (*Suite, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("read cases: %w", err)
	}
	return ParseCases(file, b)
}

// ParseCases parses the cases file data; file names it in errors. Every
// error matches ErrCases and says the line and what is wrong.
func ParseCases(file string, data []byte) (*Suite, error) {
	p := parser{file: file}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		line := yamlLine(err)
		msg := strings.TrimPrefix(err.Error(), "yaml: ")
		msg = strings.TrimPrefix(msg, fmt.Sprintf("line %d: ", line))
		return nil, p.errf(line, "%s", msg)
	}
	s := &Suite{Path: file, doc: &doc}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		return nil, p.errf(0, "empty file: want a mapping with a cases list")
	}
	root := doc.Content[0]
	hasCases := false
	if err := p.mapping(root, "the file", func(k string, v *yaml.Node) error {
		switch k {
		case "mixin":
			return p.str(v, k, &s.Mixin)
		case "cases":
			hasCases = true
			if v.Kind != yaml.SequenceNode {
				return p.errf(v.Line, "cases: want a list, got %s", kindName(v))
			}
			for _, n := range v.Content {
				c, err := p.parseCase(n)
				if err != nil {
					return err
				}
				s.Cases = append(s.Cases, c)
			}
			return nil
		}
		return p.unknown(k, v, "mixin, cases")
	}); err != nil {
		return nil, err
	}
	if !hasCases {
		return nil, p.errf(root.Line, "no cases: key: want `cases:` with a list of cases")
	}
	seen := map[string]int{}
	for _, c := range s.Cases {
		if l, ok := seen[c.Name]; ok {
			return nil, p.errf(c.Line, "case %q: name already used at line %d", c.Name, l)
		}
		seen[c.Name] = c.Line
	}
	return s, nil
}

type parser struct{ file string }

func (p parser) errf(line int, format string, args ...any) error {
	return &CasesError{File: p.file, Line: line, Msg: fmt.Sprintf(format, args...)}
}

func (p parser) unknown(k string, v *yaml.Node, known string) error {
	return p.errf(keyLine(v), "unknown key %q (want one of: %s)", k, known)
}

// keyLine is the line of a value's key: the value's own line is close enough.
func keyLine(v *yaml.Node) int { return v.Line }

func (p parser) mapping(n *yaml.Node, what string, f func(k string, v *yaml.Node) error) error {
	if n.Kind != yaml.MappingNode {
		return p.errf(n.Line, "%s: want a mapping, got %s", what, kindName(n))
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if seen[k.Value] {
			return p.errf(k.Line, "%s: key %q given twice", what, k.Value)
		}
		seen[k.Value] = true
		if err := f(k.Value, v); err != nil {
			return err
		}
	}
	return nil
}

func (p parser) str(v *yaml.Node, what string, dst *string) error {
	if v.Kind != yaml.ScalarNode || v.Tag == "!!null" {
		return p.errf(v.Line, "%s: want a string, got %s", what, kindName(v))
	}
	*dst = v.Value
	return nil
}

func (p parser) strs(v *yaml.Node, what string, dst *[]string) error {
	if v.Kind != yaml.SequenceNode {
		return p.errf(v.Line, "%s: want a list of strings, got %s", what, kindName(v))
	}
	out := []string{}
	for _, e := range v.Content {
		var s string
		if err := p.str(e, what, &s); err != nil {
			return err
		}
		out = append(out, s)
	}
	*dst = out
	return nil
}

func (p parser) strMap(v *yaml.Node, what string, dst *map[string]string) error {
	out := map[string]string{}
	if v.Tag == "!!null" {
		*dst = out
		return nil
	}
	if err := p.mapping(v, what, func(k string, e *yaml.Node) error {
		return p.str(e, what+"."+k, new(string)) // type check first
	}); err != nil {
		return err
	}
	for i := 0; i+1 < len(v.Content); i += 2 {
		out[v.Content[i].Value] = v.Content[i+1].Value
	}
	*dst = out
	return nil
}

func (p parser) integer(v *yaml.Node, what string, dst *int) error {
	if v.Kind != yaml.ScalarNode || v.Tag != "!!int" {
		return p.errf(v.Line, "%s: want an integer, got %s", what, kindName(v))
	}
	var n int
	if err := v.Decode(&n); err != nil {
		return p.errf(v.Line, "%s: want an integer, got %q", what, v.Value)
	}
	*dst = n
	return nil
}

func (p parser) boolean(v *yaml.Node, what string, dst *bool) error {
	if v.Kind != yaml.ScalarNode || v.Tag != "!!bool" {
		return p.errf(v.Line, "%s: want true or false, got %s", what, kindName(v))
	}
	return v.Decode(dst)
}

func (p parser) parseCase(n *yaml.Node) (Case, error) {
	c := Case{Line: n.Line, node: n}
	strict := true
	err := p.mapping(n, "case", func(k string, v *yaml.Node) error {
		switch k {
		case "name":
			return p.str(v, k, &c.Name)
		case "action":
			return p.str(v, k, &c.Action)
		case "input":
			return p.str(v, k, &c.Input)
		case "env":
			return p.strMap(v, k, &c.Env)
		case "files":
			if err := p.strMap(v, k, &c.Files); err != nil {
				return err
			}
			for name := range c.Files {
				if err := checkFileName(name); err != nil {
					return p.errf(v.Line, "files: %s", err.Error())
				}
			}
			return nil
		case "exec":
			if v.Tag == "!!null" {
				return nil
			}
			if v.Kind != yaml.SequenceNode {
				return p.errf(v.Line, "exec: want a list, got %s", kindName(v))
			}
			for i, e := range v.Content {
				x, err := p.parseExec(e, i+1)
				if err != nil {
					return err
				}
				c.Exec = append(c.Exec, x)
			}
			return nil
		case "strict":
			return p.boolean(v, k, &strict)
		case "policy":
			if v.Tag == "!!null" {
				return p.errf(v.Line, "policy: want a mapping, got %s", kindName(v))
			}
			pol, err := policy.ParseMixin(v, "policy")
			if err != nil {
				var ie *policy.InvalidError
				if !errors.As(err, &ie) { // ParseMixin returns no other error
					ie = &policy.InvalidError{Line: v.Line, Key: "policy", Msg: err.Error()}
				}
				return p.errf(ie.Line, "%s: %s", ie.Key, ie.Msg)
			}
			c.Policy = &pol
			return nil
		case "want":
			return p.parseWant(v, &c.Want)
		}
		return p.unknown(k, v, "name, action, input, env, files, exec, strict, policy, want")
	})
	if err != nil {
		if c.Name != "" {
			var ce *CasesError
			if errors.As(err, &ce) {
				ce.Msg = fmt.Sprintf("case %q: %s", c.Name, ce.Msg)
			}
		}
		return c, err
	}
	c.Loose = !strict
	if c.Name == "" {
		return c, p.errf(n.Line, "case: name is required")
	}
	if strings.TrimSpace(c.Action) == "" {
		return c, p.errf(n.Line, "case %q: action is required (install, upgrade, uninstall or a custom action)", c.Name)
	}
	return c, nil
}

func checkFileName(name string) error {
	clean := path.Clean(name)
	if name == "" || path.IsAbs(name) || clean == "." || clean == ".." || strings.HasPrefix(clean, "../") {
		return fmt.Errorf("%q is not a relative path inside /cnab/app", name)
	}
	return nil
}

func (p parser) parseExec(n *yaml.Node, i int) (Exec, error) {
	x := Exec{Line: n.Line}
	what := fmt.Sprintf("exec[%d]", i)
	err := p.mapping(n, what, func(k string, v *yaml.Node) error {
		switch k {
		case "command":
			return p.str(v, what+".command", &x.Command)
		case "args":
			return p.strs(v, what+".args", &x.Args)
		case "args_regex":
			if err := p.strs(v, what+".args_regex", &x.ArgsRegex); err != nil {
				return err
			}
			for _, re := range x.ArgsRegex {
				if _, err := regexp.Compile(anchor(re)); err != nil {
					return p.errf(v.Line, "%s.args_regex: bad regex %q: %s", what, re, err.Error())
				}
			}
			return nil
		case "stdout":
			return p.str(v, what+".stdout", &x.Stdout)
		case "stderr":
			return p.str(v, what+".stderr", &x.Stderr)
		case "exit_code":
			return p.integer(v, what+".exit_code", &x.ExitCode)
		case "timed_out":
			return p.boolean(v, what+".timed_out", &x.TimedOut)
		}
		return p.unknown(k, v, "command, args, args_regex, stdout, stderr, exit_code, timed_out")
	})
	if err != nil {
		return x, err
	}
	if x.Command == "" {
		return x, p.errf(n.Line, "%s: command is required", what)
	}
	if x.Args != nil && x.ArgsRegex != nil {
		return x, p.errf(n.Line, "%s: give args or args_regex, not both", what)
	}
	return x, nil
}

func (p parser) parseWant(n *yaml.Node, w *Want) error {
	if n.Tag == "!!null" {
		return nil
	}
	return p.mapping(n, "want", func(k string, v *yaml.Node) error {
		switch k {
		case "exit_code":
			return p.integer(v, "want.exit_code", &w.ExitCode)
		case "outputs":
			return p.strMap(v, "want.outputs", &w.Outputs)
		case "stdout_contains":
			return p.strs(v, "want.stdout_contains", &w.StdoutContains)
		case "stderr_contains":
			return p.strs(v, "want.stderr_contains", &w.StderrContains)
		case "denied":
			return p.strs(v, "want.denied", &w.Denied)
		}
		return p.unknown(k, v, "exit_code, outputs, stdout_contains, stderr_contains, denied")
	})
}

func anchor(re string) string { return `^(?:` + re + `)$` }

func kindName(n *yaml.Node) string {
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
		return fmt.Sprintf("%s %s", strings.TrimPrefix(n.Tag, "!!"), n.Value)
	}
	return "nothing"
}

// yamlLine extracts the line of a yaml.v3 syntax or type error, 0 if none.
func yamlLine(err error) int {
	m := regexp.MustCompile(`line (\d+)`).FindStringSubmatch(err.Error())
	if m == nil {
		return 0
	}
	n, _ := strconv.Atoi(m[1]) // digits only: cannot fail but on overflow, then 0
	return n
}
