package mixintest

import (
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/mixbox/mixbox/host"
	"github.com/mixbox/mixbox/host/internal/hostexec"
	"github.com/mixbox/mixbox/host/internal/policy"
	"github.com/mixbox/mixbox/host/internal/yamlnode"

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
	// nil is the policy `mixbox run` gives the mixin by default: the
	// commands its mixbox.mixin metadata declares (as the default policy
	// grants them) or, for the exec mixin, what its step names.
	Policy *Policy
	// Want is what the mixin must have done.
	Want Want
	// Line is the case's line in its cases file, 0 when not from a file.
	Line int

	node *yaml.Node // the case's mapping, for Update
}

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
	doc, err := yamlnode.Parse(data)
	if err != nil {
		return nil, p.wrap(err)
	}
	s := &Suite{Path: file, doc: doc}
	if len(doc.Content) == 0 {
		return nil, p.errf(0, "empty file: want a mapping with a cases list")
	}
	root := doc.Content[0]
	if err := yamlnode.WantKind(root, "the file", yaml.MappingNode); err != nil {
		return nil, p.wrap(err)
	}
	hasCases := false
	if err := yamlnode.Mapping(root, "", func(k string, kn, v *yaml.Node) error {
		switch k {
		case "mixin":
			var err error
			s.Mixin, err = yamlnode.Str(v, k)
			return err
		case "cases":
			hasCases = true
			if err := yamlnode.WantKind(v, k, yaml.SequenceNode); err != nil {
				return err
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
		return yamlnode.Unknown(kn, "", "mixin, cases")
	}); err != nil {
		return nil, p.wrap(err)
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

// wrap returns err as a *CasesError: a *yamlnode.Error's key and message
// become its Msg.
func (p parser) wrap(err error) error {
	var ce *CasesError
	if errors.As(err, &ce) {
		return ce
	}
	var ye *yamlnode.Error
	if errors.As(err, &ye) {
		return &CasesError{File: p.file, Line: ye.Line, Msg: ye.Text()}
	}
	return &CasesError{File: p.file, Msg: err.Error()} // not reached: the parse returns no other error
}

// caseKeys are the keys of a case, for the error about an unknown key.
const caseKeys = "name, action, input, env, files, exec, strict, policy, want"

func (p parser) parseCase(n *yaml.Node) (Case, error) {
	n = yamlnode.Deref(n)
	c := Case{Line: n.Line, node: n}
	if err := yamlnode.WantKind(n, "case", yaml.MappingNode); err != nil {
		return c, p.wrap(err)
	}
	strict := true
	err := yamlnode.Mapping(n, "", func(k string, kn, v *yaml.Node) error {
		var err error
		switch k {
		case "name":
			c.Name, err = yamlnode.Str(v, k)
		case "action":
			c.Action, err = yamlnode.Str(v, k)
		case "input":
			c.Input, err = yamlnode.Str(v, k)
		case "env":
			c.Env, err = yamlnode.StrMap(v, k)
		case "files":
			if c.Files, err = yamlnode.StrMap(v, k); err == nil {
				for name := range c.Files {
					if err := checkFileName(name); err != nil {
						return &yamlnode.Error{Line: v.Line, Key: k, Err: err}
					}
				}
			}
		case "exec":
			var list []hostexec.Entry
			list, err = hostexec.ParseEntryList(v, k)
			for _, e := range list {
				c.Exec = append(c.Exec, execOf(e))
			}
		case "strict":
			strict, err = yamlnode.Bool(v, k)
		case "policy":
			if yamlnode.IsNull(v) {
				return yamlnode.WantKind(v, k, yaml.MappingNode)
			}
			pol, err := policy.ParseMixin(v, k)
			if err != nil {
				var ie *policy.InvalidError
				if !errors.As(err, &ie) { // ParseMixin returns no other error
					ie = &policy.InvalidError{Line: v.Line, Key: k, Msg: err.Error()}
				}
				return &yamlnode.Error{Line: ie.Line, Key: ie.Key, Msg: ie.Msg}
			}
			p := policyOf(pol)
			c.Policy = &p
		case "want":
			err = parseWant(v, &c.Want)
		default:
			err = yamlnode.Unknown(kn, "", caseKeys)
		}
		return err
	})
	if err != nil {
		err = p.wrap(err)
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

// wantKeys are the keys of a case's want, for the error about an unknown key.
const wantKeys = "exit_code, outputs, stdout_contains, stderr_contains, denied"

func parseWant(n *yaml.Node, w *Want) error {
	return yamlnode.Mapping(n, "want", func(k string, kn, v *yaml.Node) error {
		var err error
		key := yamlnode.Join("want", k)
		switch k {
		case "exit_code":
			w.ExitCode, err = yamlnode.Int(v, key)
		case "outputs":
			w.Outputs, err = yamlnode.StrMap(v, key)
		case "stdout_contains":
			w.StdoutContains, err = yamlnode.Strs(v, key)
		case "stderr_contains":
			w.StderrContains, err = yamlnode.Strs(v, key)
		case "denied":
			w.Denied, err = yamlnode.Strs(v, key)
		default:
			err = yamlnode.Unknown(kn, "", wantKeys)
		}
		return err
	})
}
