package review

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/cbroglie/mustache"
	"gopkg.in/yaml.v3"

	"github.com/mixbox/mixbox/host/internal/manifest"
	"github.com/mixbox/mixbox/host/internal/yamlnode"
)

// tag is a template variable of a step, at its line.
type tag struct {
	name string
	line int
}

// stepTags returns the variables of the templates in a step's keys and
// values, in document order. A scalar whose template does not parse on its
// own is skipped (the manifest as a whole parsed).
func (l *linter) stepTags(st manifest.Step) []tag {
	var out []tag
	var walk func(n *yaml.Node)
	walk = func(n *yaml.Node) {
		n = yamlnode.Deref(n)
		if n == nil {
			return
		}
		if n.Kind != yaml.ScalarNode {
			for _, c := range n.Content {
				walk(c)
			}
			return
		}
		if !l.templated(n.Value) {
			return
		}
		t, err := manifest.ParseTemplate(l.b.m.TemplatePrefix() + n.Value)
		if err != nil {
			return
		}
		for _, tg := range t.Tags() {
			if tg.Type() == mustache.Variable && tg.Name() != "." {
				out = append(out, tag{name: tg.Name(), line: tagLine(n, tg.Name())})
			}
		}
	}
	walk(st.Node)
	return out
}

// tagLine is the line of the variable name in the scalar n: exact in a
// literal block, the block's first line in a folded one, else n's line.
func tagLine(n *yaml.Node, name string) int {
	switch n.Style {
	case yaml.LiteralStyle:
		before, _, _ := strings.Cut(n.Value, name)
		return n.Line + 1 + strings.Count(before, "\n")
	case yaml.FoldedStyle:
		return n.Line + 1
	}
	return n.Line
}

// stepOutputs returns the outputs a step declares it sets: the names of
// its `outputs:` list, which every mixin's steps share.
func stepOutputs(st manifest.Step) []string {
	outs := yamlnode.Get(body(st), "outputs")
	if outs == nil || outs.Kind != yaml.SequenceNode {
		return nil
	}
	var names []string
	for _, item := range outs.Content {
		if n := yamlnode.Get(item, "name"); n != nil && n.Kind == yaml.ScalarNode && n.Value != "" {
			names = append(names, n.Value)
		}
	}
	return names
}

// outputPlan is where each output is set: by action, the steps that set it.
type outputPlan map[string]map[string][]int

func planOutputs(steps []manifest.Step) outputPlan {
	p := outputPlan{}
	for _, st := range steps {
		for _, o := range stepOutputs(st) {
			if p[o] == nil {
				p[o] = map[string][]int{}
			}
			p[o][st.Action] = append(p[o][st.Action], st.Index)
		}
	}
	return p
}

// templates checks every variable the steps' templates name, against the
// template data Porter builds (docs/reference/porter-runtime.md §2.4):
// installation.*, env.*, bundle.{name,version,description,installerImage},
// bundle.custom.*, bundle.parameters.* of the action, bundle.credentials.*,
// bundle.outputs.* set so far, bundle.dependencies.*, bundle.images.*.
func (l *linter) templates(context.Context) error {
	plan := planOutputs(l.steps)
	for _, st := range l.steps {
		for _, t := range l.stepTags(st) {
			l.variable(st, t, plan)
		}
	}
	return nil
}

