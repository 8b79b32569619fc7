package run

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/mixbox/mixbox/host/internal/errkind"
	"github.com/mixbox/mixbox/host/internal/manifest"
	"github.com/mixbox/mixbox/host/internal/state"
	"github.com/mixbox/mixbox/host/internal/step"
	"github.com/mixbox/mixbox/host/internal/tmpl"
)

// bundle is the loaded definition of the bundle being run: porter.yaml and,
// when present, bundle.json.
type bundle struct {
	m          *manifest.Manifest
	bundleJSON *manifest.Bundle // nil without bundle.json
	deps       map[string]*manifest.Bundle
	paths      paths
}

// loadBundle reads the manifest.
func (s *session) loadBundle() (*bundle, error) {
	path := s.manifestPath()
	m, err := manifest.Load(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, errkind.WithHint(fmt.Errorf("%w: read %s: %w", errkind.ErrManifest, path, err),
				"name the manifest, or run from the bundle directory (/cnab/app)")
		}
		return nil, errkind.WithHint(errkind.Of(errkind.ErrManifest, err), "fix porter.yaml and run again")
	}
	return &bundle{m: m, paths: s.paths}, nil
}

// manifestPath finds the manifest: an absolute CNAB path is taken under the
// root; a relative one from the working directory, else the bundle directory.
func (s *session) manifestPath() string {
	name := s.cfg.Manifest
	if name == "" {
		name = "porter.yaml"
	}
	if filepath.IsAbs(name) {
		if cnabPath(name) {
			return s.paths.onHost(name)
		}
		return name
	}
	if _, err := os.Stat(name); err == nil || !s.paths.isRooted() {
		return name
	}
	return filepath.Join(s.paths.bundleDir(), name)
}

// loadDefinitions reads what Porter's runtime validates after its banner:
// bundle.json (optional for mixbox) and the dependencies' bundle.json files.
func (s *session) loadDefinitions(ctx context.Context, out *bundle) error {
	b, err := manifest.LoadBundle(s.paths.bundleJSON())
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return errkind.WithHint(errkind.Of(errkind.ErrManifest, err), "fix or remove "+s.paths.bundleJSON())
	default:
		out.bundleJSON = b
	}
	if len(out.m.Dependencies) > 0 {
		deps, err := manifest.LoadDependencies(ctx, out.m, s.paths.onHost)
		if err != nil {
			return errkind.Of(errkind.ErrManifest, err)
		}
		out.deps = deps
	}
	return nil
}

// steps returns the steps of action, unrendered.
func (b *bundle) steps(action string) ([]manifest.Step, error) {
	steps, err := b.m.Steps(action)
	if err != nil {
		return nil, errkind.WithHint(err, "run one of the actions the manifest defines: "+strings.Join(b.m.Actions(), ", "))
	}
	return steps, nil
}

// render builds the template data of a step, renders it and returns what
// its mixin gets, and the values to mask from now on.
func (b *bundle) render(ctx context.Context, action string, s manifest.Step, env map[string]string, outputs map[string][]byte) (step.Input, []tmpl.Secret, error) {
	outs := make(map[string]string, len(outputs))
	for k, v := range outputs {
		outs[k] = string(v)
	}
	r, err := tmpl.RenderStep(ctx, tmpl.Input{
		Manifest:     b.m,
		Bundle:       b.bundleJSON,
		Dependencies: b.deps,
		Action:       action,
		Env:          env,
		Outputs:      outs,
		ResolvePath:  b.paths.onHost,
	}, s)
	if err != nil {
		var sensitive []tmpl.Secret
		if r != nil {
			sensitive = r.Sensitive
		}
		return step.Input{}, sensitive, err
	}
	args := []string{action}
	if !manifest.IsCoreAction(action) {
		args = []string{"invoke", "--action", action}
	}
	return step.Input{
		Mixin:       s.Mixin,
		Action:      action,
		Index:       s.Index,
		Description: r.Description,
		Args:        args,
		Stdin:       r.Stdin,
	}, r.Sensitive, nil
}

// sensitiveOutputs returns the step outputs that are to be masked: all but
// declared bundle outputs that are not sensitive (Porter's rule). They are
// values a mixin chose.
func (b *bundle) sensitiveOutputs(outputs map[string][]byte) []tmpl.Secret {
	var vals []tmpl.Secret
	for _, name := range slices.Sorted(maps.Keys(outputs)) {
		if o, ok := b.m.Output(name); ok && !o.Sensitive && !b.outputSensitiveInBundle(name) {
			continue
		}
		vals = append(vals, tmpl.Secret{Name: "output " + name, Value: string(outputs[name]), FromStep: true})
	}
	return vals
}

func (b *bundle) outputSensitiveInBundle(name string) bool {
	return b.bundleJSON != nil && b.bundleJSON.IsOutputSensitive(name)
}

// applyStepOutputs writes the step outputs that are bundle outputs of the
// action to /cnab/app/outputs/<name>.
func (b *bundle) applyStepOutputs(action string, outputs map[string][]byte) error {
	var errs []error
	for name, v := range outputs {
		o, ok := b.m.Output(name)
		if !ok || !o.AppliesTo(action) {
			continue
		}
		p := filepath.Join(b.paths.outputsDir(), name)
		if err := os.WriteFile(p, v, 0o660); err != nil {
			errs = append(errs, fmt.Errorf("write output %s: %w", name, err))
		}
	}
	return errors.Join(errs...)
}

