package manifest

import (
	"path"
	"slices"
)

// MixinDecl is one entry of `mixins:`.
type MixinDecl struct {
	// Name is the mixin's name, e.g. "exec".
	Name string
	// Version is the constraint after '@' in `name@constraint`, or empty.
	Version string
	// Config is the mixin's configuration in the `- name: {config}` form.
	Config any
	// Line is the line of porter.yaml that declares it.
	Line int
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
	// Enum, Minimum, Maximum, ExclusiveMinimum and ExclusiveMaximum are the
	// JSON-schema constraints on the value; nil when not declared.
	Enum                               []any
	Minimum, Maximum                   *float64
	ExclusiveMinimum, ExclusiveMaximum *float64
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

// ResolvePath resolves a manifest path: relative paths are under /cnab/app.
func ResolvePath(p string) string {
	if p == "" || path.IsAbs(p) {
		return p
	}
	return path.Join("/cnab/app", p)
}
