package manifest

import (
	"errors"
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/mixbox/mixbox/host/internal/yamlnode"
)

// isKnownKey reports whether key is a top-level manifest field; any other
// key is a custom action.
func isKnownKey(key string) bool {
	switch key {
	case "schemaType", "schemaVersion", "name", "description", "version", "maintainers",
		"registry", "reference", "dockerfile", "mixins", "install", "uninstall", "upgrade",
		"custom", "customActions", "state", "parameters", "credentials", "dependencies",
		"outputs", "images", "required", "files",
		// deprecated fields Porter ignores with a warning
		"invocationImage", "tag":
		return true
	}
	return false
}

// Options change what LoadWith accepts.
type Options struct {
	// UndeclaredMixins keeps a step whose mixin is missing from `mixins:`
	// instead of failing the parse, for a linter to report.
	UndeclaredMixins bool
}

// Load reads and parses the manifest at path.
func Load(path string) (*Manifest, error) { return LoadWith(path, Options{}) }

// LoadWith reads and parses the manifest at path with opts.
func LoadWith(path string, opts Options) (*Manifest, error) {
	data, err := readFile(path)
	if err != nil {
		return nil, fmt.Errorf("read manifest: %w", err)
	}
	m, err := parse(data, path, opts)
	if err != nil {
		return nil, err
	}
	m.Path = path
	return m, nil
}

// Parse parses porter.yaml content.
func Parse(data []byte) (*Manifest, error) {
	return parse(data, "porter.yaml", Options{})
}

func parse(data []byte, name string, opts Options) (m *Manifest, err error) {
	defer func() {
		if r := recover(); r != nil {
			m, err = nil, fmt.Errorf("%w: %s: unexpected content (%v)", ErrInvalidManifest, name, r)
		}
	}()
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("%w: %s: %w; fix the YAML syntax there (indentation, or quote values containing ': ', '#', '{' or '*')",
			ErrInvalidManifest, name, err)
	}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		return nil, fmt.Errorf("%w: %s is empty", ErrInvalidManifest, name)
	}
	m = &Manifest{actions: map[string][]Step{}}
	p := parser{file: name, m: m, opts: opts}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return nil, p.errorf(root, "the top level must be a mapping of fields (name:, mixins:, install:, ...)")
	}
	var stepNodes []keyNode
	if err := yamlnode.Mapping(root, "", func(key string, k, v *yaml.Node) error {
		if key == ActionInstall || key == ActionUpgrade || key == ActionUninstall || !isKnownKey(key) {
			budget := maxExpandedNodes
			v = resolveAliases(v, 0, &budget)
			if budget < 0 {
				return p.errorf(k, "action %s expands too many YAML aliases", key)
			}
			stepNodes = append(stepNodes, keyNode{key: key, node: v})
			return nil
		}
		return p.field(key, v)
	}); err != nil {
		return nil, p.wrap(err)
	}
	// Steps last: they need the mixin declarations.
	for _, kn := range stepNodes {
		steps, err := p.steps(kn.key, kn.node)
		if err != nil {
			return nil, err
		}
		m.actions[kn.key] = steps
	}
	vars, err := scanTemplateVariables(m.TemplatePrefix() + string(data))
	if err != nil {
		return nil, fmt.Errorf("%w: %s: parse the templates: %w; check that every %s has a matching %s",
			ErrInvalidManifest, name, err, m.openDelim(), m.closeDelim())
	}
	m.TemplateVariables = vars
	// Porter saves the version as proper semver ("v1.0" => "1.0.0").
	if v, ok := parseSemver(m.Version); ok {
		m.Version = v.String()
	}
	return m, nil
}

type keyNode struct {
	key  string
	node *yaml.Node
}

type parser struct {
	file string
	m    *Manifest
	opts Options
}

// at returns the problem at n in the file.
func (p *parser) at(n *yaml.Node, format string, args ...any) *yamlnode.Error {
	e := yamlnode.Errorf(n, "", format, args...)
	e.File = p.file
	return e
}

// errorf returns the ErrInvalidManifest of the problem at n:
// "invalid manifest: porter.yaml: line 3: ...".
func (p *parser) errorf(n *yaml.Node, format string, args ...any) error {
	return fmt.Errorf("%w: %w", ErrInvalidManifest, p.at(n, format, args...))
}

// wrap returns an error of the node walk as an ErrInvalidManifest in the
// file; one that already is passes as it is.
func (p *parser) wrap(err error) error {
	var ye *yamlnode.Error
	if errors.Is(err, ErrInvalidManifest) || !errors.As(err, &ye) {
		return err
	}
	ye.File = p.file
	return fmt.Errorf("%w: %w", ErrInvalidManifest, ye)
}

func (p *parser) decode(key string, n *yaml.Node, out any) error {
	if err := n.Decode(out); err != nil {
		return fmt.Errorf("%w: %s: field %s (line %d): %w", ErrInvalidManifest, p.file, key, n.Line, err)
	}
	return nil
}