// applyPathOutputs copies file-backed bundle outputs of the action that no
// step produced to /cnab/app/outputs/<name>, when their file exists.
func (b *bundle) applyPathOutputs(action string, produced map[string][]byte) error {
	var errs []error
	for _, o := range b.m.Outputs {
		if o.Path == "" || !o.AppliesTo(action) {
			continue
		}
		if _, ok := produced[o.Name]; ok {
			continue
		}
		dst := filepath.Join(b.paths.outputsDir(), o.Name)
		if _, err := os.Stat(dst); err == nil {
			continue
		}
		data, err := os.ReadFile(b.paths.onHost(o.Path))
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("read output %s: %w", o.Name, err))
			continue
		}
		if err := os.WriteFile(dst, data, 0o660); err != nil {
			errs = append(errs, fmt.Errorf("write output %s: %w", o.Name, err))
		}
	}
	return errors.Join(errs...)
}

// fileParams returns the file parameters that apply to action with where
// their file is on this host.
func (b *bundle) fileParams(action string) map[string]string {
	out := map[string]string{}
	if b.bundleJSON != nil {
		for name, p := range b.bundleJSON.Parameters {
			if !p.AppliesTo(action) || !b.bundleJSON.IsFileParameter(name) || p.Destination.Path == "" {
				continue
			}
			out[name] = b.paths.onHost(p.Destination.Path)
		}
		return out
	}
	for _, p := range b.m.Parameters {
		if p.Type == "file" && p.Path != "" && p.AppliesTo(action) {
			out[p.Name] = b.paths.onHost(p.Path)
		}
	}
	return out
}

// decodeFileParams decodes the file parameters of the action in place, as
// Porter's runtime does: missing files are skipped, "null" is deleted. It
// returns the contents of the sensitive ones, decoded and as they came
// (base64), to mask.
func (b *bundle) decodeFileParams(action string) ([]tmpl.Secret, error) {
	var secrets []tmpl.Secret
	params := b.fileParams(action)
	for _, name := range slices.Sorted(maps.Keys(params)) {
		p := params[name]
		if name == "porter-state" {
			continue // the state bag is read by initialize
		}
		data, err := os.ReadFile(p)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return secrets, fmt.Errorf("read parameter %s: %w", name, err)
		}
		if string(data) == "null" {
			if err := os.Remove(p); err != nil {
				return secrets, fmt.Errorf("remove parameter %s: %w", name, err)
			}
			continue
		}
		raw, err := base64.StdEncoding.DecodeString(string(data))
		if err != nil {
			return secrets, errkind.WithHint(fmt.Errorf("decode parameter %s: %w", name, err),
				fmt.Sprintf("a file parameter arrives base64-encoded at %s; set it as a parameter of the run or write base64 there", p))
		}
		if b.sensitiveParam(name) {
			secrets = append(secrets, tmpl.Secret{Name: "parameter " + name, Value: string(raw)},
				tmpl.Secret{Name: "parameter " + name, Value: string(data)})
		}
		if err := os.WriteFile(p, raw, 0o644); err != nil {
			return secrets, fmt.Errorf("write parameter %s: %w", name, err)
		}
	}
	return secrets, nil
}

// sensitiveParam reports whether the parameter is sensitive: in the
// manifest, or writeOnly in bundle.json.
func (b *bundle) sensitiveParam(name string) bool {
	if p, ok := b.m.Parameter(name); ok && p.Sensitive {
		return true
	}
	if b.bundleJSON == nil {
		return false
	}
	d, ok := b.bundleJSON.ParameterDefinition(name)
	return ok && d.WriteOnly
}

// stateIsFileParam reports whether bundle.json declares porter-state, the
// state bag, as a file parameter (Porter's bundles do).
func (b *bundle) stateIsFileParam() bool {
	return b.bundleJSON != nil && b.bundleJSON.IsFileParameter("porter-state")
}

// statePath is the manifest's path of the state variable name.
func (b *bundle) statePath(name string) string {
	for _, s := range b.m.State {
		if s.Name == name {
			return s.Path
		}
	}
	return ""
}

// pathOutputs are the names of the file-backed bundle outputs of action,
// sorted: those Porter collects at the end of a run (its debug mode names
// each one, produced by a step or not). Porter goes by bundle.json's
// outputs: without any there, none.
func (b *bundle) pathOutputs(action string) []string {
	var names []string
	for _, o := range b.m.Outputs {
		if o.Path == "" || !o.AppliesTo(action) {
			continue
		}
		if b.bundleJSON != nil {
			if _, ok := b.bundleJSON.Outputs[o.Name]; !ok {
				continue
			}
		}
		names = append(names, o.Name)
	}
	slices.Sort(names)
	return names
}

func (b *bundle) stateVars() []state.Var {
	vars := make([]state.Var, 0, len(b.m.State))
	for _, s := range b.m.State {
		vars = append(vars, state.Var{Name: s.Name, Path: b.paths.onHost(s.Path)})
	}
	return vars
}
