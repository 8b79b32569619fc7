package manifest

import (
	"bytes"
	"fmt"
	"os"
	"path"
	"slices"
	"sort"
	"strings"

	"github.com/cbroglie/mustache"
	"gopkg.in/yaml.v3"
)

// Core actions of every bundle.
const (
	ActionInstall   = "install"
	ActionUpgrade   = "upgrade"
	ActionUninstall = "uninstall"
)

// TemplateDelimiterPrefix is the mustache set-delimiter tag Porter puts in
// front of a step template when the schema version is above 1.0.0-alpha.1,
// switching the delimiters from {{ }} to ${ }.
const TemplateDelimiterPrefix = "{{=${ }=}}\n"

// Manifest is a parsed porter.yaml.
type Manifest struct {
	// Path is the file the manifest was loaded from; empty after Parse.
	Path string

	SchemaType    string
	SchemaVersion string
	Name          string
	Version       string
	Description   string
	Registry      string
	Reference     string
	Dockerfile    string

	Mixins       []MixinDecl
	Parameters   []Parameter
	Credentials  []Credential
	Outputs      []Output
	State        []StateVar
	Dependencies []Dependency
	// Images maps an image alias to its definition (`images:`).
	Images map[string]Image
	// Custom is the `custom:` section; nested maps are map[string]any.
	Custom map[string]any
	// CustomActions holds the `customActions:` definitions (metadata only;
	// the steps of a custom action are returned by Steps).
	CustomActions map[string]CustomAction

	// TemplateVariables are the mustache variables used at the top level of
	// the manifest, sorted and unique, e.g. "bundle.outputs.msg".
	TemplateVariables []string

	// actions maps every action (core and custom) to its steps.
	actions map[string][]Step
}

// MixinDecl is one entry of `mixins:`.
type MixinDecl struct {
	// Name is the mixin's name, e.g. "exec".
	Name string
	// Version is the constraint after '@' in `name@constraint`, or empty.
	Version string
	// Config is the mixin's configuration in the `- name: {config}` form.
	Config any
}

// Parameter is one entry of `parameters:`.
type Parameter struct {
	Name        string
	Description string
	// Type is the declared type ("string", "integer", "object", "file", ...),
	// empty when not declared or not a single string.
	Type string
	// Env is the environment variable carrying the value (`env:`).
	Env string
	// Path is the file carrying the value (`path:`).
	Path       string
	ApplyTo    []string
	Sensitive  bool
	Persistent bool
	// Default is the declared default; HasDefault tells a null default from none.
	Default    any
	HasDefault bool
	Source     ParameterSource
}

// ParameterSource says where Porter takes a parameter's value from.
type ParameterSource struct {
	Dependency string
	Output     string
}

// Credential is one entry of `credentials:`.
type Credential struct {
	Name        string
	Description string
	Env         string
	Path        string
	// Required defaults to true, as in Porter.
	Required bool
	ApplyTo  []string
}

// Output is one entry of `outputs:` (a bundle output).
type Output struct {
	Name        string
	Description string
	Type        string
	// Path is the file a file-backed output is copied from at the end.
	Path      string
	ApplyTo   []string
	Sensitive bool
	Default   any
}

// StateVar is one entry of `state:`.
type StateVar struct {
	Name        string
	Description string
	Mixin       string
	Path        string
}

// Dependency is one entry of `dependencies.requires:`.
type Dependency struct {
	// Name is the alias used in templates: bundle.dependencies.<Name>.
	Name string
	// Reference is `bundle.reference`; Version is `bundle.version`.
	Reference  string
	Version    string
	Parameters map[string]string
	// Outputs is the dependencies-v2 output mapping (`outputs:`).
	Outputs map[string]string
}

// Image is one entry of `images:`.
type Image struct {
	Description string            `yaml:"description"`
	ImageType   string            `yaml:"imageType"`
	Repository  string            `yaml:"repository"`
	Digest      string            `yaml:"digest"`
	Size        uint64            `yaml:"size"`
	MediaType   string            `yaml:"mediaType"`
	Labels      map[string]string `yaml:"labels"`
	Tag         string            `yaml:"tag"`
}

// CustomAction is one entry of `customActions:`.
type CustomAction struct {
	Description string `yaml:"description"`
	Modifies    bool   `yaml:"modifies"`
	Stateless   bool   `yaml:"stateless"`
}

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

// Load reads and parses the manifest at path.
func Load(path string) (*Manifest, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read manifest: %w", err)
	}
	m, err := parse(data, path)
	if err != nil {
		return nil, err
	}
	m.Path = path
	return m, nil
}

// Parse parses porter.yaml content.
func Parse(data []byte) (*Manifest, error) {
	return parse(data, "porter.yaml")
}

