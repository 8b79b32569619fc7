package policy

import (
	"maps"
	"path"
	"slices"
	"strings"

	"github.com/mixbox/mixbox/wasmabi"
)

// ExecMixin is the name of the built-in exec mixin, whose default policy
// comes from the manifest's exec steps.
const ExecMixin = "exec"

// ExecStep is what one exec step of the manifest being run names, as the
// default policy grants it (filled from the rendered manifest).
type ExecStep struct {
	// Command is the step's command.
	Command string
	// EnvKeys are the keys of the step's envs.
	EnvKeys []string
	// Dir is the step's dir, relative to /cnab/app or absolute; "" is
	// /cnab/app.
	Dir string
	// PathOutputs are the files the step's `path:` outputs name, relative
	// to Dir or absolute.
	PathOutputs []string
}

// Default returns the default policy (docs/spec/policy.md, "Where a
// policy comes from" 2) of a manifest whose exec steps are steps and whose
// secrets reach commands through the env keys of secretEnv (SecretEnv):
// native mixins allowed, the Builtin limits, and the exec mixin granted
// exactly what the steps name: their commands (a bare name also as ./name,
// a file of the bundle directory, where Porter's exec mixin falls back to
// it), the keys of their envs, their dirs outside /cnab/app, read-only
// mounts of the files of their path outputs outside /cnab/app, and
// inheritEnv. A wasm mixin it does not list gets the part of its
// declaration that is specific and keeps off the secrets (see Declared).
func Default(steps []ExecStep, secretEnv map[string]string) *Policy {
	p := &Policy{Native: NativeAllow, Defaults: Builtin(), Mixins: map[string]Mixin{}, Default: true, SecretEnv: secretEnv}
	if len(steps) == 0 {
		return p
	}
	m := Mixin{Mount: true, InheritEnv: true, Limits: p.Defaults}
	addGrant := func(cmd string) {
		if !slices.ContainsFunc(m.Exec, func(g ExecGrant) bool { return g.Command == cmd }) {
			m.Exec = append(m.Exec, ExecGrant{Command: cmd})
		}
	}
	add := func(list []string, v string) []string {
		if slices.Contains(list, v) {
			return list
		}
		return append(list, v)
	}
	for _, s := range steps {
		if s.Command != "" {
			addGrant(s.Command)
			if !strings.Contains(s.Command, "/") {
				addGrant("./" + s.Command)
			}
		}
		for _, k := range s.EnvKeys {
			if k != "" {
				m.Env = add(m.Env, k)
			}
		}
		dir := Resolve(wasmabi.ExecRequest{Dir: s.Dir}).Dir
		if !InBundle(dir) {
			m.Dirs = add(m.Dirs, dir)
		}
		for _, o := range s.PathOutputs {
			if o == "" {
				continue
			}
			if !path.IsAbs(o) {
				o = path.Join(dir, o)
			}
			if o = path.Clean(o); !InBundle(o) {
				m.Mounts = add(m.Mounts, o)
			}
		}
	}
	p.Mixins[ExecMixin] = m
	return p
}

// Refusal is a capability a mixin's mixbox.mixin section declares that the
// default policy does not grant.
type Refusal struct {
	// What is the capability, as a policy names it: `exec "*"`, `env TOK`.
	What string
	// Why says why it is not granted by default.
	Why string
}

// String returns "exec "*" (any command)".
func (r Refusal) String() string { return r.What + " (" + r.Why + ")" }

