package host

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/mixbox/mixbox/host/internal/manifest"
)

// prepareEnv returns the environment of the action and delivers --param and
// --cred values as a CNAB driver would: into their env var, or into their file
// (base64 for a file parameter, which Initialize then decodes). What a
// driver injects and the environment lacks gets its first-run value, in a
// local run (with a root) as in an image run by a plain driver (docker run,
// a Kubernetes Job): parameters their default, or null; templated outputs
// null; the CNAB variables the manifest's.
func (rt *Runtime) prepareEnv(b *bundle) ([]string, error) {
	env := slices.Clone(rt.opts.Env)
	set := func(k, v string) { env = append(env, k+"="+v) }
	has := func(k string) bool { _, ok := lookup(env, k); return ok }
	if !has("PORTER_HOME") {
		set("PORTER_HOME", "/cnab/app")
	}
	action := rt.opts.Action

	for _, name := range sortedKeys(rt.opts.Params) {
		p, ok := b.m.Parameter(name)
		if !ok {
			return nil, withHint(fmt.Errorf("%w: --param %s: the manifest has no parameter %q", ErrUsage, name, name),
				"parameters: "+strings.Join(paramNames(b.m), ", "))
		}
		v := rt.opts.Params[name]
		if p.Path != "" {
			data := []byte(v)
			if p.Type == "file" {
				data = []byte(base64.StdEncoding.EncodeToString(data))
			}
			if err := writeDest(rt.paths.real(p.Path), data); err != nil {
				return nil, fmt.Errorf("set parameter %s: %w", name, err)
			}
			continue
		}
		set(p.EnvVar(), v)
	}
	for _, name := range sortedKeys(rt.opts.Creds) {
		c, ok := credential(b.m, name)
		if !ok {
			return nil, withHint(fmt.Errorf("%w: --cred %s: the manifest has no credential %q", ErrUsage, name, name),
				"credentials: "+strings.Join(credNames(b.m), ", "))
		}
		v := rt.opts.Creds[name]
		if c.Path != "" {
			if err := writeDest(rt.paths.real(c.Path), []byte(v)); err != nil {
				return nil, fmt.Errorf("set credential %s: %w", name, err)
			}
		}
		if c.Env != "" {
			set(c.Env, v)
		}
	}

	// Inject what a CNAB driver would, where it did not.
	defaults := map[string]string{
		"CNAB_ACTION":         action,
		"CNAB_BUNDLE_NAME":    b.m.Name,
		"CNAB_BUNDLE_VERSION": b.m.Version,
	}
	for _, k := range sortedKeys(defaults) {
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
func (rt *Runtime) nativeEnv(env []string) []string {
	if !rt.paths.isRooted() {
		return env
	}
	return append(slices.Clone(env), "MIXBOX_CNAB_ROOT="+rt.paths.root)
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

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