func parse(data []byte, name string) (m *Manifest, err error) {
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
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("%w: %s: line %d: the top level must be a mapping of fields (name:, mixins:, install:, ...)",
			ErrInvalidManifest, name, root.Line)
	}
	m = &Manifest{actions: map[string][]Step{}}
	p := parser{file: name, m: m}
	seen := map[string]bool{}
	var stepNodes []keyNode
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		key := k.Value
		if k.Kind != yaml.ScalarNode {
			return nil, p.errorf(k, "a top-level key must be a plain name")
		}
		if seen[key] {
			return nil, p.errorf(k, "field %q is defined twice", key)
		}
		seen[key] = true
		if key == ActionInstall || key == ActionUpgrade || key == ActionUninstall || !isKnownKey(key) {
			budget := maxExpandedNodes
			v = resolveAliases(v, 0, &budget)
			if budget < 0 {
				return nil, p.errorf(k, "action %s expands too many YAML aliases", key)
			}
			stepNodes = append(stepNodes, keyNode{key: key, node: v})
			continue
		}
		if err := p.field(key, v); err != nil {
			return nil, err
		}
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
}

func (p *parser) errorf(n *yaml.Node, format string, args ...any) error {
	return fmt.Errorf("%w: %s: line %d: %s", ErrInvalidManifest, p.file, n.Line, fmt.Sprintf(format, args...))
}

func (p *parser) decode(key string, n *yaml.Node, out any) error {
	if err := n.Decode(out); err != nil {
		return fmt.Errorf("%w: %s: field %s (line %d): %w", ErrInvalidManifest, p.file, key, n.Line, err)
	}
	return nil
}

func (p *parser) str(key string, n *yaml.Node, out *string) error {
	if isNull(n) {
		return nil
	}
	if n.Kind != yaml.ScalarNode {
		return p.errorf(n, "field %s must be a string", key)
	}
	*out = n.Value
	return nil
}

func isNull(n *yaml.Node) bool {
	return n == nil || (n.Kind == yaml.ScalarNode && n.Tag == "!!null")
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
		cm, ok := normalize(c).(map[string]any)
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

func (p *parser) mixins(v *yaml.Node) error {
	if isNull(v) {
		return nil
	}
	if v.Kind != yaml.SequenceNode {
		return p.errorf(v, "mixins must be a list, e.g. `mixins: [exec]`")
	}
	for _, item := range v.Content {
		var d MixinDecl
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
			d.Config = normalize(cfg)
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
	}
	return nil
}

func (p *parser) parameters(v *yaml.Node) error {
	if isNull(v) {
		return nil
	}
	if v.Kind != yaml.SequenceNode {
		return p.errorf(v, "parameters must be a list")
	}
	for _, item := range v.Content {
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
		}
		if dn := mapValue(item, "default"); dn != nil {
			var d any
			if err := p.decode("parameters", dn, &d); err != nil {
				return err
			}
			prm.Default, prm.HasDefault = normalize(d), true
		}
		if prm.Type == "file" && prm.Path == "" {
			return p.errorf(item, "parameter %s is of type file and needs a path", prm.Name)
		}
		p.m.Parameters = append(p.m.Parameters, prm)
	}
	return nil
}

func (p *parser) credentials(v *yaml.Node) error {
	if isNull(v) {
		return nil
	}
	if v.Kind != yaml.SequenceNode {
		return p.errorf(v, "credentials must be a list")
	}
	for _, item := range v.Content {
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
			return fmt.Errorf("%w: %w: %s: line %d: credential %s is malformed: give it an env or a path",
				ErrInvalidManifest, ErrMalformedCredential, p.file, item.Line, raw.Name)
		}
		p.m.Credentials = append(p.m.Credentials, Credential(raw))
	}
	return nil
}

func (p *parser) outputs(v *yaml.Node) error {
	if isNull(v) {
		return nil
	}
	if v.Kind != yaml.SequenceNode {
		return p.errorf(v, "outputs must be a list")
	}
	for _, item := range v.Content {
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
			Path: raw.Path, ApplyTo: raw.ApplyTo, Sensitive: raw.Sensitive, Default: normalize(raw.Default),
		})
	}
	return nil
}

