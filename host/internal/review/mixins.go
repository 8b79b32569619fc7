package review

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/mixbox/mixbox/host/internal/errkind"
	"github.com/mixbox/mixbox/host/internal/manifest"
	"github.com/mixbox/mixbox/host/internal/policy"
	"github.com/mixbox/mixbox/host/internal/step"
	"github.com/mixbox/mixbox/host/internal/wasm"
)

// mixins checks each mixin the steps use, once, at its first step: that it
// is declared, that it resolves here, that a wasm form is accepted, and
// that the default policy gives a wasm mixin what it declares.
func (l *linter) mixins(ctx context.Context) error {
	m := l.b.m
	seen := map[string]bool{}
	for _, st := range l.steps {
		if seen[st.Mixin] {
			continue
		}
		seen[st.Mixin] = true
		if _, ok := m.Mixin(st.Mixin); !ok {
			declared := make([]string, 0, len(m.Mixins))
			for _, d := range m.Mixins {
				declared = append(declared, d.Name)
			}
			known := append(declared, slices.Sorted(maps.Keys(l.opts.BuiltIns))...)
			l.add(LevelError, "mixbox-110", st.Line(),
				fmt.Sprintf("add %s to mixins:, or fix the step's mixin name%s", st.Mixin, didYouMean(st.Mixin, known)),
				"%s uses mixin %q, which mixins: does not declare", where(st), st.Mixin)
			continue
		}
		r, err := l.opts.locate(ctx, l.b, st.Mixin)
		if err != nil {
			return err
		}
		switch {
		case r.err != nil:
			l.add(LevelError, "mixbox-111", st.Line(), errkind.Hint(r.err), "%s: %s", where(st), problem(r.err))
		case r.info != nil && !r.info.Accepted:
			l.add(LevelError, "mixbox-112", st.Line(),
				"rebuild the module for this mixbox (mixin inspect says what it lacks), or install the mixin's native runtime and prefer it",
				"%s: mixin %s's wasm module %s is refused: %s", where(st), st.Mixin, r.loc.Path, r.info.Reason)
		case r.loc.Form != step.FormNative:
			if err := l.grants(ctx, st, r); err != nil {
				return err
			}
		}
	}
	return l.unused(ctx, seen)
}

// unused reports a declared mixin that no step uses and that is not
// installed: a run does not need it, but Porter refuses to build (and to
// lint) the bundle without it.
func (l *linter) unused(ctx context.Context, used map[string]bool) error {
	for _, d := range l.b.m.Mixins {
		if used[d.Name] {
			continue
		}
		r, err := l.opts.locate(ctx, l.b, d.Name)
		if err != nil {
			return err
		}
		if r.err != nil {
			l.add(LevelWarning, "mixbox-113", d.Line, "install it, or remove it from mixins: if the bundle does not need it",
				"mixin %s is declared but no step uses it, and %s", d.Name, problem(r.err))
		}
	}
	return nil
}

// grants reports what a wasm mixin declares and the default policy does
// not give it (policy.Declared's refusals). The built-in exec mixin is granted
// what the manifest's exec steps name instead.
func (l *linter) grants(ctx context.Context, st manifest.Step, r resolved) error {
	if st.Mixin == policy.ExecMixin {
		return nil
	}
	info := r.info
	if info == nil {
		got, err := wasm.Inspect(ctx, l.opts.Version, r.loc.Wasm)
		if err != nil {
			return fmt.Errorf("inspect mixin %s: %w", st.Mixin, err)
		}
		info = &got
	}
	if info.Metadata == nil {
		l.add(LevelWarning, "mixbox-141", st.Line(),
			"declare the commands it runs in a mixin.yaml packed into the module (mixbox mixin pack), or grant them in an operator's policy file",
			"%s: mixin %s declares no capabilities, so the default policy lets it run no command", where(st), st.Mixin)
		return nil
	}
	_, refused := policy.Declared(info.Metadata.Capabilities, policy.SecretEnv(l.b.m))
	for _, w := range refused {
		l.add(LevelWarning, "mixbox-140", st.Line(),
			fmt.Sprintf("declare only what it needs by name and pack it again, or grant it in an operator's policy file: %s", grantLine(st.Mixin, w)),
			"%s: mixin %s declares %s, which the default policy does not grant: %s", where(st), st.Mixin, w.What, w.Why)
	}
	return nil
}

// grantLine is the mixin's block of an operator's policy that grants what
// the default policy refused, as one line of YAML.
func grantLine(mixin string, r policy.Refusal) string {
	if key, ok := strings.CutPrefix(r.What, "env "); ok {
		return fmt.Sprintf("mixins: {%s: {env: [%s]}}", mixin, key)
	}
	cmd := strings.TrimPrefix(r.What, "exec ")
	return fmt.Sprintf("mixins: {%s: {exec: [{command: %s}]}}", mixin, cmd)
}
