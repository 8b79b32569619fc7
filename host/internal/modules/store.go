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
	"time"

	"github.com/mixbox/mixbox/host/internal/errkind"
	"github.com/mixbox/mixbox/host/internal/seed"
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
	// CompileLater leaves a cold module to another process: it runs on the
	// interpreter and is not compiled here; Cold lists it (see cold.go).
	CompileLater bool
	// Sums are the sha256 of modules known when they were built, by where
	// (BuiltInWhere for a built-in): Load does not hash those again. A
	// wrong sum names the wrong cache marker and Info.SHA256.
	Sums map[string][32]byte
	// Seed is a file that may end in a seed (package seed): the compiled
	// code of the built-in mixins, which mixbox's build appends to its
	// executable. Load unpacks a module's into an empty cache instead of
	// starting it on the interpreter. "" means none.
	Seed string
}

// BuiltInWhere is the where of the built-in mixin name for Load.
func BuiltInWhere(name string) string { return "built-in " + name }

// Store compiles and keeps wasm modules: one compiler engine (with the disk
// cache) and one interpreter engine, each made on first use.
type Store struct {
	opts Options

	mu     sync.Mutex
	eng    *wasm.Engine // the compiler, with the disk cache
	interp *wasm.Engine // the interpreter, for cold modules
	loaded map[string]Loaded

	seedOnce sync.Once
	seed     *seed.Seed // Options.Seed's, nil when it has none

	pending int  // compiles filling the cache in the background
	closing bool // Close was called while some were pending
	cold    []Cold
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

// Engine selects the wazero engine a load uses.
type Engine int

// Engines of LoadOn.
const (
	// Auto is the Store's choice: the interpreter with Options.Interpreter;
	// else, with a disk cache, the compiler for a module the cache holds and
	// the interpreter (while the compiler fills the cache) for one it does
	// not; else the compiler.
	Auto Engine = iota
	// Compiler is wazero's compiler, with the disk cache, whatever the
	// cache holds.
	Compiler
	// Interpreter is wazero's interpreter.
	Interpreter
	// Cached is the compiler for a module the disk cache holds, else the
	// interpreter, leaving the cache as it is: for a process too short to
	// gain from compiling (a test run).
	Cached
)

// Load checks a module and compiles it once per Store, on the engine Auto
// picks. where names its origin: a built-in, or a file (whose size and time
// join the key).
//
// With the compiler, a module whose compiled code is not in the disk cache
// yet would cost a second or more before its first step; instead it runs on
// the interpreter, which compiles about ten times faster, while the compiler
// fills the cache in the background for the next run.
func (s *Store) Load(ctx context.Context, name, where string, bin []byte) (Loaded, error) {
	return s.LoadOn(ctx, Auto, name, where, bin)
}

// LoadOn is Load on the engine e: Compiler and Interpreter force one.
func (s *Store) LoadOn(ctx context.Context, e Engine, name, where string, bin []byte) (Loaded, error) {
	key := fmt.Sprintf("%d\x00%s\x00%s", e, name, where)
	if fi, err := os.Stat(where); err == nil {
		key += fmt.Sprintf("\x00%d\x00%d", fi.Size(), fi.ModTime().UnixNano())
	}
	s.mu.Lock()
	l, ok := s.loaded[key]
	s.mu.Unlock()
	if ok {
		return l, nil
	}
	sum, known := s.opts.Sums[where]
	if !known {
		sum = sha256.Sum256(bin) // once per load: the engine takes it too
	}
	interpreter := e == Interpreter || e == Auto && s.opts.Interpreter
	marker := ""
	var notes []string
	if (e == Auto || e == Cached) && !interpreter {
		cold := s.opts.CacheDir == "" && e == Cached
		if s.opts.CacheDir != "" {
			compiler, err := s.engine(ctx, false)
			if err != nil {
				return Loaded{}, err
			}
			notes = compiler.TakeNotes()
			if compiler.DiskCache() {
				marker = Marker(s.opts.CacheDir, hex.EncodeToString(sum[:]))
				_, err := os.Stat(marker)
				cold = err != nil && (e != Auto || !s.unseed(ctx, compiler, name, bin, sum))
			} else {
				// The cache dir is refused: nothing compiled would be kept, so
				// the interpreter, which starts ten times sooner, runs it.
				cold = true
			}
		}
		interpreter = cold // Auto: interpret now, compile in the background
		if e == Cached {
			marker = "" // and leave the cache as it is
		}
	}
	eng, err := s.engine(ctx, interpreter)
	if err != nil {
		return Loaded{}, err
	}
	failures := eng.CacheWriteFailures()
	mod, err := eng.LoadSum(ctx, name, bin, sum)
	notes = append(notes, eng.TakeNotes()...)
	if err != nil {
		return Loaded{Notes: notes}, loadErr(name, where, err)
	}
	switch {
	case interpreter && marker != "" && s.opts.CompileLater:
		s.addCold(name, where)
	case interpreter && marker != "":
		s.fillCache(context.WithoutCancel(ctx), name, bin, sum, marker)
	case e == Compiler && s.opts.CacheDir != "" && eng.DiskCache() && eng.CacheWriteFailures() == failures:
		if err := writeMarker(Marker(s.opts.CacheDir, mod.Info().SHA256)); err != nil {
			s.opts.Logger.Warn("mark compiled", "mixin", name, "err", err)
		}
	}
	l = Loaded{Engine: eng, Module: mod}
	s.mu.Lock()
	s.loaded[key] = l
	s.mu.Unlock()
	l.Notes = notes
	return l, nil
}

// unseed unpacks the compiled code of the module bin (sha256 sum) from
// Options.Seed into the cache, when the seed holds it for this wazero and
// this CPU: the load is then warm. It reports whether it did; when it did
// not, the module starts cold as it would without a seed.
func (s *Store) unseed(ctx context.Context, eng *wasm.Engine, name string, bin []byte, sum [32]byte) bool {
	s.seedOnce.Do(func() {
		if s.opts.Seed == "" {
			return
		}
		sd, err := seed.Open(s.opts.Seed)
		if err != nil {
			s.opts.Logger.Warn("the compiled code carried in the binary is not used", "err", err)
		}
		s.seed = sd
	})
	if s.seed == nil {
		return false
	}
	stub, ok := s.seed.Stub(sum)
	if !ok || s.seed.Dir() != filepath.Base(eng.EntryDir()) {
		return false
	}
	start := time.Now()
	key, err := eng.StandInKey(ctx, name, bin, sum)
	if err != nil || key != stub {
		s.opts.Logger.Debug("the seed's compiled code is for another CPU or configuration", "mixin", name, "err", err)
		return false
	}
	if err := s.seed.Unpack(s.opts.CacheDir); err != nil {
		s.opts.Logger.Warn("the compiled code carried in the binary is not used", "mixin", name, "err", err)
		return false
	}
	s.opts.Logger.Debug("unpacked the compiled code carried in the binary", "mixin", name, "took", time.Since(start))
	return true
}

// loadErr words a load failure: a module the host refuses is ErrIncompatible.
func loadErr(name, where string, err error) error {
	if errors.Is(err, wasm.ErrIncompatible) {
		return errkind.WithHint(fmt.Errorf("%s: %w", where, err),
			"a mixin must be a WASI preview 1 core module exporting memory and _start (a command) or mixbox_step (a reactor), and importing only wasi_snapshot_preview1 and mixbox_v1; inspect it with 'mixbox mixin inspect'")
	}
	return fmt.Errorf("load mixin %s: %w", name, err)
}

// fillCache compiles bin with the compiler engine, which writes the disk
// cache, then marks it compiled.
func (s *Store) fillCache(ctx context.Context, name string, bin []byte, sum [32]byte, marker string) {
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
		_, err := eng.LoadSum(ctx, name, bin, sum)
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
