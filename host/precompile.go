package host

import (
	"context"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/mixbox/mixbox/host/internal/modules"
)

// PrecompileOptions configure Precompile.
type PrecompileOptions struct {
	// CacheDir is the cache to fill (DefaultCacheDir gives the CLI's
	// default). Required.
	CacheDir string
	// Modules are wasm files to compile; none means the built-ins.
	Modules []string
	// BuiltIns are the embedded wasm mixins, by name.
	BuiltIns map[string][]byte
	// Stdout receives one line per module.
	Stdout io.Writer
	// Background makes this the fill a short run leaves behind (see
	// Options.CompileLater): the built-ins are compiled as well as Modules,
	// what the cache holds or another fill is compiling is skipped, and
	// each module is given at most ten minutes.
	Background bool
}

// Precompile compiles modules into the on-disk cache, so that the first step
// of a run in a fresh container does not pay the compile. Run it when the
// invocation image is built.
func Precompile(ctx context.Context, opts PrecompileOptions) error {
	if opts.Stdout == nil {
		opts.Stdout = io.Discard
	}
	var srcs []modules.Source
	if len(opts.Modules) == 0 || opts.Background {
		for _, name := range slices.Sorted(maps.Keys(opts.BuiltIns)) {
			srcs = append(srcs, modules.Source{Name: name, Where: name + " (built-in)", Bin: opts.BuiltIns[name]})
		}
	}
	for _, p := range opts.Modules {
		bin, err := os.ReadFile(p)
		if err != nil {
			return fmt.Errorf("%w: read module: %w", ErrUsage, err)
		}
		name := strings.TrimSuffix(strings.TrimSuffix(filepath.Base(p), ".wasm"), "-runtime")
		srcs = append(srcs, modules.Source{Name: name, Where: p, Bin: bin})
	}
	return modules.Precompile(ctx, modules.PrecompileOptions{
		Dir: opts.CacheDir, Version: Version().Version, Sources: srcs, Stdout: opts.Stdout, Claim: opts.Background,
	})
}