// variable checks one variable of a step.
func (l *linter) variable(st manifest.Step, t tag, plan outputPlan) {
	m := l.b.m
	top, rest, _ := strings.Cut(t.name, ".")
	switch top {
	case "env":
		return
	case "installation":
		l.oneOf(st, t, rest, []string{"name", "namespace", "id"}, "installation")
		return
	case "bundle":
	default:
		l.nothing(st, t, fmt.Sprintf("the template data has installation, bundle and env%s", didYouMean(top, []string{"installation", "bundle", "env"})))
		return
	}
	field, rest, _ := strings.Cut(rest, ".")
	switch field {
	case "name", "version", "description", "installerImage":
		if rest != "" {
			l.nothing(st, t, "bundle."+field+" is a string, with no fields")
		}
	case "custom":
		l.custom(st, t, rest)
	case "parameters":
		l.parameter(st, t, rest)
	case "credentials":
		if rest == "" {
			return
		}
		names := make([]string, 0, len(m.Credentials))
		for _, c := range m.Credentials {
			if c.Name == rest {
				return
			}
			names = append(names, c.Name)
		}
		l.nothing(st, t, "the manifest declares no credential "+rest+didYouMean(rest, names))
	case "outputs":
		if rest != "" {
			l.output(st, t, rest, plan)
		}
	case "dependencies":
		alias := l.prefixOf(rest, depNames(m))
		if rest != "" && alias == "" {
			l.nothing(st, t, "dependencies.requires declares no such dependency"+didYouMean(strings.SplitN(rest, ".", 2)[0], depNames(m)))
		}
	case "images":
		if rest == "" {
			return
		}
		alias, f, _ := strings.Cut(rest, ".")
		if _, ok := m.Images[alias]; !ok {
			l.nothing(st, t, "images: declares no image "+alias+didYouMean(alias, slices.Sorted(maps.Keys(m.Images))))
			return
		}
		if f != "" {
			l.oneOf(st, t, f, []string{"description", "imageType", "repository", "digest", "size", "mediaType", "labels", "tag"}, "bundle.images."+alias)
		}
	case "":
	default:
		l.nothing(st, t, "bundle has name, version, description, installerImage, custom, parameters, credentials, outputs, dependencies and images"+
			didYouMean(field, []string{"name", "version", "description", "installerImage", "custom", "parameters", "credentials", "outputs", "dependencies", "images"}))
	}
}

// nothing reports a variable that names nothing in the template data.
func (l *linter) nothing(st manifest.Step, t tag, why string) {
	l.add(LevelError, "mixbox-120", t.line,
		"fix the name; the step fails to render with `missing variable` otherwise",
		"%s: the template names %s, which does not exist: %s", where(st), t.name, why)
}

// oneOf reports a field that is none of known.
func (l *linter) oneOf(st manifest.Step, t tag, field string, known []string, of string) {
	f, _, _ := strings.Cut(field, ".")
	if f == "" || slices.Contains(known, f) {
		return
	}
	l.nothing(st, t, fmt.Sprintf("%s has %s%s", of, strings.Join(known, ", "), didYouMean(f, known)))
}

// custom checks bundle.custom.<path> against the custom section.
func (l *linter) custom(st manifest.Step, t tag, path string) {
	if path == "" {
		return
	}
	var cur any = l.b.m.Custom
	done := "bundle.custom"
	for key := range strings.SplitSeq(path, ".") {
		mp, ok := cur.(map[string]any)
		if !ok {
			return // a list or a scalar: mustache's own look-up decides
		}
		v, ok := mp[key]
		if !ok {
			l.nothing(st, t, fmt.Sprintf("%s has no key %s%s", done, key, didYouMean(key, slices.Sorted(maps.Keys(mp)))))
			return
		}
		cur, done = v, done+"."+key
	}
}

// parameter checks bundle.parameters.<name>[.field]: declared, and
// applying to the step's action (else Porter leaves it out of the data).
func (l *linter) parameter(st manifest.Step, t tag, rest string) {
	m := l.b.m
	if rest == "" {
		return
	}
	names := make([]string, 0, len(m.Parameters))
	for _, p := range m.Parameters {
		names = append(names, p.Name)
	}
	name := l.prefixOf(rest, names)
	if name == "" {
		first, _, _ := strings.Cut(rest, ".")
		l.nothing(st, t, "the manifest declares no parameter "+first+didYouMean(first, names))
		return
	}
	p, _ := m.Parameter(name)
	if !p.AppliesTo(st.Action) {
		l.add(LevelError, "mixbox-121", t.line,
			fmt.Sprintf("add %s to the parameter's applyTo, or do not use it in %s", st.Action, st.Action),
			"%s: parameter %s does not apply to the %s action (applyTo: %s), so the template names nothing there",
			where(st), name, st.Action, strings.Join(p.ApplyTo, ", "))
	}
}

