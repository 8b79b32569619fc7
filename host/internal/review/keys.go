package review

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/mixbox/mixbox/host/internal/manifest"
	"github.com/mixbox/mixbox/host/internal/yamlnode"
)

// schema is the part of JSON Schema that a mixin's schema uses to say which
// keys a step may have: properties, additionalProperties, items, $ref.
type schema struct {
	Ref         string             `json:"$ref"`
	Properties  map[string]*schema `json:"properties"`
	Definitions map[string]*schema `json:"definitions"`
	// Additional is additionalProperties: false (no other key), a schema
	// (other keys, of that schema), or absent (any key).
	Additional json.RawMessage `json:"additionalProperties"`
	// Items is the schema of a list's items; a tuple form is not read.
	Items json.RawMessage `json:"items"`
	// Type is a JSON type or a list of them.
	Type any `json:"type"`
}

// types returns the JSON types s allows; nil allows any.
func (s *schema) types() []string {
	switch t := s.Type.(type) {
	case string:
		return []string{t}
	case []any:
		var out []string
		for _, x := range t {
			if str, ok := x.(string); ok {
				out = append(out, str)
			}
		}
		return out
	}
	return nil
}

// closed reports whether the schema allows no key but its properties.
func (s *schema) closed() bool { return bytes.Equal(bytes.TrimSpace(s.Additional), []byte("false")) }

// sub decodes a nested schema held as raw JSON; nil when it is not an
// object schema.
func sub(raw json.RawMessage) *schema {
	var s schema
	if len(raw) == 0 || json.Unmarshal(raw, &s) != nil {
		return nil
	}
	return &s
}

// mixinSchema is a mixin's parsed schema.
type mixinSchema struct {
	name string
	root *schema
}

// parseSchema parses a mixin's schema.
func parseSchema(name, text string) (*mixinSchema, error) {
	var root schema
	if err := json.Unmarshal([]byte(text), &root); err != nil {
		return nil, fmt.Errorf("read the schema of mixin %s: %w", name, err)
	}
	return &mixinSchema{name: name, root: &root}, nil
}

// deref follows "#/definitions/NAME" references.
func (ms *mixinSchema) deref(s *schema) *schema {
	for i := 0; s != nil && s.Ref != "" && i < 16; i++ {
		name, ok := strings.CutPrefix(s.Ref, "#/definitions/")
		if !ok {
			return nil
		}
		s = ms.root.Definitions[name]
	}
	return s
}

// stepBody returns the schema of the mixin's settings in a step of action,
// as Porter's mixin schemas lay it out: definitions.<action>Step (custom
// actions: invokeStep), its property named after the mixin. nil: the
// schema does not say.
func (ms *mixinSchema) stepBody(action string) *schema {
	def := "invokeStep"
	if manifest.IsCoreAction(action) {
		def = action + "Step"
	}
	st := ms.deref(ms.root.Definitions[def])
	if st == nil {
		return nil
	}
	return ms.deref(st.Properties[ms.name])
}

// keys reports step keys that the mixin's schema does not know: an error
// when one it knows is a likely typo of it (the key's setting is silently
// dropped: `argumnets:` runs the command without its arguments), else a
// warning. Mixins without a schema are not judged.
func (l *linter) keys(context.Context) error {
	schemas := map[string]*mixinSchema{}
	for _, name := range slices.Sorted(maps.Keys(l.opts.Schemas)) {
		ms, err := parseSchema(name, l.opts.Schemas[name])
		if err != nil {
			return err
		}
		schemas[name] = ms
	}
	for _, st := range l.steps {
		ms := schemas[st.Mixin]
		if ms == nil {
			continue
		}
		if s := ms.stepBody(st.Action); s != nil {
			l.walkKeys(st, ms, body(st), s, "")
		}
	}
	return nil
}