func (p *parser) dependencies(v *yaml.Node) error {
	if isNull(v) {
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

// mapValue returns the value node of key in mapping n, or nil.
func mapValue(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

func typeString(t any) string {
	if s, ok := t.(string); ok {
		return s
	}
	return ""
}

// normalize turns YAML-decoded values into map[string]any, []any and
// scalars, so that templates can address every map by string keys.
func normalize(v any) any {
	switch t := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, x := range t {
			out[k] = normalize(x)
		}
		return out
	case map[any]any:
		out := make(map[string]any, len(t))
		for k, x := range t {
			out[fmt.Sprint(k)] = normalize(x)
		}
		return out
	case []any:
		out := make([]any, len(t))
		for i, x := range t {
			out[i] = normalize(x)
		}
		return out
	}
	return v
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

// Actions returns the names of every action with steps, sorted.
func (m *Manifest) Actions() []string {
	out := make([]string, 0, len(m.actions))
	for a := range m.actions {
		out = append(out, a)
	}
	sort.Strings(out)
	return out
}

// CustomActionNames returns the custom actions (every action but install,
// upgrade and uninstall), sorted.
func (m *Manifest) CustomActionNames() []string {
	var out []string
	for _, a := range m.Actions() {
		if !IsCoreAction(a) {
			out = append(out, a)
		}
	}
	return out
}

// IsCoreAction reports whether action is install, upgrade or uninstall.
func IsCoreAction(action string) bool {
	return action == ActionInstall || action == ActionUpgrade || action == ActionUninstall
}

// Steps returns the steps of action. An action missing from the manifest is
// an error wrapping ErrUnknownAction that lists the custom actions defined.
func (m *Manifest) Steps(action string) ([]Step, error) {
	steps, ok := m.actions[action]
	if !ok {
		if action == "upgrade" {
			return []Step{}, nil // optional in Porter: an upgrade with no steps
		}
		if IsCoreAction(action) {
			return nil, fmt.Errorf("%w: action %q is not defined in the manifest; add an %s: section", ErrUnknownAction, action, action)
		}
		custom := m.CustomActionNames()
		list := strings.Join(custom, ", ")
		if list == "" {
			list = "(none)"
		}
		return nil, fmt.Errorf("%w: unsupported action %q, custom actions are defined for: %s", ErrUnknownAction, action, list)
	}
	return slices.Clone(steps), nil
}

// Parameter returns the parameter called name.
func (m *Manifest) Parameter(name string) (Parameter, bool) {
	for _, p := range m.Parameters {
		if p.Name == name {
			return p, true
		}
	}
	return Parameter{}, false
}

// Output returns the bundle output called name.
func (m *Manifest) Output(name string) (Output, bool) {
	for _, o := range m.Outputs {
		if o.Name == name {
			return o, true
		}
	}
	return Output{}, false
}

// Mixin returns the declaration of the mixin called name.
func (m *Manifest) Mixin(name string) (MixinDecl, bool) {
	for _, d := range m.Mixins {
		if d.Name == name {
			return d, true
		}
	}
	return MixinDecl{}, false
}

// AppliesTo reports whether the parameter applies to action.
func (p Parameter) AppliesTo(action string) bool { return AppliesTo(p.ApplyTo, action) }

// AppliesTo reports whether the credential applies to action.
func (c Credential) AppliesTo(action string) bool { return AppliesTo(c.ApplyTo, action) }

// AppliesTo reports whether the output applies to action.
func (o Output) AppliesTo(action string) bool { return AppliesTo(o.ApplyTo, action) }

// AppliesTo reports whether an applyTo list allows action: an empty list
// allows every action.
func AppliesTo(applyTo []string, action string) bool {
	return len(applyTo) == 0 || slices.Contains(applyTo, action)
}

// EnvVar returns the environment variable that carries the parameter's
// value: its `env:`, else ParamToEnvVar(name).
func (p Parameter) EnvVar() string {
	if p.Env != "" {
		return p.Env
	}
	return ParamToEnvVar(p.Name)
}

// ParamToEnvVar converts a parameter name to Porter's default environment
// variable: upper case, with '-' and '.' replaced by '_'.
func ParamToEnvVar(name string) string {
	return strings.NewReplacer("-", "_", ".", "_").Replace(strings.ToUpper(name))
}

// OutputEnvVar is the variable through which Porter injects the value of a
// templated bundle output from a previous run: PORTER_<NAME>_OUTPUT.
func OutputEnvVar(output string) string {
	return ParamToEnvVar("porter-" + output + "-output")
}

// DependencyOutputEnvVar is the variable through which Porter injects a
// dependency's output: PORTER_<ALIAS>_<OUTPUT>_DEP_OUTPUT.
func DependencyOutputEnvVar(alias, output string) string {
	return ParamToEnvVar("porter-" + alias + "-" + output + "-dep-output")
}

// ResolvePath resolves a manifest path: relative paths are under /cnab/app.
func ResolvePath(p string) string {
	if p == "" || path.IsAbs(p) {
		return p
	}
	return path.Join("/cnab/app", p)
}

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