// prefixOf returns the one of names that path is or starts with (followed
// by a dot), the longest; "" when none.
func (l *linter) prefixOf(path string, names []string) string {
	best := ""
	for _, n := range names {
		if (path == n || strings.HasPrefix(path, n+".")) && len(n) > len(best) {
			best = n
		}
	}
	return best
}

func depNames(m *manifest.Manifest) []string {
	out := make([]string, 0, len(m.Dependencies))
	for _, d := range m.Dependencies {
		out = append(out, d.Name)
	}
	return out
}

// output checks bundle.outputs.<name> in a step, by Porter's rules
// (docs/reference/porter-runtime.md §1.5, §2.4, §2.5): a step sees the
// outputs the earlier steps of its action set, and a declared bundle output
// also the value an earlier action persisted (Porter injects it; `null`,
// or its default, when nothing did).
func (l *linter) output(st manifest.Step, t tag, name string, plan outputPlan) {
	m := l.b.m
	var sameLater int
	for _, i := range plan[name][st.Action] {
		if i < st.Index {
			return // set by an earlier step of the action
		}
		if sameLater == 0 {
			sameLater = i
		}
	}
	o, declared := m.Output(name)
	var others []string
	for _, a := range slices.Sorted(maps.Keys(plan[name])) {
		if a != st.Action && (!declared || o.AppliesTo(a)) {
			others = append(others, a)
		}
	}
	if declared && o.Path != "" {
		for _, a := range m.Actions() {
			if a != st.Action && o.AppliesTo(a) && !slices.Contains(others, a) {
				others = append(others, a)
			}
		}
	}
	if declared && len(others) > 0 && st.Action != manifest.ActionInstall {
		return // persisted by another action
	}
	used := fmt.Sprintf("%s: bundle.outputs.%s", where(st), name)
	switch {
	case sameLater == st.Index:
		l.add(LevelError, "mixbox-122", t.line,
			"take the value from an earlier step; a step's templates are rendered before it runs, so they see only the outputs of the steps before it",
			"%s is set by this same step, which cannot use it", used)
	case sameLater > 0:
		l.add(LevelError, "mixbox-122", t.line,
			fmt.Sprintf("move step %d before step %d, or take the value from an earlier step", sameLater, st.Index),
			"%s is set by step %d, after this step uses it", used, sameLater)
	case !declared && len(others) > 0:
		l.add(LevelError, "mixbox-122", t.line,
			fmt.Sprintf("declare %s under outputs: (applyTo: %s) so that it persists, or set it in an earlier step of %s", name, strings.Join(others, ", "), st.Action),
			"%s is set only in %s, and is not a bundle output, so it does not persist to %s", used, strings.Join(others, ", "), st.Action)
	case !declared:
		known := slices.Sorted(maps.Keys(plan))
		for _, d := range m.Outputs {
			known = append(known, d.Name)
		}
		l.add(LevelError, "mixbox-122", t.line,
			fmt.Sprintf("set it in an earlier step (outputs: - name: %s), or fix the name%s", name, didYouMean(name, known)),
			"%s is set by no step and is not a bundle output", used)
	case o.Default != nil:
		// Nothing sets it before this step; it renders its default.
	case len(others) > 0: // install
		l.add(LevelWarning, "mixbox-123", t.line,
			"give the output a default, or set it in an earlier step of install",
			"%s is set only in %s; install runs first, so here it renders null", used, strings.Join(others, ", "))
	default:
		l.add(LevelWarning, "mixbox-123", t.line,
			fmt.Sprintf("set it in an earlier step (outputs: - name: %s), or give the output a default", name),
			"%s is a bundle output that no step of any action sets, so it renders null", used)
	}
}
