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
	"github.com/mixbox/mixbox/host/internal/modules"
	"github.com/mixbox/mixbox/host/internal/native"
	"github.com/mixbox/mixbox/host/internal/policy"
	"github.com/mixbox/mixbox/host/internal/step"
	"github.com/mixbox/mixbox/host/internal/wasm"
	"github.com/mixbox/mixbox/internal/suggest"
	"github.com/mixbox/mixbox/wasmabi"
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
// with PreferNative the native runtime comes first. A wasm build that
// imports no mixbox_v1 function gives way to the native runtime (noABI).
func (s *session) resolve(ctx context.Context, name string, b *bundle, env []string, pol *policy.Policy) (step.Runner, error) {
	opts := LocateOptions{
		MixinsDir:    s.mixinsDir(),
		BuiltIns:     s.deps.BuiltIns,
		PreferNative: s.cfg.PreferNative,
		DenyNative:   !pol.Natives(),
	}
	loc, err := Locate(opts, name)
	if err != nil {
		return nil, err
	}
	if loc.Form == step.FormNative {
		return s.nativeRunner(name, loc.Path, env), nil
	}
	where := loc.Path
	if loc.Form == step.FormWasmBuiltin {
		where = modules.BuiltInWhere(name)
	}
	r, err := s.wasmRunner(ctx, name, where, loc.Wasm, loc.Form, b, env, pol)
	if err != nil {
		return nil, err
	}
	wr := r.(*wasm.Runner)
	if wr.Info().NoABI() {
		if nr := s.noABI(name, opts, env); nr != nil {
			_ = wr.Close(ctx) // not used; a command module keeps nothing anyway
			return nr, nil
		}
	}
	s.logDeclaration(name, wr.Capabilities(), pol)
	return wr, nil
}

// nativeRunner is the runner of the native runtime at path.
func (s *session) nativeRunner(name, path string, env []string) step.Runner {
	return native.New(native.Options{
		Name:       name,
		Path:       path,
		Dir:        s.paths.bundleDir(),
		OutputsDir: s.paths.mixinOutputsDir(),
		Env:        s.nativeEnv(env),
		WaitDelay:  s.deps.WaitDelay,
	})
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
	msg := fmt.Sprintf("mixin %s is not installed: looked in %s", name, strings.Join(looked, ", "))
	if s, ok := suggest.Closest(name, knownMixins(opts)); ok {
		msg += "; did you mean " + s + "?"
	}
	return Location{}, errkind.WithHint(errkind.Of(errkind.ErrNotInstalled, errors.New(msg)),
		fmt.Sprintf("install it as %s (wasm) or %s (native), or point the mixins directory at the one that has it", wasmPath, nativePath))
}

// knownMixins are the names of the built-in mixins and of those installed in
// the mixins directory.
func knownMixins(opts LocateOptions) []string {
	names := slices.Sorted(maps.Keys(opts.BuiltIns))
	entries, _ := os.ReadDir(opts.MixinsDir) // none installed: only the built-ins
	for _, e := range entries {
		if e.IsDir() && !slices.Contains(names, e.Name()) {
			names = append(names, e.Name())
		}
	}
	return names
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

// noABI decides for a wasm mixin that imports no mixbox_v1 function ("abi:
// none"), which cannot run commands: its native runtime runs instead when
// one is installed and allowed, else it runs as it is (nil). Either way the
// run log says why, once.
func (s *session) noABI(name string, opts LocateOptions, env []string) step.Runner {
	const why = "its wasm build imports no mixbox_v1 function (abi: none), so it cannot run commands in the sandbox"
	if !opts.PreferNative { // with --prefer native the native runtime was tried first
		opts.PreferNative = true
		if loc, err := Locate(opts, name); err == nil && loc.Form == step.FormNative {
			s.log.warn("mixin %s: %s; its native runtime %s runs instead", name, why, loc.Path)
			return s.nativeRunner(name, loc.Path, env)
		}
	}
	s.log.warn("mixin %s: %s (a command it starts fails); it runs anyway, as no native runtime of it is installed and allowed, and it may not need any",
		name, why)
	return nil
}

// logDeclaration says, once per mixin, what the default policy granted a
// wasm mixin from its own mixbox.mixin section and what of it it did not,
// with the policy lines that grant it (docs/spec/policy.md).
func (s *session) logDeclaration(name string, caps wasmabi.Capabilities, pol *policy.Policy) {
	granted, refused := pol.Declaration(name, caps)
	if what := grantsText(granted); what != "" {
		s.log.info("mixin %s: granted from its own mixbox.mixin section by the default policy: %s", name, what)
	}
	if len(refused) == 0 {
		return
	}
	why := make([]string, len(refused))
	for i, r := range refused {
		why[i] = r.String()
	}
	asked := policy.Mixin{Env: caps.Env, Mount: true, Limits: policy.Builtin()}
	for _, c := range caps.Exec {
		if c != "" {
			asked.Exec = append(asked.Exec, policy.ExecGrant{Command: c})
		}
	}
	lines, _ := policy.MarshalMixin(name, asked) // a policy block of names always marshals
	s.log.warn("mixin %s declares what the default policy does not grant it: %s. A mixin cannot grant itself these; "+
		"an operator grants them with a policy file (mixbox run --policy FILE, starting from what --print-policy prints) holding:\n%s",
		name, strings.Join(why, ", "), indent(string(lines), "    "))
}

// grantsText names the commands and env keys of m: "exec helm, kubectl; env
// KUBECONFIG", "" for none.
func grantsText(m policy.Mixin) string {
	var parts []string
	if len(m.Exec) > 0 {
		cmds := make([]string, len(m.Exec))
		for i, g := range m.Exec {
			cmds[i] = g.Command
		}
		parts = append(parts, "exec "+strings.Join(cmds, ", "))
	}
	if len(m.Env) > 0 {
		parts = append(parts, "env "+strings.Join(m.Env, ", "))
	}
	return strings.Join(parts, "; ")
}

// indent prefixes every line of text with prefix, without a final newline.
func indent(text, prefix string) string {
	lines := strings.Split(strings.TrimSuffix(text, "\n"), "\n")
	for i, l := range lines {
		lines[i] = prefix + l
	}
	return strings.Join(lines, "\n")
}
