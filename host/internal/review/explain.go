package review

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/mixbox/mixbox/host/internal/manifest"
)

// Explanation describes a bundle, as `mixbox explain` prints it.
type Explanation struct {
	Name         string       `json:"name"`
	Version      string       `json:"version"`
	Description  string       `json:"description,omitempty"`
	Actions      []Action     `json:"actions"`
	Parameters   []Parameter  `json:"parameters"`
	Credentials  []Credential `json:"credentials"`
	Outputs      []Output     `json:"outputs"`
	Dependencies []Dependency `json:"dependencies"`
	Mixins       []MixinForm  `json:"mixins"`
}

// Dependency is one bundle this one requires.
type Dependency struct {
	// Alias is the name templates use: bundle.dependencies.<Alias>.
	Alias     string `json:"alias"`
	Reference string `json:"reference"`
	Version   string `json:"version,omitempty"`
}

// Action is one action of the bundle, core or custom.
type Action struct {
	Name        string `json:"name"`
	Core        bool   `json:"core"`
	Description string `json:"description,omitempty"`
	Steps       int    `json:"steps"`
	Modifies    bool   `json:"modifies"`
	Stateless   bool   `json:"stateless"`
}

// Destination is where a value is delivered: an env var or a file.
type Destination struct {
	Env  string `json:"env,omitempty"`
	Path string `json:"path,omitempty"`
}

// String returns "env NAME" or "path FILE".
func (d Destination) String() string {
	if d.Path != "" {
		return "path " + d.Path
	}
	return "env " + d.Env
}

// Parameter is one parameter of the bundle. A sensitive default is masked.
type Parameter struct {
	Name        string      `json:"name"`
	Description string      `json:"description,omitempty"`
	Type        string      `json:"type"`
	Default     any         `json:"default,omitempty"`
	HasDefault  bool        `json:"hasDefault"`
	Required    bool        `json:"required"`
	Sensitive   bool        `json:"sensitive"`
	ApplyTo     []string    `json:"applyTo"`
	Destination Destination `json:"destination"`
	// Source is "output NAME" or "dependency ALIAS output NAME" for a
	// parameter Porter fills in from an output.
	Source string `json:"source,omitempty"`
}

// Credential is one credential of the bundle.
type Credential struct {
	Name        string      `json:"name"`
	Description string      `json:"description,omitempty"`
	Required    bool        `json:"required"`
	ApplyTo     []string    `json:"applyTo"`
	Destination Destination `json:"destination"`
}

// Output is one bundle output.
type Output struct {
	Name        string   `json:"name"`
	Description string   `json:"description,omitempty"`
	Type        string   `json:"type"`
	ApplyTo     []string `json:"applyTo"`
	Sensitive   bool     `json:"sensitive"`
	// Path is the file a file output is copied from at the end of a run.
	Path string `json:"path,omitempty"`
}

// MixinForm is one declared mixin and how it resolves here.
type MixinForm struct {
	Name string `json:"name"`
	// Version is the declared constraint (`name@constraint`), if any.
	Version string `json:"version,omitempty"`
	// Steps is how many steps of all actions use it.
	Steps int `json:"steps"`
	// Form is the form a run would run it in ("wasm, built-in",
	// "native, unsandboxed", ...); "" when it resolves nowhere.
	Form string `json:"form,omitempty"`
	// Path is the installed file of the form, "" for a built-in.
	Path string `json:"path,omitempty"`
	// Problem says why it would not run: not installed, refused.
	Problem string `json:"problem,omitempty"`
}

// masked is what a sensitive default shows as.
const masked = "*******"

