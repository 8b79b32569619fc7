package review

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/mixbox/mixbox/host/internal/manifest"
)

// porterResult is one of Porter's linter results, as a mixin's lint
// prints them (Porter's pkg/linter Result; Level 0 error, 2 warning).
type porterResult struct {
	Level    int
	Location struct {
		Action     string
		StepNumber int
	}
	Code    string
	Title   string
	Message string
	URL     string
}

// mixinLints runs each mixin's own linter on its steps, as Porter's
// `porter lint` does, and places its results at their steps' lines.
func (l *linter) mixinLints(context.Context) error {
	for _, name := range slices.Sorted(maps.Keys(l.opts.Linters)) {
		// The steps of the mixin, by action, in order: Porter's StepNumber
		// counts only them.
		byAction := map[string][]manifest.Step{}
		for _, st := range l.steps {
			if st.Mixin == name {
				byAction[st.Action] = append(byAction[st.Action], st)
			}
		}
		if len(byAction) == 0 {
			continue
		}
		input, err := lintInput(byAction)
		if err != nil {
			return fmt.Errorf("lint mixin %s: %w", name, err)
		}
		out, err := l.opts.Linters[name](input)
		if err != nil {
			l.unreadable(name, byAction, err)
			continue
		}
		var results []porterResult
		if err := json.Unmarshal(out, &results); err != nil {
			return fmt.Errorf("lint mixin %s: read its results: %w", name, err)
		}
		for _, r := range results {
			line := 1
			prefix := ""
			if steps := byAction[r.Location.Action]; r.Location.StepNumber >= 1 && r.Location.StepNumber <= len(steps) {
				st := steps[r.Location.StepNumber-1]
				line, prefix = st.Line(), where(st)+": "
			}
			level := LevelWarning
			if r.Level == 0 {
				level = LevelError
			}
			hint := strings.Join(strings.Fields(r.Message), " ")
			if r.URL != "" {
				hint = strings.TrimPrefix(hint+"; see "+r.URL, "; ")
			}
			l.add(level, r.Code, line, hint, "%s%s", prefix, r.Title)
		}
	}
	return nil
}

// unreadable reports a mixin's lint that could not read the mixin's steps
// (they fail the same way when the mixin runs), unless a wrong type in one
// of them (mixbox-103) already says why.
func (l *linter) unreadable(name string, byAction map[string][]manifest.Step, err error) {
	first := manifest.Step{}
	for _, steps := range byAction {
		for _, st := range steps {
			if first.Node == nil || st.Line() < first.Line() {
				first = st
			}
		}
	}
	if slices.ContainsFunc(l.found, func(f Finding) bool { return f.Code == "mixbox-103" }) {
		return
	}
	msg := strings.TrimSpace(err.Error())
	if i := strings.LastIndex(msg, "\n"); i >= 0 {
		msg = strings.TrimSpace(msg[i+1:])
	}
	l.add(LevelError, "mixbox-104", first.Line(),
		fmt.Sprintf("fix the %s steps so that the mixin can read them; it fails the same way when it runs", name),
		"the %s mixin's own lint cannot read its steps: %s", name, msg)
}

// lintInput is Porter's lint input of a mixin: {actions: {ACTION: [steps]}}.
func lintInput(byAction map[string][]manifest.Step) ([]byte, error) {
	actions := &yaml.Node{Kind: yaml.MappingNode}
	for _, a := range slices.Sorted(maps.Keys(byAction)) {
		list := &yaml.Node{Kind: yaml.SequenceNode}
		for _, st := range byAction[a] {
			list.Content = append(list.Content, st.Node)
		}
		actions.Content = append(actions.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: a}, list)
	}
	doc := &yaml.Node{Kind: yaml.MappingNode, Content: []*yaml.Node{{Kind: yaml.ScalarNode, Value: "actions"}, actions}}
	out, err := yaml.Marshal(doc)
	if err != nil {
		return nil, fmt.Errorf("encode the steps: %w", err)
	}
	return out, nil
}
