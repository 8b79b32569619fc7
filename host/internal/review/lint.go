package review

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/mixbox/mixbox/host/internal/manifest"
	"github.com/mixbox/mixbox/host/internal/yamlnode"
)

// Levels of a finding.
const (
	// LevelError is a finding that makes the bundle fail or run otherwise
	// than written; Lint's caller exits 1.
	LevelError = "error"
	// LevelWarning is a finding worth a look that need not break a run.
	LevelWarning = "warning"
)

// Finding is one problem Lint found, at a line of the manifest.
type Finding struct {
	// Level is LevelError or LevelWarning.
	Level string `json:"level"`
	// Code names the kind of problem: mixbox-NNN, or a mixin's own code.
	Code string `json:"code"`
	// File is the manifest as named; Line the 1-based line of the problem.
	File string `json:"file"`
	Line int    `json:"line"`
	// Message says what is wrong, Hint how to fix it.
	Message string `json:"message"`
	Hint    string `json:"hint"`
}

// HasError reports whether any finding is an error.
func HasError(findings []Finding) bool {
	return slices.ContainsFunc(findings, func(f Finding) bool { return f.Level == LevelError })
}

// Lint checks the bundle of opts and returns its findings, by line. A
// manifest that does not parse is one error finding at its line, as is a
// mixin's lint that cannot read the steps; an error is returned only when
// the manifest cannot be read or a check cannot run (a schema that does
// not parse, a module that cannot be inspected).
func Lint(ctx context.Context, opts Options) ([]Finding, error) {
	b, err := opts.load()
	if errors.Is(err, manifest.ErrInvalidManifest) {
		return []Finding{broken(opts.manifestPath(), err)}, nil
	}
	if err != nil {
		return nil, err
	}
	l := &linter{opts: opts, b: b, steps: allSteps(b.m)}
	for _, check := range []func(context.Context) error{l.mixins, l.keys, l.templates, l.commands, l.mixinLints} {
		if err := check(ctx); err != nil {
			return nil, err
		}
	}
	slices.SortStableFunc(l.found, func(a, b Finding) int {
		return cmp.Or(cmp.Compare(a.Line, b.Line), strings.Compare(a.Code, b.Code))
	})
	if l.found == nil {
		return []Finding{}, nil
	}
	return l.found, nil
}

// broken is the finding of a manifest that does not parse.
func broken(file string, err error) Finding {
	line := 0
	var ye *yamlnode.Error
	msg := err.Error()
	if errors.As(err, &ye) {
		line, msg = ye.Line, ye.Text()
	} else {
		line = yamlnode.ErrorLine(err)
		msg = strings.TrimPrefix(msg, manifest.ErrInvalidManifest.Error()+": ")
		msg = strings.TrimPrefix(msg, file+": ")
		msg = strings.TrimPrefix(msg, "yaml: ")
		msg = strings.TrimPrefix(msg, fmt.Sprintf("line %d: ", line))
	}
	return Finding{
		Level: LevelError, Code: "mixbox-100", File: file, Line: max(line, 1),
		Message: "the manifest does not parse: " + msg,
		Hint:    "fix it there; nothing else is checked until it parses",
	}
}

// linter is one Lint call.
type linter struct {
	opts  Options
	b     *bundle
	steps []manifest.Step // every step of every action, actions by name
	found []Finding
}

// add records a finding at line, once.
func (l *linter) add(level, code string, line int, hint, format string, args ...any) {
	f := Finding{Level: level, Code: code, File: l.b.file, Line: max(line, 1), Message: fmt.Sprintf(format, args...), Hint: hint}
	if !slices.Contains(l.found, f) {
		l.found = append(l.found, f)
	}
}

// allSteps returns the steps of every action, actions by name.
func allSteps(m *manifest.Manifest) []manifest.Step {
	var out []manifest.Step
	for _, a := range m.Actions() {
		steps, _ := m.Steps(a) // an action Actions lists has steps
		out = append(out, steps...)
	}
	return out
}

// where names a step as the run log does: "install step 2".
func where(st manifest.Step) string { return fmt.Sprintf("%s step %d", st.Action, st.Index) }

// body returns the mapping of a step's settings ({mixin: BODY}).
func body(st manifest.Step) *yaml.Node {
	if st.Node == nil || len(st.Node.Content) < 2 {
		return nil
	}
	return yamlnode.Deref(st.Node.Content[1])
}

// WriteFindings writes findings as text, `LEVEL CODE FILE:LINE: message`
// and a `hint:` line each, or as an indented JSON list.
func WriteFindings(w io.Writer, findings []Finding, asJSON bool) error {
	if asJSON {
		if findings == nil {
			findings = []Finding{}
		}
		return writeJSON(w, "findings", findings)
	}
	var sb strings.Builder
	for _, f := range findings {
		fmt.Fprintf(&sb, "%s %s %s:%d: %s\nhint: %s\n", f.Level, f.Code, f.File, f.Line, f.Message, f.Hint)
	}
	if _, err := io.WriteString(w, sb.String()); err != nil {
		return fmt.Errorf("write findings: %w", err)
	}
	return nil
}

// Summary is one line that counts findings: "2 errors, 1 warning".
func Summary(findings []Finding) string {
	var errs, warns int
	for _, f := range findings {
		if f.Level == LevelError {
			errs++
		} else {
			warns++
		}
	}
	var parts []string
	if errs > 0 {
		parts = append(parts, plural(errs, "error"))
	}
	if warns > 0 {
		parts = append(parts, plural(warns, "warning"))
	}
	if len(parts) == 0 {
		return "no findings"
	}
	return strings.Join(parts, ", ")
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}