// str reads the string field key into out; null leaves out as it is.
func (p *parser) str(key string, n *yaml.Node, out *string) error {
	if yamlnode.IsNull(n) {
		return nil
	}
	s, err := yamlnode.Str(n, key)
	if err != nil {
		return p.wrap(err)
	}
	*out = s
	return nil
}

func (p *parser) field(key string, v *yaml.Node) error {
	m := p.m
	switch key {
	case "schemaType":
		return p.str(key, v, &m.SchemaType)
	case "schemaVersion":
		return p.str(key, v, &m.SchemaVersion)
	case "name":
		return p.str(key, v, &m.Name)
	case "version":
		return p.str(key, v, &m.Version)
	case "description":
		return p.str(key, v, &m.Description)
	case "registry":
		return p.str(key, v, &m.Registry)
	case "reference":
		return p.str(key, v, &m.Reference)
	case "dockerfile":
		return p.str(key, v, &m.Dockerfile)
	case "mixins":
		return p.mixins(v)
	case "parameters":
		return p.parameters(v)
	case "credentials":
		return p.credentials(v)
	case "outputs":
		return p.outputs(v)
	case "state":
		var raw []StateVar
		var tmp []struct {
			Name        string `yaml:"name"`
			Description string `yaml:"description"`
			Mixin       string `yaml:"mixin"`
			Path        string `yaml:"path"`
		}
		if err := p.decode(key, v, &tmp); err != nil {
			return err
		}
		for _, s := range tmp {
			raw = append(raw, StateVar(s))
		}
		m.State = raw
	case "dependencies":
		return p.dependencies(v)
	case "images":
		if err := p.decode(key, v, &m.Images); err != nil {
			return err
		}
	case "custom":
		var c any
		if err := p.decode(key, v, &c); err != nil {
			return err
		}
		if c == nil {
			return nil
		}
		cm, ok := Normalize(c).(map[string]any)
		if !ok {
			return p.errorf(v, "custom must be a mapping")
		}
		m.Custom = cm
	case "customActions":
		if err := p.decode(key, v, &m.CustomActions); err != nil {
			return err
		}
	}
	return nil
}

// items calls f with each item of the list v, in order; null is no items,
// and any other kind the error msg at v.
func (p *parser) items(v *yaml.Node, msg string, f func(item *yaml.Node) error) error {
	if yamlnode.IsNull(v) {
		return nil
	}
	if v.Kind != yaml.SequenceNode {
		return p.errorf(v, "%s", msg)
	}
	for _, item := range v.Content {
		if err := f(item); err != nil {
			return err
		}
	}
	return nil
}

func (p *parser) mixins(v *yaml.Node) error {
	return p.items(v, "mixins must be a list, e.g. `mixins: [exec]`", func(item *yaml.Node) error {
		d := MixinDecl{Line: item.Line}
		switch item.Kind {
		case yaml.ScalarNode:
			d.Name = item.Value
		case yaml.MappingNode:
			if len(item.Content) != 2 {
				return p.errorf(item, "a mixin declaration must name exactly one mixin")
			}
			d.Name = item.Content[0].Value
			var cfg any
			if err := p.decode("mixins", item.Content[1], &cfg); err != nil {
				return err
			}
			d.Config = Normalize(cfg)
		default:
			return p.errorf(item, "a mixin declaration must be a name or `name: {config}`")
		}
		if name, ver, ok := strings.Cut(d.Name, "@"); ok {
			d.Name, d.Version = name, ver
		}
		if d.Name == "" {
			return p.errorf(item, "a mixin declaration has an empty name")
		}
		p.m.Mixins = append(p.m.Mixins, d)
		return nil
	})
}

func (p *parser) parameters(v *yaml.Node) error {
	return p.items(v, "parameters must be a list", func(item *yaml.Node) error {
		var raw struct {
			Name        string   `yaml:"name"`
			Description string   `yaml:"description"`
			Type        any      `yaml:"type"`
			Env         string   `yaml:"env"`
			Path        string   `yaml:"path"`
			ApplyTo     []string `yaml:"applyTo"`
			Sensitive   bool     `yaml:"sensitive"`
			Persistent  bool     `yaml:"persistent"`
			Source      struct {
				Dependency string `yaml:"dependency"`
				Output     string `yaml:"output"`
			} `yaml:"source"`
			Enum             []any    `yaml:"enum"`
			Minimum          *float64 `yaml:"minimum"`
			Maximum          *float64 `yaml:"maximum"`
			ExclusiveMinimum *float64 `yaml:"exclusiveMinimum"`
			ExclusiveMaximum *float64 `yaml:"exclusiveMaximum"`
		}
		if err := p.decode("parameters", item, &raw); err != nil {
			return err
		}
		if raw.Name == "" {
			return p.errorf(item, "a parameter needs a name")
		}
		prm := Parameter{
			Name: raw.Name, Description: raw.Description, Type: typeString(raw.Type),
			Env: raw.Env, Path: raw.Path, ApplyTo: raw.ApplyTo, Sensitive: raw.Sensitive,
			Persistent: raw.Persistent,
			Source:     ParameterSource{Dependency: raw.Source.Dependency, Output: raw.Source.Output},
			Minimum:    raw.Minimum, Maximum: raw.Maximum,
			ExclusiveMinimum: raw.ExclusiveMinimum, ExclusiveMaximum: raw.ExclusiveMaximum,
		}
		for _, e := range raw.Enum {
			prm.Enum = append(prm.Enum, Normalize(e))
		}
		if dn := yamlnode.Get(item, "default"); dn != nil {
			var d any
			if err := p.decode("parameters", dn, &d); err != nil {
				return err
			}
			prm.Default, prm.HasDefault = Normalize(d), true
		}
		if prm.Type == "file" && prm.Path == "" {
			return p.errorf(item, "parameter %s is of type file and needs a path", prm.Name)
		}
		p.m.Parameters = append(p.m.Parameters, prm)
		return nil
	})
}

