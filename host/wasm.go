package host

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
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

// wasmHost compiles and runs wasm mixins for a Runtime: one compiler engine
// (compiled modules shared, cached on disk) for the life of the Runtime, and
// an interpreter engine for modules whose compiled code is not cached yet.
type wasmHost struct {
	rt     *Runtime
	mu     sync.Mutex
	eng    *wasm.Engine // the compiler, with the disk cache
	interp *wasm.Engine // the interpreter, for cold modules
	loaded map[string]loadedModule

	pending int  // compiles filling the cache in the background
	closing bool // close was called while some were pending
}

// loadedModule is a checked module and the engine it is compiled in.
type loadedModule struct {
	eng *wasm.Engine
	mod *wasm.Module
}

func newWasmHost(rt *Runtime) *wasmHost {
	return &wasmHost{rt: rt, loaded: map[string]loadedModule{}}
}

// engine returns the compiler engine, or the interpreter one.
func (w *wasmHost) engine(ctx context.Context, interpreter bool) (*wasm.Engine, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	slot := &w.eng
	if interpreter {
		slot = &w.interp
	}
	if *slot != nil {
		return *slot, nil
	}
	opts := wasm.EngineOptions{
		MemoryLimit: maxMemory,
		Interpreter: interpreter,
		Version:     Version().Version,
		Logger:      w.rt.logger,
	}
	if !interpreter {
		opts.CacheDir = w.rt.cacheDir()
	}
	eng, err := wasm.NewEngine(ctx, opts)
	if err != nil {
		return nil, fmt.Errorf("start wasm engine: %w", err)
	}
	*slot = eng
	return eng, nil
}

// close releases the engines. A compile still filling the cache in the
// background is not waited for: it closes the compiler engine when it ends,
// or dies with the process (the cache writes its files atomically).
func (w *wasmHost) close(ctx context.Context) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	var errs []error
	if w.interp != nil {
		errs = append(errs, w.interp.Close(ctx))
	}
	if w.eng != nil && w.pending == 0 {
		errs = append(errs, w.eng.Close(ctx))
	}
	w.closing = w.pending > 0
	w.interp = nil
	if !w.closing {
		w.eng = nil
	}
	return errors.Join(errs...)
}

// load checks a module and compiles it once per Runtime. where names its
// origin: a built-in, or a file (with its size and time in the key).
//
// With the compiler, a module whose compiled code is not in the disk cache
// yet would cost a second or more before its first step; instead it runs on
// the interpreter, which compiles about ten times faster, while the compiler
// fills the cache in the background for the next run.
func (w *wasmHost) load(ctx context.Context, name, where string, bin []byte) (loadedModule, error) {
	key := name + "\x00" + where
	if fi, err := os.Stat(where); err == nil {
		key += fmt.Sprintf("\x00%d\x00%d", fi.Size(), fi.ModTime().UnixNano())
	}
	w.mu.Lock()
	lm, ok := w.loaded[key]
	w.mu.Unlock()
	if ok {
		return lm, nil
	}
	interpreter := w.rt.opts.Interpreter
	marker := ""
	if !interpreter && w.rt.cacheDir() != "" {
		sum := sha256.Sum256(bin)
		marker = compiledMarker(w.rt.cacheDir(), hex.EncodeToString(sum[:]))
		if _, err := os.Stat(marker); err != nil {
			interpreter = true // cold: interpret now, compile in the background
		}
	}
	eng, err := w.engine(ctx, interpreter)
	if err != nil {
		return loadedModule{}, err
	}
	mod, err := eng.Load(ctx, name, bin)
	if err != nil {
		if errors.Is(err, wasm.ErrIncompatible) {
			return loadedModule{}, withHint(fmt.Errorf("%s: %w", where, kindError{ErrIncompatible, err}),
				"a mixin must be a WASI preview 1 core module exporting memory and _start (a command) or mixbox_step (a reactor), and importing only wasi_snapshot_preview1 and mixbox_v1; inspect it with 'mixbox mixin inspect'")
		}
		return loadedModule{}, fmt.Errorf("load mixin %s: %w", name, err)
	}
	if interpreter && !w.rt.opts.Interpreter && marker != "" {
		w.fillCache(context.WithoutCancel(ctx), name, bin, marker)
	}
	lm = loadedModule{eng: eng, mod: mod}
	w.mu.Lock()
	w.loaded[key] = lm
	w.mu.Unlock()
	return lm, nil
}

// fillCache compiles bin with the compiler engine, which writes the disk
// cache, then marks it compiled.
func (w *wasmHost) fillCache(ctx context.Context, name string, bin []byte, marker string) {
	eng, err := w.engine(ctx, false)
	if err != nil {
		w.rt.logger.Warn("compile in the background", "mixin", name, "err", err)
		return
	}
	w.mu.Lock()
	w.pending++
	w.mu.Unlock()
	go func() {
		if _, err := eng.Load(ctx, name, bin); err != nil {
			w.rt.logger.Warn("compile in the background", "mixin", name, "err", err)
		} else if err := os.WriteFile(marker, nil, 0o644); err != nil {
			w.rt.logger.Warn("mark compiled", "mixin", name, "err", err)
		}
		w.mu.Lock()
		defer w.mu.Unlock()
		w.pending--
		if w.closing && w.pending == 0 {
			_ = eng.Close(ctx) // closed late, on behalf of close
			w.eng, w.closing = nil, false
		}
	}()
}

func (w *wasmHost) runner(ctx context.Context, name, where string, bin []byte, form step.Form, b *bundle, env []string, pol *policy.Policy) (step.Runner, error) {
	lm, err := w.load(ctx, name, where, bin)
	if err != nil {
		return nil, err
	}
	mp := w.rt.mixinPolicy(name, lm.mod, pol)
	var mounts []wasm.Mount
	for _, m := range mp.Mounts {
		host := m // an operator's mounts are host paths, "same path inside as outside"
		if pol.Default {
			host = w.rt.paths.real(m) // the bundle's own paths, under --cnab-root
		}
		mounts = append(mounts, wasm.Mount{Host: host, Guest: m})
	}
	return wasm.NewRunner(lm.eng, lm.mod, wasm.RunnerOptions{
		Form:      form,
		Policy:    mp,
		Executor:  w.rt.executor(name, mp, pol, b, env),
		BundleDir: w.rt.paths.bundleDir(),
		Mounts:    mounts,
		Env:       envMap(w.rt.opts.Env), // abi-v1 §2: copied from mixbox's environment when set
		Logger:    w.rt.logger,
	}), nil
}

// cacheDir is the compiled-module cache: Options.CacheDir, else
// <root>/cnab/.mixbox/cache when it can be made, else the user cache dir.
func (rt *Runtime) cacheDir() string {
	rt.cacheOnce.Do(func() {
		rt.cache = rt.opts.CacheDir
		if rt.cache == "" {
			rt.cache = defaultCacheDir(rt.paths, rt.opts.Env)
		}
	})
	return rt.cache
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

// compiledMarker is the file that says the compiler has cached the module
// whose hex sha256 is sum (written by fillCache and Precompile).
func compiledMarker(dir, sum string) string {
	return filepath.Join(dir, "mixbox-"+sum+".compiled")
}
