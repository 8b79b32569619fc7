package tmpl

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/mixbox/mixbox/host/internal/manifest"
)

// Input is everything the data of one step depends on.
type Input struct {
	// Manifest is the parsed porter.yaml. Required.
	Manifest *manifest.Manifest
	// Bundle is the parsed bundle.json, or nil when there is none; then the
	// manifest alone defines parameters, outputs and images.
	Bundle *manifest.Bundle
	// Dependencies are the dependency bundle definitions by alias. When nil
	// and the manifest has dependencies, they are read from
	// /cnab/app/dependencies/<alias>/bundle.json through ResolvePath.
	Dependencies map[string]*manifest.Bundle
	// Relocation is the image relocation mapping, or nil.
	Relocation map[string]string
	// Action is the action being run.
	Action string
	// Env is the runtime's environment.
	Env map[string]string
	// Outputs are the outputs of the earlier steps of this run, any name.
	Outputs map[string]string
	// ResolvePath maps an absolute bundle path (/cnab/...) to where it really
	// is, e.g. under --cnab-root; nil leaves paths as they are.
	ResolvePath func(string) string
}

// Data is the template data of one step.
type Data struct {
	// Values is the mustache context: installation, bundle and env.
	Values map[string]any
	// Sensitive are the values to mask while the step runs: non-empty,
	// unique, in a stable order.
	Sensitive []Secret
}

// Secret is a value to mask, with what it is.
type Secret struct {
	// Name says what the value is, for the run log, e.g. "credential
	// token" or "a field of parameter config". It never holds the value.
	Name string
	// Value is the value.
	Value string
	// FromStep is true for an output of an earlier step of this run: a
	// value a mixin chose, not one the run was given.
	FromStep bool
}

// objectValue is an object parameter: its fields are addressable in
// templates and the whole value prints as compact JSON.
type objectValue map[string]any

// String returns the object as compact JSON.
func (o objectValue) String() string {
	return compactJSON(map[string]any(o))
}

func compactJSON(v any) string {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return fmt.Sprint(v)
	}
	return strings.TrimSuffix(buf.String(), "\n")
}

// sensitiveSet collects sensitive values in insertion order.
type sensitiveSet struct {
	vals []Secret
}

func (s *sensitiveSet) add(name, v string) { s.addSecret(Secret{Name: name, Value: v}) }

func (s *sensitiveSet) addSecret(sec Secret) {
	if strings.TrimSpace(sec.Value) == "" || slices.ContainsFunc(s.vals, func(o Secret) bool { return o.Value == sec.Value }) {
		return
	}
	s.vals = append(s.vals, sec)
}

// addObject adds every leaf of an object parameter and the JSON of every
// nested object or array, named as fields of name.
func (s *sensitiveSet) addObject(name string, v any) {
	var items []any
	switch t := v.(type) {
	case objectValue:
		for _, k := range slices.Sorted(maps.Keys(t)) {
			items = append(items, t[k])
		}
	case map[string]any:
		for _, k := range slices.Sorted(maps.Keys(t)) {
			items = append(items, t[k])
		}
	case []any:
		items = t
	}
	for _, x := range items {
		s.addNested(name, x)
	}
}

func (s *sensitiveSet) addNested(name string, v any) {
	field := "a field of " + name
	switch v.(type) {
	case map[string]any, []any:
		s.add(field, compactJSON(v))
		s.addObject(name, v)
	case nil:
	default:
		s.add(field, fmt.Sprint(v))
	}
}

