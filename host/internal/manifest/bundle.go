package manifest

import (
	"context"
	"encoding/json"
	"fmt"
	"path"
	"slices"
	"sort"
)

// Bundle is the subset of a CNAB bundle definition (bundle.json) that the
// runtime uses.
type Bundle struct {
	Name             string                      `json:"name"`
	Version          string                      `json:"version"`
	Description      string                      `json:"description"`
	InvocationImages []InvocationImage           `json:"invocationImages"`
	Images           map[string]BundleImage      `json:"images"`
	Parameters       map[string]BundleParameter  `json:"parameters"`
	Credentials      map[string]BundleCredential `json:"credentials"`
	Outputs          map[string]BundleOutput     `json:"outputs"`
	Definitions      map[string]Definition       `json:"definitions"`
	Custom           map[string]json.RawMessage  `json:"custom"`
	// ParameterSources is custom["io.cnab.parameter-sources"], by parameter,
	// in priority order.
	ParameterSources map[string][]ParameterSourceRef `json:"-"`
}

// InvocationImage is an entry of invocationImages.
type InvocationImage struct {
	Image     string `json:"image"`
	ImageType string `json:"imageType"`
	Digest    string `json:"contentDigest"`
}

// BundleImage is an entry of images.
type BundleImage struct {
	Image       string            `json:"image"`
	ImageType   string            `json:"imageType"`
	Digest      string            `json:"contentDigest"`
	Description string            `json:"description"`
	Size        uint64            `json:"size"`
	MediaType   string            `json:"mediaType"`
	Labels      map[string]string `json:"labels"`
}

// Destination is where a parameter or credential is delivered.
type Destination struct {
	Env  string `json:"env"`
	Path string `json:"path"`
}

// BundleParameter is an entry of parameters.
type BundleParameter struct {
	Definition  string      `json:"definition"`
	Description string      `json:"description"`
	Destination Destination `json:"destination"`
	ApplyTo     []string    `json:"applyTo"`
	Required    bool        `json:"required"`
}

// BundleCredential is an entry of credentials.
type BundleCredential struct {
	Description string   `json:"description"`
	Env         string   `json:"env"`
	Path        string   `json:"path"`
	ApplyTo     []string `json:"applyTo"`
	Required    bool     `json:"required"`
}

// BundleOutput is an entry of outputs.
type BundleOutput struct {
	Definition  string   `json:"definition"`
	Description string   `json:"description"`
	Path        string   `json:"path"`
	ApplyTo     []string `json:"applyTo"`
}

// Definition is the part of a JSON schema definition the runtime reads.
type Definition struct {
	// Type is a string or a list of strings.
	Type            any    `json:"type"`
	ContentEncoding string `json:"contentEncoding"`
	WriteOnly       bool   `json:"writeOnly"`
	Default         any    `json:"default"`
	Comment         string `json:"$comment"`
}

// HasType reports whether the definition's type is (or includes) t.
func (d Definition) HasType(t string) bool {
	switch v := d.Type.(type) {
	case string:
		return v == t
	case []any:
		for _, x := range v {
			if s, ok := x.(string); ok && s == t {
				return true
			}
		}
	}
	return false
}

// IsFileType reports whether the definition is Porter's "file type": a
// base64-encoded string (a `type: file` parameter, or porter-state).
func (d Definition) IsFileType() bool {
	return d.HasType("string") && d.ContentEncoding == "base64"
}

// Parameter source kinds in io.cnab.parameter-sources.
const (
	SourceOutput           = "output"
	SourceDependencyOutput = "dependencies.output"
)

// ParameterSourceRef is one source of a parameter: a bundle output from a
// previous run (Kind SourceOutput) or a dependency's output.
type ParameterSourceRef struct {
	Kind       string
	Output     string
	Dependency string
}

// AppliesTo reports whether the parameter applies to action.
func (p BundleParameter) AppliesTo(action string) bool { return AppliesTo(p.ApplyTo, action) }

// AppliesTo reports whether the output applies to action.
func (o BundleOutput) AppliesTo(action string) bool { return AppliesTo(o.ApplyTo, action) }

// AppliesTo reports whether the credential applies to action.
func (c BundleCredential) AppliesTo(action string) bool { return AppliesTo(c.ApplyTo, action) }

// LoadBundle reads and parses a bundle.json file.
func LoadBundle(path string) (*Bundle, error) {
	data, err := readFile(path)
	if err != nil {
		return nil, fmt.Errorf("read bundle definition: %w", err)
	}
	b, err := ParseBundle(data)
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", path, err)
	}
	return b, nil
}