// walkKeys checks the keys of n, at path in the step, against s.
func (l *linter) walkKeys(st manifest.Step, ms *mixinSchema, n *yaml.Node, s *schema, path string) {
	s, n = ms.deref(s), yamlnode.Deref(n)
	if s == nil || n == nil {
		return
	}
	if want := s.types(); want != nil && !l.fits(n, want) {
		names := make([]string, 0, len(want))
		for _, w := range want {
			names = append(names, typeName(w))
		}
		in := st.Mixin
		if path != "" {
			in += " " + path
		}
		l.add(LevelError, "mixbox-103", n.Line,
			fmt.Sprintf("write it as %s; the %s mixin fails to read the step otherwise", strings.Join(names, " or "), st.Mixin),
			"%s: %s must be %s, got %s", where(st), in, strings.Join(names, " or "), yamlnode.KindName(n))
		return
	}
	switch n.Kind {
	case yaml.MappingNode:
		known := slices.Sorted(maps.Keys(s.Properties))
		for i := 0; i+1 < len(n.Content); i += 2 {
			kn, v := yamlnode.Deref(n.Content[i]), n.Content[i+1]
			if kn == nil || kn.Kind != yaml.ScalarNode || l.templated(kn.Value) {
				continue
			}
			key := kn.Value
			if ps, ok := s.Properties[key]; ok {
				l.walkKeys(st, ms, v, ps, yamlnode.Join(path, key))
				continue
			}
			if !s.closed() {
				l.walkKeys(st, ms, v, sub(s.Additional), yamlnode.Join(path, key))
				continue
			}
			l.unknownKey(st, kn, path, known)
		}
	case yaml.SequenceNode:
		items := sub(s.Items)
		for i, item := range n.Content {
			l.walkKeys(st, ms, item, items, yamlnode.Index(path, i))
		}
	}
}

func (l *linter) unknownKey(st manifest.Step, kn *yaml.Node, path string, known []string) {
	in := st.Mixin
	if path != "" {
		in += " " + path
	}
	if s := closest(kn.Value, known); s != "" {
		l.add(LevelError, "mixbox-101", kn.Line,
			fmt.Sprintf("rename it to %s: the %s mixin ignores a key it does not know, so the step runs without this setting", s, st.Mixin),
			"%s: %s has no key %q; did you mean %q?", where(st), in, kn.Value, s)
		return
	}
	l.add(LevelWarning, "mixbox-102", kn.Line,
		fmt.Sprintf("remove it, or use one of: %s (the %s mixin ignores it)", strings.Join(known, ", "), st.Mixin),
		"%s: %s has no key %q", where(st), in, kn.Value)
}

// fits reports whether yaml.v3 decodes n into a value of one of the JSON
// types want, as a mixin written in Go reads its step: null fits anything
// (the zero value), any scalar fits a string, a templated scalar may render
// as anything.
func (l *linter) fits(n *yaml.Node, want []string) bool {
	if yamlnode.IsNull(n) || n.Kind == yaml.ScalarNode && l.templated(n.Value) {
		return true
	}
	for _, w := range want {
		switch w {
		case "object":
			if n.Kind == yaml.MappingNode {
				return true
			}
		case "array":
			if n.Kind == yaml.SequenceNode {
				return true
			}
		case "string":
			if n.Kind == yaml.ScalarNode {
				return true
			}
		case "boolean":
			if n.Kind == yaml.ScalarNode && n.Tag == "!!bool" {
				return true
			}
		case "integer":
			if n.Kind == yaml.ScalarNode && n.Tag == "!!int" {
				return true
			}
		case "number":
			if n.Kind == yaml.ScalarNode && (n.Tag == "!!int" || n.Tag == "!!float") {
				return true
			}
		case "null":
		default:
			return true // a type this reader does not know: not judged
		}
	}
	return false
}

// typeName names a JSON type as the YAML an author writes.
func typeName(t string) string {
	switch t {
	case "object":
		return "a mapping"
	case "array":
		return "a list"
	case "string":
		return "a string"
	case "boolean":
		return "true or false"
	case "integer":
		return "an integer"
	case "number":
		return "a number"
	}
	return t
}

// templated reports whether s holds a template tag of the manifest.
func (l *linter) templated(s string) bool {
	if l.b.m.UsesDollarDelimiters() {
		return strings.Contains(s, "${")
	}
	return strings.Contains(s, "{{")
}
