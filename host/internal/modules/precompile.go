package modules

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
	"time"

	"github.com/tetratelabs/wazero/experimental"

	"github.com/mixbox/mixbox/host/internal/errkind"
	"github.com/mixbox/mixbox/host/internal/policy"
	"github.com/mixbox/mixbox/host/internal/wasm"
	"github.com/mixbox/mixbox/wasmabi"
)

// Source is a module to precompile: the name it is reported as, and where it
// came from, and its bytes.
type Source struct {
	Name  string // the mixin's name, e.g. "exec"
	Where string // its origin for the report, e.g. "exec (built-in)" or a path
	Bin   []byte
}

// PrecompileOptions configure Precompile.
type PrecompileOptions struct {
	Dir     string // the disk cache; required
	Version string // mixbox's version, quoted in compatibility errors
	Sources []Source
	// Stdout receives one line per module; nil discards.
	Stdout io.Writer
	// Claim makes this a background fill (cold.go): a module the cache
	// holds already, or that another fill has claimed, is skipped, and each
	// is claimed while it compiles, for at most FillTimeout.
	Claim bool
}

// Precompile compiles the sources with the compiler, on every CPU, into the
// disk cache and marks each compiled.
func Precompile(ctx context.Context, opts PrecompileOptions) error {
	if opts.Dir == "" {
		return fmt.Errorf("%w: %w", errkind.ErrUsage, errkind.ErrNoCache)
	}
	w := opts.Stdout
	if w == nil {
		w = io.Discard
	}
	eng, err := wasm.NewEngine(ctx, wasm.EngineOptions{MemoryLimit: MaxMemory, CacheDir: opts.Dir, Version: opts.Version})
	if err != nil {
		return fmt.Errorf("start wasm engine: %w", err)
	}
	defer func() { _ = eng.Close(context.WithoutCancel(ctx)) }() // the cache is already written
	if !eng.DiskCache() {
		return fmt.Errorf("%w: precompile into %s: %s", errkind.ErrUsage, opts.Dir, strings.Join(eng.TakeNotes(), "; "))
	}
	// wazero compiles the functions of a module on this many goroutines.
	ctx = experimental.WithCompilationWorkers(ctx, runtime.GOMAXPROCS(0))
	for _, src := range opts.Sources {
		if err := precompileOne(ctx, eng, opts, src, w); err != nil {
			return err
		}
	}
	return nil
}

func precompileOne(ctx context.Context, eng *wasm.Engine, opts PrecompileOptions, src Source, w io.Writer) error {
	start := time.Now()
	sum := sha256.Sum256(src.Bin)
	hexSum := hex.EncodeToString(sum[:])
	if opts.Claim {
		if _, err := os.Stat(Marker(opts.Dir, hexSum)); err == nil {
			return nil // warm already
		}
		ok, err := claim(Claim(opts.Dir, hexSum), time.Now())
		if err != nil || !ok {
			return err // another fill has it
		}
		defer func() { _ = os.Remove(Claim(opts.Dir, hexSum)) }() // done either way
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, FillTimeout)
		defer cancel()
	}
	failures := eng.CacheWriteFailures()
	m, err := eng.LoadSum(ctx, src.Name, src.Bin, sum)
	if err != nil {
		return fmt.Errorf("precompile %s: %w", src.Where, err) // a refused module matches ErrIncompatible
	}
	if err := keepImage(ctx, eng, m); err != nil {
		// Runs initialize the mixin themselves, and fail with the same error.
		_, _ = fmt.Fprintf(w, "no initialization image of %s: %v\n", src.Where, err)
	}
	if eng.CacheWriteFailures() > failures {
		return fmt.Errorf("precompile %s into %s: %s", src.Where, opts.Dir, strings.Join(eng.TakeNotes(), "; "))
	}
	if err := writeMarker(Marker(opts.Dir, hexSum)); err != nil {
		return fmt.Errorf("precompile %s: %w", src.Where, err)
	}
	_, _ = fmt.Fprintf(w, "compiled %s (%d bytes) in %s into %s\n", src.Where, len(src.Bin), round(time.Since(start)), opts.Dir)
	return nil
}

// keepImage keeps the initialization image of m, a reactor that allows one,
// for the mounts a step has by default: the bundle directory at /cnab/app
// and nothing else (wasm.Runner.KeepImage). Which directory it is does not
// matter: the image depends on the guest's paths only.
func keepImage(ctx context.Context, eng *wasm.Engine, m *wasm.Module) error {
	if m.Info().Kind != wasmabi.KindReactor {
		return nil
	}
	dir, err := os.MkdirTemp("", "mixbox-precompile-")
	if err != nil {
		return err
	}
	defer func() { _ = os.RemoveAll(dir) }() // empty, ours
	r := wasm.NewRunner(eng, m, wasm.RunnerOptions{Policy: policy.Mixin{Mount: true}, BundleDir: dir})
	defer func() { _ = r.Close(context.WithoutCancel(ctx)) }() // no instance is kept
	_, err = r.KeepImage(ctx)
	return err
}

func round(d time.Duration) time.Duration {
	if d >= time.Second {
		return d.Round(10 * time.Millisecond)
	}
	return d.Round(100 * time.Microsecond)
}
