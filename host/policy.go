package host

import (
	"context"
	"fmt"
	"io"

	"github.com/mixbox/mixbox/host/internal/hostexec"
	"github.com/mixbox/mixbox/host/internal/policy"
	"github.com/mixbox/mixbox/host/internal/wasm"
)

func (rt *Runtime) policy(b *bundle) (*policy.Policy, error) {
	return &policy.Policy{Native: policy.NativeAllow}, nil
}

func (rt *Runtime) mixinPolicy(name string, mod *wasm.Module, b *bundle, pol *policy.Policy) policy.Mixin {
	return policy.Mixin{Mount: true}
}

func (rt *Runtime) executor(name string, mp policy.Mixin, env []string) (hostexec.Executor, error) {
	return nil, fmt.Errorf("no executor yet")
}

// PrintPolicy prints the effective policy of the run: the operator's, or the
// default one built from the manifest.
func (rt *Runtime) PrintPolicy(ctx context.Context, w io.Writer) error {
	return fmt.Errorf("print-policy: not wired yet")
}
