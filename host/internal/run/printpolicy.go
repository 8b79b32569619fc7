package run

import (
	"context"
	"io"
	"os"

	"github.com/mixbox/mixbox/host/internal/policy"
)

// PrintPolicy writes the effective policy of cfg's run to w, in the policy
// file format: the operator's, or the default one built from the manifest
// and the capabilities the installed wasm mixins declare.
func PrintPolicy(ctx context.Context, deps Deps, cfg Config, w io.Writer) error {
	s, err := newSession(cfg, deps)
	if err != nil {
		return err
	}
	b, err := s.loadBundle()
	if err != nil {
		return err
	}
	pol, err := s.policy(b)
	if err != nil {
		return err
	}
	out := *pol
	out.Mixins = map[string]policy.Mixin{}
	for _, m := range b.m.Mixins {
		mp := pol.For(m.Name)
		if bin, err := os.ReadFile(s.mixinPath(m.Name, ".wasm")); err == nil {
			if l, err := deps.Modules.Load(ctx, m.Name, m.Name, bin); err == nil {
				mp = mixinPolicy(m.Name, l.Module, pol)
			}
		}
		out.Mixins[m.Name] = mp
	}
	data, err := out.Marshal()
	if err != nil {
		return err
	}
	_, err = w.Write(data)
	return err
}
