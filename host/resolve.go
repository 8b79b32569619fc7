package host

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/mixbox/mixbox/host/internal/native"
	"github.com/mixbox/mixbox/host/internal/policy"
	"github.com/mixbox/mixbox/host/internal/step"
)

// mixinsDir is where installed mixins are: Options.MixinsDir (a CNAB path is
// taken under the root), else <bundle>/mixins.
func (rt *Runtime) mixinsDir() string {
	dir := rt.opts.MixinsDir
	if dir == "" {
		return filepath.Join(rt.paths.bundleDir(), "mixins")
	}
	if filepath.IsAbs(dir) && cnabPath(dir) {
		return rt.paths.real(dir)
	}
	return dir
}

// resolve finds the runner of a mixin, in the order of shared/spec/cli.md:
// installed wasm, built-in wasm, installed native (if the policy allows);
// with PreferNative the native runtime comes first.
func (rt *Runtime) resolve(ctx context.Context, name string, b *bundle, env []string, pol *policy.Policy) (step.Runner, error) {
	wasmPath := rt.mixinPath(name, ".wasm")
	nativePath := rt.mixinPath(name, "")
	var looked []string

	tryNative := func() (step.Runner, error) {
		looked = append(looked, nativePath+" (native)")
		fi, err := os.Stat(nativePath)
		if err != nil || fi.IsDir() {
			return nil, nil
		}
		if !pol.Natives() {
			looked[len(looked)-1] += " (found, but the policy denies native mixins)"
			return nil, nil
		}
		if fi.Mode()&0o111 == 0 {
			return nil, withHint(fmt.Errorf("%w: %s is not executable", ErrNotInstalled, nativePath),
				"chmod +x it, or install the mixin's wasm build as "+wasmPath)
		}
		return native.New(native.Options{
			Name:       name,
			Path:       nativePath,
			Dir:        rt.paths.bundleDir(),
			OutputsDir: rt.paths.mixinOutputsDir(),
			Env:        rt.nativeEnv(env),
			WaitDelay:  rt.opts.WaitDelay,
		}), nil
	}
	tryWasm := func() (step.Runner, error) {
		looked = append(looked, wasmPath+" (wasm)")
		if data, err := os.ReadFile(wasmPath); err == nil {
			return rt.wasm.runner(ctx, name, wasmPath, data, step.FormWasmInstalled, b, env, pol)
		} else if !errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("read mixin %s: %w", name, err)
		}
		looked = append(looked, "the built-in mixins ("+strings.Join(rt.builtinNames(), ", ")+")")
		if data, ok := rt.opts.BuiltIns[name]; ok && len(data) > 0 {
			return rt.wasm.runner(ctx, name, "built-in "+name, data, step.FormWasmBuiltin, b, env, pol)
		}
		return nil, nil
	}
	order := []func() (step.Runner, error){tryWasm, tryNative}
	if rt.opts.Prefer == PreferNative {
		order = []func() (step.Runner, error){tryNative, tryWasm}
	}
	for _, try := range order {
		r, err := try()
		if err != nil || r != nil {
			return r, err
		}
	}
	return nil, withHint(fmt.Errorf("%w: mixin %s is not installed: looked in %s", ErrNotInstalled, name, strings.Join(looked, ", ")),
		fmt.Sprintf("install it as %s (wasm) or %s (native), or point --mixins-dir at the directory that has it", wasmPath, nativePath))
}

func (rt *Runtime) builtinNames() []string {
	names := sortedKeys(rt.opts.BuiltIns)
	if len(names) == 0 {
		return []string{"none"}
	}
	return names
}

// mixinPath is <mixins-dir>/NAME/runtimes/NAME-runtime<ext>.
func (rt *Runtime) mixinPath(name, ext string) string {
	return filepath.Join(rt.mixinsDir(), name, "runtimes", name+"-runtime"+ext)
}
