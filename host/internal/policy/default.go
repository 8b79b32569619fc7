package policy

import (
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
// policy comes from" 2) of a manifest whose exec steps are steps: native
// mixins allowed, the Builtin limits, and the exec mixin granted exactly
// what the steps name: their commands (a bare name also as ./name, a file
// of the bundle directory, where Porter's exec mixin falls back to it), the
// keys of their envs, their dirs outside /cnab/app, read-only mounts of the
// files of their path outputs outside /cnab/app, and inheritEnv. A wasm
// mixin it does not list gets what it declares (see ForModule).
func Default(steps []ExecStep) *Policy {
	p := &Policy{Native: NativeAllow, Defaults: Builtin(), Mixins: map[string]Mixin{}, Default: true}
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

// Declared returns what a wasm mixin gets under the default policy: the
// commands and env its mixbox.mixin section declares ("*" any command), the
// bundle mount, and the Builtin limits.
func Declared(caps wasmabi.Capabilities) Mixin {
	m := Mixin{Mount: true, Limits: Builtin()}
	for _, c := range caps.Exec {
		if c != "" {
			m.Exec = append(m.Exec, ExecGrant{Command: c})
		}
	}
	m.Env = slices.Clone(caps.Env)
	return m
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
// mixin the policy does not list gets Declared(caps) with p's limits;
// otherwise For(mixin).
func (p *Policy) ForModule(mixin string, caps wasmabi.Capabilities) Mixin {
	if p != nil && p.Default {
		if _, ok := p.Mixins[mixin]; !ok {
			m := Declared(caps)
			m.Limits = p.Defaults.Or(Builtin())
			return m
		}
	}
	return p.For(mixin)
}

// Natives reports whether p lets native mixins run.
func (p *Policy) Natives() bool {
	return p == nil || p.Native != NativeDeny
}
