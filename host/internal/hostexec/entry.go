package hostexec

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

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
}

// execList is the document ParseEntries and MarshalEntries use.
type execList struct {
	Exec []Entry `yaml:"exec"`
}

// Match reports whether the call of command with args is the one e
// describes.
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
	for i, re := range e.ArgsRegex {
		rx, err := regexp.Compile("^(?:" + re + ")$")
		if err != nil || !rx.MatchString(args[i]) {
			return false
		}
	}
	return true
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

// ParseEntries parses an exec list: a document `exec: [...]` or a bare
// list of entries. Unknown keys, a missing command or a bad regex are
// errors wrapping ErrInvalid.
func ParseEntries(data []byte) ([]Entry, error) {
	var probe yaml.Node
	if err := yaml.Unmarshal(data, &probe); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	var entries []Entry
	if len(probe.Content) > 0 {
		dec := yaml.NewDecoder(bytes.NewReader(data))
		dec.KnownFields(true)
		var err error
		if probe.Content[0].Kind == yaml.SequenceNode {
			err = dec.Decode(&entries)
		} else {
			var doc execList
			err = dec.Decode(&doc)
			entries = doc.Exec
		}
		if err != nil && !errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("%w: %w", ErrInvalid, err)
		}
	}
	for i, e := range entries {
		if e.Command == "" {
			return nil, fmt.Errorf("%w: exec[%d]: command is required", ErrInvalid, i)
		}
		for j, re := range e.ArgsRegex {
			if _, err := regexp.Compile("^(?:" + re + ")$"); err != nil {
				return nil, fmt.Errorf("%w: exec[%d].args_regex[%d]: bad regex %q: %w", ErrInvalid, i, j, re, err)
			}
		}
	}
	return entries, nil
}

// MarshalEntries returns entries as an `exec:` document.
func MarshalEntries(entries []Entry) ([]byte, error) {
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if entries == nil {
		entries = []Entry{}
	}
	if err := enc.Encode(execList{Exec: entries}); err != nil {
		return nil, fmt.Errorf("marshal exec list: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("marshal exec list: %w", err)
	}
	return buf.Bytes(), nil
}

func sortedKeys(m map[string]string) []string {
	return slices.Sorted(maps.Keys(m))
}
