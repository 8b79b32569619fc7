package host

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/mixbox/mixbox/host/internal/wasm"
)

// PrecompileOptions configure Precompile.
type PrecompileOptions struct {
	// CacheDir is the cache to fill; empty means the default of `mixbox run`
	// (<root>/cnab/.mixbox/cache with Root, else the user cache dir).
	CacheDir string
	// Root is the --cnab-root of the runs that will use the cache.
	Root string
	// Env is mixbox's environment (HOME, XDG_CACHE_HOME for the default).
	Env []string
	// Modules are wasm files to compile; none means the built-ins.
	Modules []string
	// BuiltIns are the embedded wasm mixins, by name.
	BuiltIns map[string][]byte
	// Stdout receives one line per module.
	Stdout io.Writer
}

// Precompile compiles modules into the on-disk cache, so that the first step
// of a run in a fresh container does not pay the compile. Run it when the
// invocation image is built.
func Precompile(ctx context.Context, opts PrecompileOptions) error {
	dir := opts.CacheDir
	if dir == "" {
		dir = defaultCacheDir(newPaths(opts.Root), opts.Env)
	}
	if dir == "" {
		return withHint(fmt.Errorf("%w: no cache directory", ErrUsage), "pass --cache-dir or set MIXBOX_CACHE_DIR")
	}
	if opts.Stdout == nil {
		opts.Stdout = io.Discard
	}
	eng, err := wasm.NewEngine(ctx, wasm.EngineOptions{MemoryLimit: maxMemory, CacheDir: dir, Version: Version().Version})
	if err != nil {
		return fmt.Errorf("start wasm engine: %w", err)
	}
	defer func() { _ = eng.Close(context.WithoutCancel(ctx)) }() // the cache is already written

	type module struct {
		name string
		bin  []byte
	}
	var mods []module
	if len(opts.Modules) == 0 {
		for _, name := range sortedKeys(opts.BuiltIns) {
			mods = append(mods, module{name: name + " (built-in)", bin: opts.BuiltIns[name]})
		}
	}
	for _, p := range opts.Modules {
		bin, err := os.ReadFile(p)
		if err != nil {
			return fmt.Errorf("%w: read module: %w", ErrUsage, err)
		}
		mods = append(mods, module{name: p, bin: bin})
	}
	for _, m := range mods {
		start := time.Now()
		name := strings.TrimSuffix(filepath.Base(strings.Fields(m.name)[0]), ".wasm")
		mod, err := eng.Load(ctx, name, m.bin)
		if err != nil {
			return fmt.Errorf("%w: precompile %s: %w", ErrIncompatible, m.name, err)
		}
		if err := os.WriteFile(compiledMarker(dir, mod.Info().SHA256), nil, 0o644); err != nil {
			return fmt.Errorf("precompile %s: %w", m.name, err)
		}
		fmt.Fprintf(opts.Stdout, "compiled %s (%d bytes) in %s into %s\n", m.name, len(m.bin), round(time.Since(start)), dir)
	}
	return nil
}
