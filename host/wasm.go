package host

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	"github.com/mixbox/mixbox/host/internal/policy"
	"github.com/mixbox/mixbox/host/internal/step"
	"github.com/mixbox/mixbox/host/internal/wasm"
)

// maxMemory is the engine-wide ceiling of linear memory; each mixin's policy
// caps its own instances lower.
const maxMemory = 4 << 30

// wasmHost compiles and runs wasm mixins for a Runtime: one engine (one
// wazero runtime, compiled modules shared) for the life of the Runtime.
type wasmHost struct {
	rt     *Runtime
	mu     sync.Mutex
	eng    *wasm.Engine
	loaded map[string]*wasm.Module // by where the module came from
}

func newWasmHost(rt *Runtime) *wasmHost {
	return &wasmHost{rt: rt, loaded: map[string]*wasm.Module{}}
}

func (w *wasmHost) engine(ctx context.Context) (*wasm.Engine, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.eng != nil {
		return w.eng, nil
	}
	eng, err := wasm.NewEngine(ctx, wasm.EngineOptions{
		MemoryLimit: maxMemory,
		Interpreter: w.rt.opts.Interpreter,
		CacheDir:    w.rt.cacheDir(),
		Version:     Version().Version,
		Logger:      w.rt.logger,
	})
	if err != nil {
		return nil, fmt.Errorf("start wasm engine: %w", err)
	}
	w.eng = eng
	return eng, nil
}

func (w *wasmHost) close(ctx context.Context) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.eng == nil {
		return nil
	}
	err := w.eng.Close(ctx)
	w.eng = nil
	return err
}

// load compiles (once per process) and checks a module. where names the
// module's origin: a built-in, or a file with its size and time, so a
// Runtime that runs many actions checks and hashes each module once.
func (w *wasmHost) load(ctx context.Context, name, where string, bin []byte) (*wasm.Module, error) {
	key := name + "\x00" + where
	if fi, err := os.Stat(where); err == nil {
		key += fmt.Sprintf("\x00%d\x00%d", fi.Size(), fi.ModTime().UnixNano())
	}
	w.mu.Lock()
	mod, ok := w.loaded[key]
	w.mu.Unlock()
	if ok {
		return mod, nil
	}
	eng, err := w.engine(ctx)
	if err != nil {
		return nil, err
	}
	mod, err = eng.Load(ctx, name, bin)
	if err != nil {
		if errors.Is(err, wasm.ErrIncompatible) {
			return nil, withHint(fmt.Errorf("%s: %w", where, kindError{ErrIncompatible, err}),
				"a mixin must be a WASI preview 1 core module exporting _start and memory and importing only wasi_snapshot_preview1 and mixbox_v1; inspect it with 'mixbox mixin inspect'")
		}
		return nil, fmt.Errorf("load mixin %s: %w", name, err)
	}
	w.mu.Lock()
	w.loaded[key] = mod
	w.mu.Unlock()
	return mod, nil
}

func (w *wasmHost) runner(ctx context.Context, name, where string, bin []byte, form step.Form, b *bundle, env []string, pol *policy.Policy) (step.Runner, error) {
	mod, err := w.load(ctx, name, where, bin)
	if err != nil {
		return nil, err
	}
	mp := w.rt.mixinPolicy(name, mod, pol)
	exe := w.rt.executor(mp, env)
	var mounts []wasm.Mount
	for _, m := range mp.Mounts {
		mounts = append(mounts, wasm.Mount{Host: w.rt.paths.real(m), Guest: m})
	}
	eng, err := w.engine(ctx)
	if err != nil {
		return nil, err
	}
	return wasm.NewRunner(eng, mod, wasm.RunnerOptions{
		Form:      form,
		Policy:    mp,
		Executor:  exe,
		BundleDir: w.rt.paths.bundleDir(),
		Mounts:    mounts,
		Env:       envMap(env),
		Logger:    w.rt.logger,
	}), nil
}

// cacheDir is the compiled-module cache: Options.CacheDir, else
// <root>/cnab/.mixbox/cache when it can be made, else the user cache dir.
func (rt *Runtime) cacheDir() string {
	if rt.opts.CacheDir != "" {
		return rt.opts.CacheDir
	}
	return defaultCacheDir(rt.paths, rt.opts.Env)
}

func defaultCacheDir(p paths, env []string) string {
	dir := p.real("/cnab/.mixbox/cache")
	if err := os.MkdirAll(dir, 0o755); err == nil {
		if f, err := os.CreateTemp(dir, ".probe-"); err == nil {
			name := f.Name()
			_ = f.Close()
			_ = os.Remove(name) // only a probe
			return dir
		}
	}
	if x, ok := lookup(env, "XDG_CACHE_HOME"); ok && x != "" {
		return filepath.Join(x, "mixbox")
	}
	if h, ok := lookup(env, "HOME"); ok && h != "" {
		return filepath.Join(h, ".cache", "mixbox")
	}
	return ""
}
