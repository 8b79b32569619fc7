package host

import (
	"context"
	"fmt"

	"github.com/mixbox/mixbox/host/internal/policy"
	"github.com/mixbox/mixbox/host/internal/step"
)

// wasmHost compiles and runs wasm mixins for a Runtime.
type wasmHost struct {
	rt *Runtime
}

func newWasmHost(rt *Runtime) *wasmHost { return &wasmHost{rt: rt} }

func (w *wasmHost) close(ctx context.Context) error { return nil }

func (w *wasmHost) runner(ctx context.Context, name, where string, bin []byte, form step.Form, b *bundle, pol *policy.Policy) (step.Runner, error) {
	return nil, fmt.Errorf("%w: wasm mixins are not wired yet (%s)", ErrIncompatible, where)
}

func (rt *Runtime) policy(b *bundle) (*policy.Policy, error) {
	return &policy.Policy{Native: policy.NativeAllow}, nil
}
