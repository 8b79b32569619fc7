package manifest

import (
	"bytes"
	"fmt"

	"gopkg.in/yaml.v3"

	"github.com/mixbox/mixbox/host/internal/yamlnode"
	"github.com/mixbox/mixbox/internal/suggest"
)

// Step is one step of an action, before rendering.
type Step struct {
	// Action is the action the step belongs to.
	Action string
	// Index is the 1-based position of the step in its action.
	Index int
	// Mixin is the name of the mixin that runs the step (the step's key).
	Mixin string
	// Description is the unrendered `description:` of the step, if any.
	Description string
	// Node is the step's YAML node ({<mixin>: {...}}), as written by the
	// author, with aliases resolved. Treat it as read-only.
	Node *yaml.Node
	// Template is Node re-encoded with yaml.v3 (4-space indent), as Porter
	// extracts the step before rendering; quoting and comments are kept.
	Template string
}

// Line returns the line of porter.yaml where the step starts.
func (s Step) Line() int {
	if s.Node == nil {
		return 0
	}
	return s.Node.Line
}

func (p *parser) steps(action string, v *yaml.Node) ([]Step, error) {
	if yamlnode.IsNull(v) {
		return []Step{}, nil
	}
	if v.Kind != yaml.SequenceNode {
		return nil, p.errorf(v, "action %s must be a list of steps, e.g. `%s:\\n  - exec:\\n      command: echo`; "+
			"an unknown top-level field is read as a custom action", action, action)
	}
	steps := make([]Step, 0, len(v.Content))
	for i, n := range v.Content {
		st, err := p.step(action, i+1, n)
		if err != nil {
			return nil, err
		}
		steps = append(steps, st)
	}
	return steps, nil
}

func (p *parser) step(action string, index int, n *yaml.Node) (Step, error) {
	where := fmt.Sprintf("step %d of %s", index, action)
	if n.Kind != yaml.MappingNode {
		return Step{}, p.errorf(n, "%s must be a mapping with one mixin, e.g. `- exec: {...}`", where)
	}
	switch len(n.Content) {
	case 0:
		return Step{}, p.errorf(n, "%s: no mixin specified", where)
	case 2:
	default:
		return Step{}, p.errorf(n, "%s: more than one mixin specified; put each mixin in its own step", where)
	}
	key, body := n.Content[0], n.Content[1]
	if key.Kind != yaml.ScalarNode || key.Value == "" {
		return Step{}, p.errorf(key, "%s: the mixin name must be a plain name", where)
	}
	mixin := key.Value
	if _, ok := p.m.Mixin(mixin); !ok && !p.opts.UndeclaredMixins {
		fix := "add it to the mixins list"
		var declared []string
		for _, m := range p.m.Mixins {
			declared = append(declared, m.Name)
		}
		if s, ok := suggest.Closest(mixin, declared); ok {
			fix = fmt.Sprintf("did you mean %s? Else add %s to the mixins list", s, mixin)
		}
		return Step{}, fmt.Errorf("%w: %w: %w", ErrInvalidManifest, ErrUndeclaredMixin,
			p.at(key, "%s uses mixin %q, which is not declared; %s", where, mixin, fix))
	}
	if body.Kind != yaml.MappingNode {
		return Step{}, p.errorf(body, "%s: the %s step must be a mapping of its settings", where, mixin)
	}
	st := Step{Action: action, Index: index, Mixin: mixin, Node: n}
	if d := yamlnode.Get(body, "description"); d != nil {
		if d.Kind != yaml.ScalarNode || d.Tag != "!!str" {
			return Step{}, p.errorf(d, "%s: invalid description type for mixin step (%s); quote it", where, mixin)
		}
		st.Description = d.Value
	}
	tmpl, err := encodeNode(n)
	if err != nil {
		return Step{}, fmt.Errorf("%w: %w", ErrInvalidManifest, &yamlnode.Error{File: p.file, Line: n.Line, Msg: where + ": re-encode the step", Err: err})
	}
	st.Template = tmpl
	return st, nil
}

// encodeNode encodes n as Porter re-encodes a step: yaml.v3, 4-space indent.
func encodeNode(n *yaml.Node) (string, error) {
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	if err := enc.Encode(n); err != nil {
		return "", err
	}
	if err := enc.Close(); err != nil {
		return "", err
	}
	return buf.String(), nil
}
