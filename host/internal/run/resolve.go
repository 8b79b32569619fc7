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
	loc, err := Locate(LocateOptions{
		MixinsDir:    s.mixinsDir(),
		BuiltIns:     s.deps.BuiltIns,
		PreferNative: s.cfg.PreferNative,
		DenyNative:   !pol.Natives(),
	}, name)
	if err != nil {
		return nil, err
	}
	switch loc.Form {
	case step.FormNative:
		return native.New(native.Options{
			Name:       name,
			Path:       loc.Path,
			Dir:        s.paths.bundleDir(),
			OutputsDir: s.paths.mixinOutputsDir(),
			Env:        s.nativeEnv(env),
			WaitDelay:  s.deps.WaitDelay,
		}), nil
	case step.FormWasmBuiltin:
		return s.wasmRunner(ctx, name, "built-in "+name, loc.Wasm, loc.Form, b, env, pol)
	default:
		return s.wasmRunner(ctx, name, loc.Path, loc.Wasm, loc.Form, b, env, pol)
	}
}

// LocateOptions say where Locate looks for a mixin and which form wins.
type LocateOptions struct {
	// MixinsDir is where installed mixins are: NAME/runtimes/NAME-runtime[.wasm].
	MixinsDir string
	// BuiltIns are the wasm mixins embedded in the binary, by name.
	BuiltIns map[string][]byte
	// PreferNative puts the native runtime before the wasm builds.
	PreferNative bool
	// DenyNative skips native runtimes (a policy with `native: deny`).
	DenyNative bool
}

// Location is where a mixin resolves: the form a run would run it in.
type Location struct {
	// Form is how the mixin would run.
	Form step.Form
	// Path is the installed file; "" for a built-in.
	Path string
	// Wasm is the module of a wasm form, nil for a native one.
	Wasm []byte
}

// Locate finds the mixin name without loading it, in the order of
// docs/spec/cli.md: <MixinsDir>/NAME/runtimes/NAME-runtime.wasm, the
// built-in wasm mixin, then <MixinsDir>/NAME/runtimes/NAME-runtime unless
// native mixins are denied; PreferNative puts the native runtime first. A
// mixin found nowhere is an error wrapping errkind.ErrNotInstalled that names
// each place tried, as is a native runtime without the execute bit.
func Locate(opts LocateOptions, name string) (Location, error) {
	wasmPath := mixinPath(opts.MixinsDir, name, ".wasm")
	nativePath := mixinPath(opts.MixinsDir, name, "")
	var looked []string

	tryNative := func() (Location, error) {
		looked = append(looked, nativePath+" (native)")
		fi, err := os.Stat(nativePath)
		if err != nil || fi.IsDir() {
			return Location{}, nil
		}
		if opts.DenyNative {
			looked[len(looked)-1] += " (found, but the policy denies native mixins)"
			return Location{}, nil
		}
		if fi.Mode()&0o111 == 0 {
			return Location{}, errkind.WithHint(fmt.Errorf("%w: %s is not executable", errkind.ErrNotInstalled, nativePath),
				"chmod +x it, or install the mixin's wasm build as "+wasmPath)
		}
		return Location{Form: step.FormNative, Path: nativePath}, nil
	}
	tryWasm := func() (Location, error) {
		looked = append(looked, wasmPath+" (wasm)")
		if data, err := os.ReadFile(wasmPath); err == nil {
			return Location{Form: step.FormWasmInstalled, Path: wasmPath, Wasm: data}, nil
		} else if !errors.Is(err, os.ErrNotExist) {
			return Location{}, fmt.Errorf("read mixin %s: %w", name, err)
		}
		looked = append(looked, "the built-in mixins ("+strings.Join(builtinNames(opts.BuiltIns), ", ")+")")
		if data, ok := opts.BuiltIns[name]; ok && len(data) > 0 {
			return Location{Form: step.FormWasmBuiltin, Wasm: data}, nil
		}
		return Location{}, nil
	}
	order := []func() (Location, error){tryWasm, tryNative}
	if opts.PreferNative {
		order = []func() (Location, error){tryNative, tryWasm}
	}
	for _, try := range order {
		loc, err := try()
		if err != nil || loc.Form != 0 {
			return loc, err
		}
	}
	return Location{}, errkind.WithHint(fmt.Errorf("%w: mixin %s is not installed: looked in %s", errkind.ErrNotInstalled, name, strings.Join(looked, ", ")),
		fmt.Sprintf("install it as %s (wasm) or %s (native), or point the mixins directory at the one that has it", wasmPath, nativePath))
}

func builtinNames(builtIns map[string][]byte) []string {
	names := slices.Sorted(maps.Keys(builtIns))
	if len(names) == 0 {
		return []string{"none"}
	}
	return names
}

// mixinPath is <mixins-dir>/NAME/runtimes/NAME-runtime<ext> of this run.
func (s *session) mixinPath(name, ext string) string {
	return mixinPath(s.mixinsDir(), name, ext)
}

// mixinPath is <dir>/NAME/runtimes/NAME-runtime<ext>.
func mixinPath(dir, name, ext string) string {
	return filepath.Join(dir, name, "runtimes", name+"-runtime"+ext)
}

// wasmRunner loads a wasm mixin and returns the runner of its steps in this
// run, granted what the policy gives it.
func (s *session) wasmRunner(ctx context.Context, name, where string, bin []byte, form step.Form, b *bundle, env []string, pol *policy.Policy) (step.Runner, error) {
	l, err := s.deps.Modules.Load(ctx, name, where, bin)
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
