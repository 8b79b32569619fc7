package manifest

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/cbroglie/mustache"
)

// TemplateDelimiterPrefix is the mustache set-delimiter tag Porter puts in
// front of a step template when the schema version is above 1.0.0-alpha.1,
// switching the delimiters from {{ }} to ${ }.
const TemplateDelimiterPrefix = "{{=${ }=}}\n"

// TemplatePrefix is the text Porter puts in front of a step template: the
// ${ } delimiter switch when schemaVersion is above 1.0.0-alpha.1, else "".
func (m *Manifest) TemplatePrefix() string {
	if m.UsesDollarDelimiters() {
		return TemplateDelimiterPrefix
	}
	return ""
}

// UsesDollarDelimiters reports whether templates use ${ } (schemaVersion
// above 1.0.0-alpha.1) rather than mustache's {{ }}.
func (m *Manifest) UsesDollarDelimiters() bool {
	v, ok := parseSemver(m.SchemaVersion)
	if !ok {
		return false
	}
	alpha1, _ := parseSemver("1.0.0-alpha.1")
	return compareSemver(v, alpha1) > 0
}

func (m *Manifest) openDelim() string {
	if m.UsesDollarDelimiters() {
		return "${"
	}
	return "{{"
}

func (m *Manifest) closeDelim() string {
	if m.UsesDollarDelimiters() {
		return "}"
	}
	return "}}"
}

// TemplatedOutputs returns the declared bundle outputs that the manifest's
// templates reference as bundle.outputs.<name>, sorted.
func (m *Manifest) TemplatedOutputs() []string {
	var out []string
	for _, v := range m.TemplateVariables {
		name, ok := strings.CutPrefix(v, "bundle.outputs.")
		if !ok || name == "" {
			continue
		}
		if _, declared := m.Output(name); declared && !slices.Contains(out, name) {
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out
}

// DependencyOutputRef names an output of a dependency.
type DependencyOutputRef struct {
	Dependency string
	Output     string
}

// TemplatedDependencyOutputs returns the dependency outputs the manifest's
// templates reference as bundle.dependencies.<alias>.outputs.<name>.
func (m *Manifest) TemplatedDependencyOutputs() []DependencyOutputRef {
	var out []DependencyOutputRef
	for _, v := range m.TemplateVariables {
		rest, ok := strings.CutPrefix(v, "bundle.dependencies.")
		if !ok {
			continue
		}
		// Porter's regex is greedy: the last ".outputs." splits alias and output.
		i := strings.LastIndex(rest, ".outputs.")
		if i <= 0 || i+len(".outputs.") >= len(rest) {
			continue
		}
		ref := DependencyOutputRef{Dependency: rest[:i], Output: rest[i+len(".outputs."):]}
		if !slices.Contains(out, ref) {
			out = append(out, ref)
		}
	}
	return out
}

// noPartials refuses mustache partials ({{> name}}): mustache's default
// provider would read files from disk.
type noPartials struct{}

func (noPartials) Get(name string) (string, error) {
	return "", fmt.Errorf("template partial %q is not supported", name)
}

// ParseTemplate parses a mustache template without HTML escaping and with
// partials disabled. It never panics.
func ParseTemplate(text string) (t *mustache.Template, err error) {
	defer func() {
		if r := recover(); r != nil {
			t, err = nil, fmt.Errorf("parse template: %v", r)
		}
	}()
	return mustache.ParseStringPartialsRaw(text, noPartials{}, true)
}

func scanTemplateVariables(text string) ([]string, error) {
	t, err := ParseTemplate(text)
	if err != nil {
		return nil, err
	}
	set := map[string]bool{}
	for _, tag := range t.Tags() {
		if tag.Type() == mustache.Variable {
			set[tag.Name()] = true
		}
	}
	out := make([]string, 0, len(set))
	for v := range set {
		out = append(out, v)
	}
	sort.Strings(out)
	return out, nil
}
