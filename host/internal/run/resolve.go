package run

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/mixbox/mixbox/host/internal/errkind"
	"github.com/mixbox/mixbox/host/internal/native"
	"github.com/mixbox/mixbox/host/internal/policy"
	"github.com/mixbox/mixbox/host/internal/step"
	"github.com/mixbox/mixbox/host/internal/wasm"
)

// mixinsDir is where installed mixins are: Options.MixinsDir (a CNAB path is
// taken under the root), else <bundle>/mixins.
func (s *session) mixinsDir() string {
	dir := s.cfg.MixinsDir
	if dir == "" {
		return filepath.Join(s.paths.bundleDir(), "mixins")
	}
	if filepath.IsAbs(dir) && cnabPath(dir) {
		return s.paths.onHost(dir)
	}
	return dir
}

// resolve finds the runner of a mixin, in the order of docs/spec/cli.md:
// installed wasm, built-in wasm, installed native (if the policy allows);
// with PreferNative the native runtime comes first.
func (s *session) resolve(ctx context.Context, name string, b *bundle, env []string, pol *policy.Policy) (step.Runner, error) {
	wasmPath := s.mixinPath(name, ".wasm")
	nativePath := s.mixinPath(name, "")
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
			return nil, errkind.WithHint(fmt.Errorf("%w: %s is not executable", errkind.ErrNotInstalled, nativePath),
				"chmod +x it, or install the mixin's wasm build as "+wasmPath)
		}
		return native.New(native.Options{
			Name:       name,
			Path:       nativePath,
			Dir:        s.paths.bundleDir(),
			OutputsDir: s.paths.mixinOutputsDir(),
			Env:        s.nativeEnv(env),
			WaitDelay:  s.deps.WaitDelay,
		}), nil
	}
	tryWasm := func() (step.Runner, error) {
		looked = append(looked, wasmPath+" (wasm)")
		if data, err := os.ReadFile(wasmPath); err == nil {
			return s.wasmRunner(ctx, name, wasmPath, data, step.FormWasmInstalled, b, env, pol)
		} else if !errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("read mixin %s: %w", name, err)
		}
		looked = append(looked, "the built-in mixins ("+strings.Join(s.builtinNames(), ", ")+")")
		if data, ok := s.deps.BuiltIns[name]; ok && len(data) > 0 {
			return s.wasmRunner(ctx, name, "built-in "+name, data, step.FormWasmBuiltin, b, env, pol)
		}
		return nil, nil
	}
	order := []func() (step.Runner, error){tryWasm, tryNative}
	if s.cfg.PreferNative {
		order = []func() (step.Runner, error){tryNative, tryWasm}
	}
	for _, try := range order {
		r, err := try()
		if err != nil || r != nil {
			return r, err
		}
	}
	return nil, errkind.WithHint(fmt.Errorf("%w: mixin %s is not installed: looked in %s", errkind.ErrNotInstalled, name, strings.Join(looked, ", ")),
		fmt.Sprintf("install it as %s (wasm) or %s (native), or point the mixins directory at the one that has it", wasmPath, nativePath))
}

func (s *session) builtinNames() []string {
	names := slices.Sorted(maps.Keys(s.deps.BuiltIns))
	if len(names) == 0 {
		return []string{"none"}
	}
	return names
}

// mixinPath is <mixins-dir>/NAME/runtimes/NAME-runtime<ext>.
func (s *session) mixinPath(name, ext string) string {
	return filepath.Join(s.mixinsDir(), name, "runtimes", name+"-runtime"+ext)
}

// wasmRunner loads a wasm mixin and returns the runner of its steps in this
// run, granted what the policy gives it.
func (s *session) wasmRunner(ctx context.Context, name, where string, bin []byte, form step.Form, b *bundle, env []string, pol *policy.Policy) (step.Runner, error) {
	l, err := s.deps.Modules.Load(ctx, name, where, bin)
	for _, n := range l.Notes {
		s.log.warn("%s", n)
	}
	if err != nil {
		return nil, err
	}
	mp := mixinPolicy(name, l.Module, pol)
	var mounts []wasm.Mount
	for _, m := range mp.Mounts {
		host := m // an operator's mounts are host paths, "same path inside as outside"
		if pol.Default {
			host = s.paths.onHost(m) // the bundle's own paths, under the root
		}
		mounts = append(mounts, wasm.Mount{Host: host, Guest: m})
	}
	return wasm.NewRunner(l.Engine, l.Module, wasm.RunnerOptions{
		Form:      form,
		Policy:    mp,
		Executor:  s.executor(name, mp, pol, b, env),
		BundleDir: s.paths.bundleDir(),
		Mounts:    mounts,
		Env:       envMap(env), // abi-v1 §2: copied from the action's environment when set
		Logger:    s.deps.Logger,
	}), nil
}