// BuildData builds the template data of a step of in.Action. Call it
// before every step: it sees the outputs of the earlier ones.
func BuildData(ctx context.Context, in Input) (*Data, error) {
	m := in.Manifest
	if m == nil {
		return nil, fmt.Errorf("build template data: no manifest")
	}
	env := in.Env
	if env == nil {
		env = map[string]string{}
	}
	sens := &sensitiveSet{}

	envData := make(map[string]any, len(env))
	for k, v := range env {
		envData[k] = v
	}
	inst := map[string]any{
		"name":      env["PORTER_INSTALLATION_NAME"],
		"namespace": env["PORTER_INSTALLATION_NAMESPACE"],
		"id":        env["PORTER_INSTALLATION_ID"],
	}
	custom := m.Custom
	if custom == nil {
		custom = map[string]any{}
	}
	bun := map[string]any{
		"name":           m.Name,
		"version":        m.Version,
		"description":    m.Description,
		"installerImage": m.InstallerImage(in.Bundle, in.Relocation),
		"custom":         custom,
	}

	params := map[string]any{}
	for _, p := range m.Parameters {
		if !p.AppliesTo(in.Action) {
			continue
		}
		var val any = resolveParameter(p, env)
		if p.Type == "object" {
			val = decodeObject(val.(string))
		}
		if p.Sensitive {
			sens.add("parameter "+p.Name, fmt.Sprint(val))
			sens.addObject("parameter "+p.Name, val)
		}
		params[p.Name] = val
	}
	bun["parameters"] = params

	creds := map[string]any{}
	for _, c := range m.Credentials {
		var val string
		switch {
		case c.Env != "":
			val = env[c.Env]
		case c.Path != "":
			val = c.Path
		default:
			return nil, fmt.Errorf("build template data: %w: credential %s is malformed", manifest.ErrMalformedCredential, c.Name)
		}
		sens.add("credential "+c.Name, val)
		creds[c.Name] = val
	}
	bun["credentials"] = creds

	depBundles := in.Dependencies
	if depBundles == nil && len(m.Dependencies) > 0 {
		var err error
		depBundles, err = manifest.LoadDependencies(ctx, m, in.ResolvePath)
		if err != nil {
			return nil, fmt.Errorf("build template data: %w", err)
		}
	}
	deps := map[string]any{}
	for alias, b := range depBundles {
		if b == nil {
			continue
		}
		deps[alias] = map[string]any{"name": b.Name, "version": b.Version, "description": b.Description}
	}
	bun["dependencies"] = deps

	outputs := map[string]any{}
	for name, val := range in.Outputs {
		outputs[name] = val
		// A step output that is also a non-sensitive bundle output is not masked.
		if o, ok := m.Output(name); ok && !o.Sensitive {
			continue
		}
		sens.addSecret(Secret{Name: "output " + name, Value: val, FromStep: true})
	}
	for _, name := range m.TemplatedOutputs() {
		if in.Bundle != nil && !sourcedParamApplies(in.Bundle, "", name, in.Action) {
			continue
		}
		if v, ok := in.Outputs[name]; ok && v != "" {
			continue
		}
		envVar := manifest.OutputEnvVar(name)
		val, ok := env[envVar]
		if !ok {
			return nil, fmt.Errorf("build template data: %w for output %s; set %s (Porter injects \"null\" before the output exists)",
				ErrNoOutputSource, name, envVar)
		}
		outputs[name] = val
		if o, _ := m.Output(name); o.Sensitive {
			sens.add("output "+name, val)
		}
	}
	bun["outputs"] = outputs

	for _, ref := range m.TemplatedDependencyOutputs() {
		if in.Bundle != nil && !sourcedParamApplies(in.Bundle, ref.Dependency, ref.Output, in.Action) {
			continue
		}
		envVar := manifest.DependencyOutputEnvVar(ref.Dependency, ref.Output)
		val, ok := env[envVar]
		if !ok {
			return nil, fmt.Errorf("build template data: %w for output %s of dependency %s; set %s",
				ErrNoOutputSource, ref.Output, ref.Dependency, envVar)
		}
		dep, ok := deps[ref.Dependency].(map[string]any)
		if !ok {
			dep = map[string]any{}
			deps[ref.Dependency] = dep
		}
		outs, ok := dep["outputs"].(map[string]any)
		if !ok {
			outs = map[string]any{}
			dep["outputs"] = outs
		}
		outs[ref.Output] = val
		if b := depBundles[ref.Dependency]; b != nil && b.IsOutputSensitive(ref.Output) {
			sens.add("output "+ref.Output+" of dependency "+ref.Dependency, val)
		}
	}

	imgs, err := m.ResolveImages(in.Bundle, in.Relocation)
	if err != nil {
		return nil, fmt.Errorf("build template data: %w", err)
	}
	images := make(map[string]any, len(imgs))
	for alias, img := range imgs {
		// Porter builds these with reflect.Value.String(), hence the quirks.
		images[alias] = map[string]any{
			"description": img.Description,
			"imageType":   img.ImageType,
			"repository":  img.Repository,
			"digest":      img.Digest,
			"size":        "<uint64 Value>",
			"mediaType":   img.MediaType,
			"labels":      "<map[string]string Value>",
			"tag":         img.Tag,
		}
	}
	bun["images"] = images

	return &Data{
		Values:    map[string]any{"installation": inst, "bundle": bun, "env": envData},
		Sensitive: sens.vals,
	}, nil
}

// resolveParameter returns a parameter's template value: the value of its
// env, else its path, else the value of ParamToEnvVar(name).
func resolveParameter(p manifest.Parameter, env map[string]string) string {
	if p.Env != "" {
		return env[p.Env]
	}
	if p.Path != "" {
		return p.Path
	}
	return env[manifest.ParamToEnvVar(p.Name)]
}

// decodeObject decodes an object parameter's JSON; anything but a JSON
// object stays the string it was.
func decodeObject(s string) any {
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil || dec.More() {
		return s
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return s
	}
	return objectValue(obj)
}

// sourcedParamApplies reports whether bundle.json has a parameter sourced
// from the output (of the dependency, if not empty) that applies to action.
func sourcedParamApplies(b *manifest.Bundle, dependency, output, action string) bool {
	for _, p := range b.ParametersSourcedFrom(dependency, output) {
		if bp, ok := b.Parameters[p]; ok && bp.AppliesTo(action) {
			return true
		}
	}
	return false
}
