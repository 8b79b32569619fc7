package run

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"

	"github.com/mixbox/mixbox/host/internal/manifest"
	"github.com/mixbox/mixbox/internal/environ"
)

// prepareEnv returns the environment of the action and delivers --param and
// --cred values as a CNAB driver would: into their env var, or into their file
// (base64 for a file parameter, which Initialize then decodes). What a
// driver injects and the environment lacks gets its first-run value, in a
// local run (with a root) as in an image run by a plain driver (docker run,
// a Kubernetes Job): parameters their default, or null; templated outputs
// null; the CNAB variables the manifest's. A local run's installation is the
// bundle's name unless one is given.
func (s *session) prepareEnv(b *bundle) ([]string, error) {
	env := slices.Clone(s.cfg.Env)
	set := func(k, v string) { env = append(env, k+"="+v) }
	has := func(k string) bool { _, ok := environ.Lookup(env, k); return ok }
	if !has("PORTER_HOME") {
		set("PORTER_HOME", "/cnab/app")
	}
	action := s.cfg.Action

	if err := s.checkInputs(b); err != nil {
		return nil, err
	}
	for _, name := range slices.Sorted(maps.Keys(s.cfg.Params)) {
		p, _ := b.m.Parameter(name) // checkInputs: it exists
		v := s.cfg.Params[name]
		if p.Path != "" {
			data := []byte(v)
			if p.Type == "file" {
				data = []byte(base64.StdEncoding.EncodeToString(data))
			}
			if err := writeDest(s.paths.onHost(p.Path), data); err != nil {
				return nil, fmt.Errorf("set parameter %s: %w", name, err)
			}
			continue
		}
		set(p.EnvVar(), v)
	}
	for _, name := range slices.Sorted(maps.Keys(s.cfg.Creds)) {
		c, _ := credential(b.m, name) // checkInputs: it exists
		v := s.cfg.Creds[name]
		if c.Path != "" {
			if err := writeDest(s.paths.onHost(c.Path), []byte(v)); err != nil {
				return nil, fmt.Errorf("set credential %s: %w", name, err)
			}
		}
		if c.Env != "" {
			set(c.Env, v)
		}
	}

	if s.cfg.Debug {
		set("PORTER_DEBUG", "true") // for the mixins too, as `porter install --debug` does
	}
	if s.cfg.Installation != "" {
		set("CNAB_INSTALLATION_NAME", s.cfg.Installation)
		set("PORTER_INSTALLATION_NAME", s.cfg.Installation)
	}
	// Inject what a CNAB driver would, where it did not.
	defaults := map[string]string{
		"CNAB_ACTION":         action,
		"CNAB_BUNDLE_NAME":    b.m.Name,
		"CNAB_BUNDLE_VERSION": b.m.Version,
	}
	// The installation: a local run's is named after the bundle; Porter's
	// name for it follows the driver's.
	inst, ok := environ.Lookup(env, "CNAB_INSTALLATION_NAME")
	if !ok && s.paths.isRooted() {
		inst, ok = b.m.Name, true
		defaults["CNAB_INSTALLATION_NAME"] = inst
	}
	if ok {
		defaults["PORTER_INSTALLATION_NAME"] = inst
	}
	for _, k := range slices.Sorted(maps.Keys(defaults)) {
		if !has(k) {
			set(k, defaults[k])
		}
	}
	for _, p := range b.m.Parameters {
		if p.Path != "" || !p.AppliesTo(action) || has(p.EnvVar()) {
			continue
		}
		set(p.EnvVar(), driverValue(p.Default, p.HasDefault))
	}
	for _, out := range b.m.TemplatedOutputs() {
		if k := manifest.OutputEnvVar(out); !has(k) {
			set(k, "null")
		}
	}
	return env, nil
}

// nativeEnv is the environment of a native mixin: the action's, plus the
// root for mixbox-aware runtimes (the exec mixin maps its paths with it).
func (s *session) nativeEnv(env []string) []string {
	if !s.paths.isRooted() {
		return env
	}
	return append(slices.Clone(env), "MIXBOX_CNAB_ROOT="+s.paths.root)
}

// driverValue is how cnab-go injects a value: strings verbatim, others as
// JSON, no value as null.
func driverValue(v any, ok bool) string {
	if !ok || v == nil {
		return "null"
	}
	if s, isStr := v.(string); isStr {
		return s
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

func writeDest(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, data, 0o600)
}

func credential(m *manifest.Manifest, name string) (manifest.Credential, bool) {
	for _, c := range m.Credentials {
		if c.Name == name {
			return c, true
		}
	}
	return manifest.Credential{}, false
}

func paramNames(m *manifest.Manifest) []string {
	var names []string
	for _, p := range m.Parameters {
		names = append(names, p.Name)
	}
	return names
}

func credNames(m *manifest.Manifest) []string {
	var names []string
	for _, c := range m.Credentials {
		names = append(names, c.Name)
	}
	return names
}

// lookup returns the value of name in env, "" when unset.
func lookup(env []string, name string) string {
	v, _ := environ.Lookup(env, name)
	return v
}

// envMap turns NAME=VALUE entries into a map, later entries winning.
func envMap(env []string) map[string]string { return environ.Map(env) }
