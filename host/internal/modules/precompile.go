package modules

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/mixbox/mixbox/host/internal/errkind"
	"github.com/mixbox/mixbox/host/internal/wasm"
)

// Source is a module to precompile: the name it is reported as, and where it
// came from, and its bytes.
type Source struct {
	Name  string // the mixin's name, e.g. "exec"
	Where string // its origin for the report, e.g. "exec (built-in)" or a path
	Bin   []byte
}

// Precompile compiles srcs with the compiler into the disk cache dir and
// marks each compiled, writing one line per module to w.
func Precompile(ctx context.Context, dir, version string, srcs []Source, w io.Writer) error {
	if dir == "" {
		return fmt.Errorf("%w: %w", errkind.ErrUsage, errkind.ErrNoCache)
	}
	eng, err := wasm.NewEngine(ctx, wasm.EngineOptions{MemoryLimit: MaxMemory, CacheDir: dir, Version: version})
	if err != nil {
		return fmt.Errorf("start wasm engine: %w", err)
	}
	defer func() { _ = eng.Close(context.WithoutCancel(ctx)) }() // the cache is already written
	if !eng.DiskCache() {
		return fmt.Errorf("%w: precompile into %s: %s", errkind.ErrUsage, dir, strings.Join(eng.TakeNotes(), "; "))
	}
	for _, src := range srcs {
		start := time.Now()
		failures := eng.CacheWriteFailures()
		mod, err := eng.Load(ctx, src.Name, src.Bin)
		if err != nil {
			return fmt.Errorf("precompile %s: %w", src.Where, err) // a refused module matches ErrIncompatible
		}
		if eng.CacheWriteFailures() > failures {
			return fmt.Errorf("precompile %s into %s: %s", src.Where, dir, strings.Join(eng.TakeNotes(), "; "))
		}
		if err := writeMarker(Marker(dir, mod.Info().SHA256)); err != nil {
			return fmt.Errorf("precompile %s: %w", src.Where, err)
		}
		_, _ = fmt.Fprintf(w, "compiled %s (%d bytes) in %s into %s\n", src.Where, len(src.Bin), round(time.Since(start)), dir)
	}
	return nil
}

func round(d time.Duration) time.Duration {
	if d >= time.Second {
		return d.Round(10 * time.Millisecond)
	}
	return d.Round(100 * time.Microsecond)
}