// Declared returns what a wasm mixin that declares caps gets under the
// default policy: the bundle mount, the Builtin limits, and of its
// declaration only what is specific and does not reach the run's secrets:
// the commands it names, not "*" (any command), and the env keys that are
// not in secretEnv (an env destination of a credential or sensitive
// parameter, compared without regard to case). What it does not grant is
// returned as refused, in the order declared. A declaration cannot ask for
// inheritEnv, mounts or dirs (wasmabi.Capabilities has none): those only an
// operator's policy grants.
func Declared(caps wasmabi.Capabilities, secretEnv map[string]string) (m Mixin, refused []Refusal) {
	m = Mixin{Mount: true, Limits: Builtin()}
	for _, c := range caps.Exec {
		switch {
		case c == "":
		case c == "*":
			refused = append(refused, Refusal{What: `exec "*"`, Why: "any command"})
		case !slices.ContainsFunc(m.Exec, func(g ExecGrant) bool { return g.Command == c }):
			m.Exec = append(m.Exec, ExecGrant{Command: c})
		}
	}
	for _, k := range caps.Env {
		if k == "" || slices.Contains(m.Env, k) {
			continue
		}
		if what, ok := secretOf(secretEnv, k); ok {
			refused = append(refused, Refusal{What: "env " + k, Why: "the env of " + what + ", a secret of this run"})
			continue
		}
		m.Env = append(m.Env, k)
	}
	return m, refused
}

// secretOf returns what the secret passed in env key k is, if it is one.
func secretOf(secretEnv map[string]string, k string) (string, bool) {
	if what, ok := secretEnv[k]; ok {
		return what, true
	}
	for _, key := range slices.Sorted(maps.Keys(secretEnv)) {
		if strings.EqualFold(key, k) {
			return secretEnv[key], true
		}
	}
	return "", false
}

// Declaration returns, for a wasm mixin named mixin that declares caps,
// what p grants it from that declaration and what of it p does not grant.
// Only the default policy grants from a declaration; under an operator's
// policy, or for a mixin the default policy lists (the exec mixin), both
// are empty: the policy decides alone.
func (p *Policy) Declaration(mixin string, caps wasmabi.Capabilities) (granted Mixin, refused []Refusal) {
	if !p.grantsDeclaration(mixin) {
		return Mixin{}, nil
	}
	return Declared(caps, p.SecretEnv)
}

// grantsDeclaration reports whether p grants mixin from its declaration:
// the default policy, for a mixin it does not list and that is not the
// exec mixin (granted what the manifest's exec steps name, even none).
func (p *Policy) grantsDeclaration(mixin string) bool {
	if p == nil || !p.Default || mixin == ExecMixin {
		return false
	}
	_, listed := p.Mixins[mixin]
	return !listed
}

// For returns the effective policy of mixin: its block, or for a mixin p
// does not list nothing but the bundle mount, with limits merged from its
// overrides, p's defaults and Builtin. A nil p grants nothing.
func (p *Policy) For(mixin string) Mixin {
	var defaults Limits
	m, ok := Mixin{Mount: true}, false
	if p != nil {
		defaults = p.Defaults
		m, ok = p.Mixins[mixin]
		if !ok {
			m = Mixin{Mount: true}
		}
	}
	out := Mixin{
		Env:        slices.Clone(m.Env),
		Mount:      m.Mount,
		InheritEnv: m.InheritEnv,
		Mounts:     slices.Clone(m.Mounts),
		Dirs:       slices.Clone(m.Dirs),
		Limits:     m.Limits.Or(defaults).Or(Builtin()),
	}
	for _, g := range m.Exec {
		g.Args = slices.Clone(g.Args)
		out.Exec = append(out.Exec, g)
	}
	return out
}

// ForModule returns the effective policy of the wasm mixin named mixin that
// declares caps in its mixbox.mixin section: under the default policy a
// mixin the policy does not list gets what Declared grants, with p's
// limits; otherwise For(mixin). A mixin never widens its own grants.
func (p *Policy) ForModule(mixin string, caps wasmabi.Capabilities) Mixin {
	if p.grantsDeclaration(mixin) {
		m, _ := Declared(caps, p.SecretEnv)
		m.Limits = p.Defaults.Or(Builtin())
		return m
	}
	return p.For(mixin)
}

// Natives reports whether p lets native mixins run.
func (p *Policy) Natives() bool {
	return p == nil || p.Native != NativeDeny
}
