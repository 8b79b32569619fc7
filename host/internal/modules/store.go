package modules

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"

	"github.com/mixbox/mixbox/host/internal/errkind"
	"github.com/mixbox/mixbox/host/internal/wasm"
)

// MaxMemory is the engine-wide ceiling of linear memory; each mixin's
// policy caps its own instances lower.
const MaxMemory = 4 << 30

// Options configure a Store. The zero value is valid: the compiler, no
// disk cache, no logging.
type Options struct {
	// CacheDir keeps compiled code on disk across processes; "" keeps it in
	// memory only.
	CacheDir string
	// Interpreter runs every module on wazero's interpreter.
	Interpreter bool
	// Version is mixbox's version, quoted in compatibility errors.
	Version string
	// Logger receives diagnostics (background compiles); nil discards.
	Logger *slog.Logger
}

// Store compiles and keeps wasm modules: one compiler engine (with the disk
// cache) and one interpreter engine, each made on first use.
type Store struct {
	opts Options

	mu     sync.Mutex
	eng    *wasm.Engine // the compiler, with the disk cache
	interp *wasm.Engine // the interpreter, for cold modules
	loaded map[string]Loaded

	pending int  // compiles filling the cache in the background
	closing bool // Close was called while some were pending
}

// Loaded is a checked module and the engine it is compiled in.
type Loaded struct {
	Engine *wasm.Engine
	Module *wasm.Module
	// Notes are what the user should hear about the compile cache since the
	// last Load (a cache dir refused, a damaged entry discarded), once each.
	Notes []string
}

// New returns a Store.
func New(opts Options) *Store {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	return &Store{opts: opts, loaded: map[string]Loaded{}}
}

// engine returns the compiler engine, or the interpreter one.
func (s *Store) engine(ctx context.Context, interpreter bool) (*wasm.Engine, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	slot := &s.eng
	if interpreter {
		slot = &s.interp
	}
	if *slot != nil {
		return *slot, nil
	}
	opts := wasm.EngineOptions{
		MemoryLimit: MaxMemory,
		Interpreter: interpreter,
		Version:     s.opts.Version,
		Logger:      s.opts.Logger,
	}
	if !interpreter {
		opts.CacheDir = s.opts.CacheDir
	}
	eng, err := wasm.NewEngine(ctx, opts)
	if err != nil {
		return nil, fmt.Errorf("start wasm engine: %w", err)
	}
	*slot = eng
	return eng, nil
}

// Close releases the engines. A compile still filling the cache in the
// background is not waited for: it closes the compiler engine when it ends,
// or dies with the process (the cache writes its files atomically).
func (s *Store) Close(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	var errs []error
	if s.interp != nil {
		errs = append(errs, s.interp.Close(ctx))
	}
	if s.eng != nil && s.pending == 0 {
		errs = append(errs, s.eng.Close(ctx))
	}
	s.closing = s.pending > 0
	s.interp = nil
	if !s.closing {
		s.eng = nil
	}
	return errors.Join(errs...)
}

// Load checks a module and compiles it once per Store. where names its
// origin: a built-in, or a file (whose size and time join the key).
//
// With the compiler, a module whose compiled code is not in the disk cache
// yet would cost a second or more before its first step; instead it runs on
// the interpreter, which compiles about ten times faster, while the compiler
// fills the cache in the background for the next run.
func (s *Store) Load(ctx context.Context, name, where string, bin []byte) (Loaded, error) {
	key := name + "\x00" + where
	if fi, err := os.Stat(where); err == nil {
		key += fmt.Sprintf("\x00%d\x00%d", fi.Size(), fi.ModTime().UnixNano())
	}
	s.mu.Lock()
	l, ok := s.loaded[key]
	s.mu.Unlock()
	if ok {
		return l, nil
	}
	interpreter := s.opts.Interpreter
	marker := ""
	var notes []string
	if !interpreter && s.opts.CacheDir != "" {
		compiler, err := s.engine(ctx, false)
		if err != nil {
			return Loaded{}, err
		}
		notes = compiler.TakeNotes()
		if compiler.DiskCache() {
			sum := sha256.Sum256(bin)
			marker = Marker(s.opts.CacheDir, hex.EncodeToString(sum[:]))
			if _, err := os.Stat(marker); err != nil {
				interpreter = true // cold: interpret now, compile in the background
			}
		} else {
			// The cache dir is refused: nothing compiled would be kept, so
			// the interpreter, which starts ten times sooner, runs it.
			interpreter = true
		}
	}
	eng, err := s.engine(ctx, interpreter)
	if err != nil {
		return Loaded{}, err
	}
	mod, err := eng.Load(ctx, name, bin)
	notes = append(notes, eng.TakeNotes()...)
	if err != nil {
		return Loaded{Notes: notes}, loadErr(name, where, err)
	}
	if interpreter && !s.opts.Interpreter && marker != "" {
		s.fillCache(context.WithoutCancel(ctx), name, bin, marker)
	}
	l = Loaded{Engine: eng, Module: mod}
	s.mu.Lock()
	s.loaded[key] = l
	s.mu.Unlock()
	l.Notes = notes
	return l, nil
}

// loadErr words a load failure: a module the host refuses is ErrIncompatible.
func loadErr(name, where string, err error) error {
	if errors.Is(err, wasm.ErrIncompatible) {
		return errkind.WithHint(fmt.Errorf("%s: %w", where, err),
			"a mixin must be a WASI preview 1 core module exporting _start and memory and importing only wasi_snapshot_preview1 and mixbox_v1; inspect it with 'mixbox mixin inspect'")
	}
	return fmt.Errorf("load mixin %s: %w", name, err)
}

// fillCache compiles bin with the compiler engine, which writes the disk
// cache, then marks it compiled.
func (s *Store) fillCache(ctx context.Context, name string, bin []byte, marker string) {
	eng, err := s.engine(ctx, false)
	if err != nil {
		s.opts.Logger.Warn("compile in the background", "mixin", name, "err", err)
		return
	}
	s.mu.Lock()
	s.pending++
	s.mu.Unlock()
	go func() {
		failures := eng.CacheWriteFailures()
		_, err := eng.Load(ctx, name, bin)
		for _, n := range eng.TakeNotes() {
			s.opts.Logger.Warn("compile in the background", "mixin", name, "note", n)
		}
		switch {
		case err != nil: // logged below
		case eng.CacheWriteFailures() > failures:
			// Not on disk: the next process must not think it warm.
		default:
			err = writeMarker(marker)
		}
		if err != nil {
			s.opts.Logger.Warn("compile in the background", "mixin", name, "err", err)
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		s.pending--
		if s.closing && s.pending == 0 {
			_ = eng.Close(ctx) // closed late, on behalf of Close
			s.eng, s.closing = nil, false
		}
	}()
}

// Marker is the file that says the compiler has cached the module whose hex
// sha256 is sum, in the cache dir.
func Marker(dir, sum string) string {
	return filepath.Join(dir, "mixbox-"+sum+".compiled")
}

// writeMarker writes an empty marker file.
func writeMarker(path string) error {
	if err := os.WriteFile(path, nil, 0o644); err != nil {
		return fmt.Errorf("mark compiled: %w", err)
	}
	return nil
}
