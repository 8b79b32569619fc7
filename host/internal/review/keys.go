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
	if s := suggest(kn.Value, known); s != "" {
		l.add(LevelError, "mixbox-101", kn.Line,
			fmt.Sprintf("rename it to %s: the %s mixin ignores a key it does not know, so the step runs without this setting", s, st.Mixin),
			"%s: %s has no key %q; did you mean %q?", where(st), in, kn.Value, s)
		return
	}
	l.add(LevelWarning, "mixbox-102", kn.Line,
		fmt.Sprintf("remove it, or use one of: %s (the %s mixin ignores it)", strings.Join(known, ", "), st.Mixin),
		"%s: %s has no key %q", where(st), in, kn.Value)
}

// templated reports whether s holds a template tag of the manifest.
func (l *linter) templated(s string) bool {
	if l.b.m.UsesDollarDelimiters() {
		return strings.Contains(s, "${")
	}
	return strings.Contains(s, "{{")
}