func (p *parser) credentials(v *yaml.Node) error {
	return p.items(v, "credentials must be a list", func(item *yaml.Node) error {
		raw := struct {
			Name        string   `yaml:"name"`
			Description string   `yaml:"description"`
			Env         string   `yaml:"env"`
			Path        string   `yaml:"path"`
			Required    bool     `yaml:"required"`
			ApplyTo     []string `yaml:"applyTo"`
		}{Required: true}
		if err := p.decode("credentials", item, &raw); err != nil {
			return err
		}
		if raw.Name == "" {
			return p.errorf(item, "a credential needs a name")
		}
		if raw.Env == "" && raw.Path == "" {
			return fmt.Errorf("%w: %w: %w", ErrInvalidManifest, ErrMalformedCredential,
				p.at(item, "credential %s is malformed: give it an env or a path", raw.Name))
		}
		p.m.Credentials = append(p.m.Credentials, Credential(raw))
		return nil
	})
}

func (p *parser) outputs(v *yaml.Node) error {
	return p.items(v, "outputs must be a list", func(item *yaml.Node) error {
		var raw struct {
			Name        string   `yaml:"name"`
			Description string   `yaml:"description"`
			Type        any      `yaml:"type"`
			Path        string   `yaml:"path"`
			ApplyTo     []string `yaml:"applyTo"`
			Sensitive   bool     `yaml:"sensitive"`
			Default     any      `yaml:"default"`
		}
		if err := p.decode("outputs", item, &raw); err != nil {
			return err
		}
		if raw.Name == "" {
			return p.errorf(item, "an output needs a name")
		}
		p.m.Outputs = append(p.m.Outputs, Output{
			Name: raw.Name, Description: raw.Description, Type: typeString(raw.Type),
			Path: raw.Path, ApplyTo: raw.ApplyTo, Sensitive: raw.Sensitive, Default: Normalize(raw.Default),
		})
		return nil
	})
}

func (p *parser) dependencies(v *yaml.Node) error {
	if yamlnode.IsNull(v) {
		return nil
	}
	var raw struct {
		Requires []struct {
			Name   string `yaml:"name"`
			Bundle struct {
				Reference string `yaml:"reference"`
				Version   string `yaml:"version"`
			} `yaml:"bundle"`
			Parameters map[string]string `yaml:"parameters"`
			Outputs    map[string]string `yaml:"outputs"`
		} `yaml:"requires"`
	}
	if err := p.decode("dependencies", v, &raw); err != nil {
		return err
	}
	for _, d := range raw.Requires {
		if d.Name == "" {
			return p.errorf(v, "a dependency needs a name")
		}
		p.m.Dependencies = append(p.m.Dependencies, Dependency{
			Name: d.Name, Reference: d.Bundle.Reference, Version: d.Bundle.Version,
			Parameters: d.Parameters, Outputs: d.Outputs,
		})
	}
	return nil
}

func typeString(t any) string {
	if s, ok := t.(string); ok {
		return s
	}
	return ""
}

// maxExpandedNodes bounds alias expansion in the steps of one action.
const maxExpandedNodes = 100_000

// resolveAliases returns n with every alias replaced by a copy of its
// anchored node, so a step re-encoded on its own still parses. It stops
// copying once budget drops below zero.
func resolveAliases(n *yaml.Node, depth int, budget *int) *yaml.Node {
	*budget--
	if n == nil || depth > 64 || *budget < 0 {
		return n
	}
	if n.Kind == yaml.AliasNode && n.Alias != nil {
		c := *resolveAliases(n.Alias, depth+1, budget)
		c.Anchor = ""
		return &c
	}
	if len(n.Content) == 0 {
		return n
	}
	c := *n
	c.Content = make([]*yaml.Node, len(n.Content))
	for i, ch := range n.Content {
		c.Content[i] = resolveAliases(ch, depth+1, budget)
	}
	return &c
}