// Explain describes the bundle of opts.
func Explain(ctx context.Context, opts Options) (*Explanation, error) {
	b, err := opts.load()
	if err != nil {
		return nil, err
	}
	m := b.m
	x := &Explanation{
		Name: m.Name, Version: m.Version, Description: m.Description,
		Actions: []Action{}, Parameters: []Parameter{}, Credentials: []Credential{}, Outputs: []Output{}, Dependencies: []Dependency{}, Mixins: []MixinForm{},
	}
	x.Actions = actions(m)
	for _, p := range m.Parameters {
		x.Parameters = append(x.Parameters, parameter(p))
	}
	for _, c := range m.Credentials {
		x.Credentials = append(x.Credentials, Credential{
			Name: c.Name, Description: c.Description, Required: c.Required, ApplyTo: list(c.ApplyTo),
			Destination: Destination{Env: c.Env, Path: manifest.ResolvePath(c.Path)},
		})
	}
	for _, o := range m.Outputs {
		x.Outputs = append(x.Outputs, Output{
			Name: o.Name, Description: o.Description, Type: typeOr(o.Type, "string"), ApplyTo: list(o.ApplyTo),
			Sensitive: o.Sensitive, Path: manifest.ResolvePath(o.Path),
		})
	}
	for _, d := range m.Dependencies {
		x.Dependencies = append(x.Dependencies, Dependency{Alias: d.Name, Reference: d.Reference, Version: d.Version})
	}
	uses := map[string]int{}
	for _, st := range allSteps(m) {
		uses[st.Mixin]++
	}
	for _, d := range m.Mixins {
		r, err := opts.locate(ctx, b, d.Name)
		if err != nil {
			return nil, err
		}
		mf := MixinForm{Name: d.Name, Version: d.Version, Steps: uses[d.Name]}
		switch {
		case r.err != nil:
			mf.Problem = strings.TrimPrefix(problem(r.err), "mixin "+d.Name+" is ")
		case r.info != nil && !r.info.Accepted:
			mf.Form, mf.Path, mf.Problem = r.loc.Form.String(), r.loc.Path, "refused: "+r.info.Reason
		default:
			mf.Form, mf.Path = r.loc.Form.String(), r.loc.Path
		}
		x.Mixins = append(x.Mixins, mf)
	}
	return x, nil
}

// actions lists the core actions, then the custom ones (those with steps
// and those only described under customActions), by name.
func actions(m *manifest.Manifest) []Action {
	var out []Action
	names := m.Actions()
	for name := range m.CustomActions {
		if _, err := m.Steps(name); err != nil {
			names = append(names, name)
		}
	}
	order := func(name string) int { // install, upgrade, uninstall, then the custom actions
		return slices.Index([]string{manifest.ActionUninstall, manifest.ActionUpgrade, manifest.ActionInstall}, name)
	}
	slices.SortFunc(names, func(a, b string) int { return cmp.Or(cmp.Compare(order(b), order(a)), strings.Compare(a, b)) })
	for _, core := range []bool{true, false} {
		for _, name := range names {
			if manifest.IsCoreAction(name) != core {
				continue
			}
			a := Action{Name: name, Core: core, Modifies: core}
			if steps, err := m.Steps(name); err == nil {
				a.Steps = len(steps)
			}
			if !core {
				a.Description, a.Modifies, a.Stateless = customAction(m, name)
			}
			out = append(out, a)
		}
	}
	if out == nil {
		return []Action{}
	}
	return out
}

// customAction returns what Porter records for a custom action: its
// customActions entry, else the CNAB well-known action's definition, else
// an action that may modify the installation.
func customAction(m *manifest.Manifest, name string) (description string, modifies, stateless bool) {
	if d, ok := m.CustomActions[name]; ok {
		return d.Description, d.Modifies, d.Stateless
	}
	switch strings.TrimPrefix(name, "io.cnab.") {
	case "dry-run":
		return "Execute the installation in a dry-run mode, allowing to see what would happen with the given set of parameter values", false, true
	case "help":
		return "Print a help message to the standard output", false, true
	case "log":
		return "Print logs of the installed system to the standard output", false, false
	case "status":
		return "Print a human readable status message to the standard output", false, false
	case "status+json":
		return "Print a json payload describing the detailed status with the following the CNAB status schema", false, false
	}
	return name, true, false
}

func parameter(p manifest.Parameter) Parameter {
	typ := p.Type
	if typ == "" && p.Path != "" {
		typ = "file"
	}
	out := Parameter{
		Name: p.Name, Description: p.Description, Type: typeOr(typ, "string"),
		HasDefault: p.HasDefault && p.Default != nil, Sensitive: p.Sensitive, ApplyTo: list(p.ApplyTo),
	}
	out.Required = !out.HasDefault
	if out.HasDefault {
		out.Default = p.Default
		if p.Sensitive {
			out.Default = masked
		}
	}
	if p.Path != "" {
		out.Destination.Path = manifest.ResolvePath(p.Path)
	} else {
		out.Destination.Env = p.EnvVar()
	}
	switch {
	case p.Source.Dependency != "":
		out.Source = "dependency " + p.Source.Dependency + " output " + p.Source.Output
	case p.Source.Output != "":
		out.Source = "output " + p.Source.Output
	}
	return out
}

func typeOr(t, def string) string {
	if t == "" {
		return def
	}
	return t
}

// list returns l, or an empty list for nil (JSON `[]`: every action).
func list(l []string) []string {
	if l == nil {
		return []string{}
	}
	return l
}

