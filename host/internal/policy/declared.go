package policy

import (
	"fmt"
	"slices"

	"github.com/mixbox/mixbox/host/internal/manifest"
	"github.com/mixbox/mixbox/wasmabi"
)

// SecretEnv returns the environment variables that carry the secrets of m:
// the env of each credential and the env destination of each sensitive
// parameter (one without a path), sorted and unique.
func SecretEnv(m *manifest.Manifest) []string {
	var out []string
	for _, c := range m.Credentials {
		if c.Env != "" {
			out = append(out, c.Env)
		}
	}
	for _, p := range m.Parameters {
		if p.Sensitive && p.Path == "" {
			out = append(out, p.EnvVar())
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// Withheld is a part of a wasm mixin's declaration that the default policy
// does not grant.
type Withheld struct {
	// What is the declared item, e.g. `exec "*"` or `env TOKEN`.
	What string
	// Why says why the default policy withholds it.
	Why string
	// Grant is the mixin's block of an operator's policy that grants it,
	// as one line of YAML.
	Grant string
}

// WithheldByDefault returns what the default policy does not grant of caps,
// the declaration of the wasm mixin called mixin (docs/spec/policy.md,
// "Where a policy comes from", 2): a declared "*" (any command), and env
// keys that are one of secretEnv (see SecretEnv). The declaration format
// has no inheritEnv or mounts, so nothing else can be withheld. The
// built-in exec mixin is not judged by its declaration (the manifest's exec
// steps grant it): it gets nil.
func WithheldByDefault(mixin string, caps wasmabi.Capabilities, secretEnv []string) []Withheld {
	if mixin == ExecMixin {
		return nil
	}
	var out []Withheld
	if slices.Contains(caps.Exec, "*") {
		out = append(out, Withheld{
			What:  `exec "*"`,
			Why:   "a grant of any command is not specific",
			Grant: fmt.Sprintf(`mixins: {%s: {exec: [{command: "*"}]}}`, mixin),
		})
	}
	for _, k := range caps.Env {
		if slices.Contains(secretEnv, k) {
			out = append(out, Withheld{
				What:  "env " + k,
				Why:   "it is the env destination of a credential or sensitive parameter",
				Grant: fmt.Sprintf(`mixins: {%s: {env: [%s]}}`, mixin, k),
			})
		}
	}
	return out
}