// ParseBundle parses bundle.json content.
func ParseBundle(data []byte) (*Bundle, error) {
	var b Bundle
	if err := json.Unmarshal(data, &b); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidBundle, err)
	}
	if raw, ok := b.Custom["io.cnab.parameter-sources"]; ok {
		var ps map[string]struct {
			Priority []string `json:"priority"`
			Sources  map[string]struct {
				Name       string `json:"name"`
				Dependency string `json:"dependency"`
			} `json:"sources"`
		}
		if err := json.Unmarshal(raw, &ps); err != nil {
			return nil, fmt.Errorf("%w: custom io.cnab.parameter-sources: %w", ErrInvalidBundle, err)
		}
		b.ParameterSources = make(map[string][]ParameterSourceRef, len(ps))
		for param, s := range ps {
			kinds := slices.Clone(s.Priority)
			for k := range s.Sources {
				if !slices.Contains(kinds, k) {
					kinds = append(kinds, k)
				}
			}
			var refs []ParameterSourceRef
			for _, k := range kinds {
				src, ok := s.Sources[k]
				if !ok {
					continue
				}
				refs = append(refs, ParameterSourceRef{Kind: k, Output: src.Name, Dependency: src.Dependency})
			}
			b.ParameterSources[param] = refs
		}
	}
	return &b, nil
}

// ParameterDefinition returns the definition of the parameter called name.
func (b *Bundle) ParameterDefinition(name string) (Definition, bool) {
	p, ok := b.Parameters[name]
	if !ok {
		return Definition{}, false
	}
	d, ok := b.Definitions[p.Definition]
	return d, ok
}

// IsFileParameter reports whether the parameter is a file-type parameter
// (decoded from base64 at its destination path before the steps run).
func (b *Bundle) IsFileParameter(name string) bool {
	d, ok := b.ParameterDefinition(name)
	return ok && d.IsFileType()
}

// IsOutputSensitive reports whether the output's definition is writeOnly.
func (b *Bundle) IsOutputSensitive(name string) bool {
	o, ok := b.Outputs[name]
	if !ok {
		return false
	}
	return b.Definitions[o.Definition].WriteOnly
}

// ParametersSourcedFrom returns the parameters whose source is the given
// output (dependency "" for a bundle output of a previous run), sorted.
func (b *Bundle) ParametersSourcedFrom(dependency, output string) []string {
	var out []string
	for param, refs := range b.ParameterSources {
		for _, r := range refs {
			if r.Output != output {
				continue
			}
			if (dependency == "" && r.Kind == SourceOutput) ||
				(dependency != "" && r.Kind == SourceDependencyOutput && r.Dependency == dependency) {
				out = append(out, param)
				break
			}
		}
	}
	sort.Strings(out)
	return out
}

// DependencyDefinitionPath is where Porter places the bundle.json of the
// dependency with the given alias.
func DependencyDefinitionPath(alias string) string {
	return path.Join("/cnab/app/dependencies", alias, "bundle.json")
}

// LoadDependencies reads the bundle.json of every dependency of m, keyed by
// alias. resolve maps an absolute bundle path (/cnab/...) to where it really
// is; nil means the path is used as is. A missing file is an error, as in
// Porter.
func LoadDependencies(ctx context.Context, m *Manifest, resolve func(string) string) (map[string]*Bundle, error) {
	if resolve == nil {
		resolve = func(p string) string { return p }
	}
	out := make(map[string]*Bundle, len(m.Dependencies))
	for _, d := range m.Dependencies {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("load dependency %s: %w", d.Name, err)
		}
		b, err := LoadBundle(resolve(DependencyDefinitionPath(d.Name)))
		if err != nil {
			return nil, fmt.Errorf("load dependency %s (the Porter CLI injects its bundle.json): %w", d.Name, err)
		}
		out[d.Name] = b
	}
	return out, nil
}

// LoadRelocation reads an image relocation mapping
// (/cnab/app/relocation-mapping.json: {"original": "relocated"}). A missing
// file is an error wrapping fs.ErrNotExist.
func LoadRelocation(path string) (map[string]string, error) {
	data, err := readFile(path)
	if err != nil {
		return nil, fmt.Errorf("read relocation mapping: %w", err)
	}
	var m map[string]string
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("parse relocation mapping %s: %w", path, err)
	}
	return m, nil
}