// WriteExplanation writes x as text (tables) or as indented JSON.
func WriteExplanation(w io.Writer, x *Explanation, asJSON bool) error {
	if asJSON {
		return writeJSON(w, "explanation", x)
	}
	var buf bytes.Buffer
	tw := tabwriter.NewWriter(&buf, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "Name:\t%s\nVersion:\t%s\n", x.Name, x.Version)
	if x.Description != "" {
		fmt.Fprintf(tw, "Description:\t%s\n", oneLine(x.Description))
	}
	section := func(title string, n int, header string, row func(i int) string) {
		if n == 0 {
			return
		}
		fmt.Fprintf(tw, "\n%s:\n  %s\n", title, header)
		for i := range n {
			fmt.Fprintf(tw, "  %s\n", row(i))
		}
	}
	section("Actions", len(x.Actions), "NAME\tKIND\tSTEPS\tMODIFIES\tSTATELESS\tDESCRIPTION", func(i int) string {
		a := x.Actions[i]
		kind := "custom"
		if a.Core {
			kind = "core"
		}
		return cells(a.Name, kind, strconv.Itoa(a.Steps), yesNo(a.Modifies), yesNo(a.Stateless), oneLine(a.Description))
	})
	section("Parameters", len(x.Parameters), "NAME\tTYPE\tDEFAULT\tREQUIRED\tSENSITIVE\tAPPLIES TO\tDESTINATION\tDESCRIPTION", func(i int) string {
		p := x.Parameters[i]
		def := "-"
		if p.HasDefault {
			def = value(p.Default)
		}
		dest := p.Destination.String()
		if p.Source != "" {
			dest += " (from " + p.Source + ")"
		}
		return cells(p.Name, p.Type, def, yesNo(p.Required), yesNo(p.Sensitive), applyTo(p.ApplyTo), dest, oneLine(p.Description))
	})
	section("Credentials", len(x.Credentials), "NAME\tREQUIRED\tAPPLIES TO\tDESTINATION\tDESCRIPTION", func(i int) string {
		c := x.Credentials[i]
		dest := []string{}
		if c.Destination.Env != "" {
			dest = append(dest, "env "+c.Destination.Env)
		}
		if c.Destination.Path != "" {
			dest = append(dest, "path "+c.Destination.Path)
		}
		return cells(c.Name, yesNo(c.Required), applyTo(c.ApplyTo), strings.Join(dest, ", "), oneLine(c.Description))
	})
	section("Outputs", len(x.Outputs), "NAME\tTYPE\tAPPLIES TO\tSENSITIVE\tPATH\tDESCRIPTION", func(i int) string {
		o := x.Outputs[i]
		return cells(o.Name, o.Type, applyTo(o.ApplyTo), yesNo(o.Sensitive), dash(o.Path), oneLine(o.Description))
	})
	section("Dependencies", len(x.Dependencies), "ALIAS\tREFERENCE\tVERSION", func(i int) string {
		d := x.Dependencies[i]
		return cells(d.Alias, d.Reference, dash(d.Version))
	})
	section("Mixins", len(x.Mixins), "NAME\tSTEPS\tRUNS AS", func(i int) string {
		mf := x.Mixins[i]
		name := mf.Name
		if mf.Version != "" {
			name += "@" + mf.Version
		}
		runs := mf.Form
		if mf.Path != "" {
			runs += ": " + mf.Path
		}
		if mf.Problem != "" {
			runs = strings.TrimPrefix(runs+"; "+mf.Problem, "; ")
		}
		return cells(name, strconv.Itoa(mf.Steps), runs)
	})
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("write explanation: %w", err)
	}
	var out strings.Builder
	for line := range strings.Lines(buf.String()) {
		out.WriteString(strings.TrimRight(line, " \n") + "\n")
	}
	if _, err := io.WriteString(w, out.String()); err != nil {
		return fmt.Errorf("write explanation: %w", err)
	}
	return nil
}

// writeJSON writes v as indented JSON and a newline.
func writeJSON(w io.Writer, what string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("encode %s: %w", what, err)
	}
	if _, err := fmt.Fprintf(w, "%s\n", b); err != nil {
		return fmt.Errorf("write %s: %w", what, err)
	}
	return nil
}

// cells is a table row: every cell tab-terminated but the last, even when
// empty, so that each column lines up.
func cells(c ...string) string { return strings.Join(c, "\t") }

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func applyTo(l []string) string {
	if len(l) == 0 {
		return "all actions"
	}
	return strings.Join(l, ",")
}

// value prints a default: a string as it is (quoted when empty or when it
// holds a tab or a line break), anything else as JSON.
func value(v any) string {
	if s, ok := v.(string); ok {
		if s == "" || strings.ContainsAny(s, "\t\r\n") {
			return strconv.Quote(s)
		}
		return s
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

// oneLine folds s onto one line, for a table cell.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
