package wasm

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sync"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/experimental"
	"golang.org/x/sync/singleflight"

	"github.com/mixbox/mixbox/host/internal/compcache"
	"github.com/mixbox/mixbox/wasmabi"
)

// DefaultMemoryLimit is the memory cap of an Engine whose options leave it
// zero: the policy's default memory (docs/spec/policy.md).
const DefaultMemoryLimit = 256 << 20

// maxPages is the largest memory a 32-bit wasm module can have.
const maxPages = 65536

// EngineOptions configures an Engine. The zero value is valid: compiler,
// in-memory compilation cache, a DefaultMemoryLimit memory cap, no logging.
type EngineOptions struct {
	// MemoryLimit is the largest linear memory, in bytes, that any instance
	// in this engine may have: the wazero runtime's memory limit. A Runner's
	// policy may set a lower cap, never a higher one. Rounded down to 64 KiB
	// pages; zero means DefaultMemoryLimit.
	MemoryLimit int64
	// Interpreter selects wazero's interpreter instead of its compiler.
	Interpreter bool
	// CacheDir, when set, keeps compiled code on disk there across processes
	// (package compcache: each entry checked before use), and what the
	// engine learnt of a reactor's code (see Engine.tableWrites). A
	// directory that another user can write is not used: the engine
	// compiles in memory and TakeNotes says why.
	CacheDir string
	// Version is mixbox's version, quoted in compatibility errors.
	Version string
	// Logger receives host-side diagnostics; nil discards them.
	Logger *slog.Logger
}

// Engine is one wazero runtime, one trust domain. It is safe for concurrent
// use; modules compiled in it are shared by all its runners.
type Engine struct {
	rt         wazero.Runtime
	cache      wazero.CompilationCache
	disk       *compcache.Cache // nil without a usable CacheDir
	limitPages uint32
	interp     bool
	cacheDir   string
	version    string
	logger     *slog.Logger
	sigs       hostSigs

	group     singleflight.Group
	compileMu sync.Mutex // one compile at a time with a disk cache (stub.go)
	mu        sync.Mutex
	compiled  map[[32]byte]*Module
	closed    bool
	notes     []string // about the disk cache, for TakeNotes
}

// runtimeMu serialises wazero.NewRuntimeWithConfig: wazero's compiler
// stores wazero's version in a package variable the first time it is made,
// with no lock, so two engines made at once (two runs in one process) race
// on it.
var runtimeMu sync.Mutex

// newRuntime is wazero.NewRuntimeWithConfig, one call at a time.
func newRuntime(ctx context.Context, cfg wazero.RuntimeConfig) wazero.Runtime {
	runtimeMu.Lock()
	defer runtimeMu.Unlock()
	return wazero.NewRuntimeWithConfig(ctx, cfg)
}

// NewEngine creates a runtime with WASI preview 1 and the mixbox_v1 host
// module instantiated in it.
func NewEngine(ctx context.Context, opts EngineOptions) (*Engine, error) {
	limit := opts.MemoryLimit
	if limit <= 0 {
		limit = DefaultMemoryLimit
	}
	pages := uint32(min(limit/pageSize, maxPages))
	if pages == 0 {
		return nil, fmt.Errorf("create engine: memory limit %d bytes is under one 64 KiB page", limit)
	}
	cache := wazero.NewCompilationCache()
	var disk *compcache.Cache
	var notes []string
	if opts.CacheDir != "" {
		c, err := compcache.Open(opts.CacheDir)
		switch {
		case errors.Is(err, compcache.ErrUnsafeDir), errors.Is(err, compcache.ErrNoHook):
			// Never load compiled code from it: compile in memory.
			notes = append(notes, "the compile cache is not used: "+err.Error()+
				"; make it private to this user (chmod go-w) to keep compiled code between runs")
		case err != nil:
			return nil, fmt.Errorf("create engine: %w", err)
		default:
			disk, cache = c, c.Wazero()
		}
	}
	cfg := wazero.NewRuntimeConfigCompiler()
	if opts.Interpreter {
		cfg = wazero.NewRuntimeConfigInterpreter()
	}
	cfg = cfg.WithCloseOnContextDone(true).
		WithMemoryLimitPages(pages).
		WithCompilationCache(cache)
	e := &Engine{
		rt:         newRuntime(ctx, cfg),
		cache:      cache,
		disk:       disk,
		notes:      notes,
		limitPages: pages,
		interp:     opts.Interpreter,
		cacheDir:   opts.CacheDir,
		version:    opts.Version,
		logger:     opts.Logger,
		compiled:   map[[32]byte]*Module{},
	}
	if e.version == "" {
		e.version = "dev"
	}
	if e.logger == nil {
		e.logger = slog.New(slog.DiscardHandler)
	}
	if err := e.init(ctx); err != nil {
		_ = e.Close(ctx) // the init error is the one to report
		return nil, fmt.Errorf("create engine: %w", err)
	}
	return e, nil
}

func (e *Engine) init(ctx context.Context) error {
	// The listeners let a reactor see what a step does to its descriptors.
	if err := instantiateWASI(experimental.WithFunctionListenerFactory(ctx, fdListeners()), e.rt); err != nil {
		return fmt.Errorf("instantiate %s: %w", wasmabi.WASIModule, err)
	}
	if err := instantiateHost(ctx, e.rt); err != nil {
		return err
	}
	wasi := map[string]string{}
	for name, d := range e.rt.Module(wasmabi.WASIModule).ExportedFunctionDefinitions() {
		wasi[name] = defSig(d)
	}
	e.sigs = hostSigs{wasmabi.WASIModule: wasi, wasmabi.Module: mixboxSigs()}
	return nil
}

// Interpreter reports whether the engine is wazero's interpreter.
func (e *Engine) Interpreter() bool { return e.interp }

// DiskCache reports whether compiled code is kept in and loaded from the
// CacheDir of the options.
func (e *Engine) DiskCache() bool { return e.disk != nil }

// CacheWriteFailures returns how many compiled modules could not be
// written to the disk cache so far.
func (e *Engine) CacheWriteFailures() int {
	if e.disk == nil {
		return 0
	}
	return e.disk.WriteFailures()
}

// TakeNotes returns, once each, what the user should hear about the disk
// cache: a CacheDir refused and why, entries found damaged and discarded.
func (e *Engine) TakeNotes() []string {
	e.mu.Lock()
	notes := e.notes
	e.notes = nil
	e.mu.Unlock()
	if e.disk != nil {
		notes = append(notes, e.disk.TakeNotes()...)
	}
	return notes
}

// MemoryLimit returns the engine's memory cap in bytes.
func (e *Engine) MemoryLimit() int64 { return int64(e.limitPages) * pageSize }

// Close closes the runtime, every module compiled in it, and the
// compilation cache (the on-disk cache stays on disk).
func (e *Engine) Close(ctx context.Context) error {
	e.mu.Lock()
	e.closed = true
	e.mu.Unlock()
	if err := e.rt.Close(ctx); err != nil {
		return fmt.Errorf("close engine: %w", err)
	}
	if err := e.cache.Close(ctx); err != nil {
		return fmt.Errorf("close engine: %w", err)
	}
	return nil
}

// Module is a checked module, compiled in one Engine. It is immutable and
// shared by every runner of its engine.
type Module struct {
	name     string
	info     Info
	minPages uint64
	compiled wazero.CompiledModule // nil when the initial memory is over the engine's cap
	reactor  *reactorModule        // nil for a command module
	standIn  bool                  // compiled is the module's code loaded for its stand-in (stub.go)
	data     []dataSegment         // what the stand-in left out, written into every instance (data.go)
	sum      [32]byte              // the module's sha256
}

// reactorModule is what the host needs to restore a reactor's instances
// (abi-v1 §1a).
type reactorModule struct {
	// globals are the export names of the module's mutable globals (see
	// exportGlobals).
	globals []string
	// fresh is why instances cannot be restored, so that every step runs on
	// a new instance; empty when they can.
	fresh string
	// envPerStep is whether the module exports mixbox_env_per_step, so
	// that an initialization image of it may be kept (initimage.go).
	envPerStep bool
}

// newReactorModule prepares bin, a checked reactor whose sha256 is sum, for
// restoring: its mutable globals exported, and whether any state it can
// change escapes the restore. It returns the bytes to compile.
func (e *Engine) newReactorModule(bin []byte, sum [32]byte, p *parsed) ([]byte, *reactorModule, error) {
	out, names, err := exportGlobals(bin, p)
	if err != nil {
		return nil, nil, err
	}
	_, _, envPerStep := p.export(wasmabi.ExportEnvPerStep)
	rm := &reactorModule{globals: names, envPerStep: envPerStep}
	if slices.ContainsFunc(p.globals, func(g globalType) bool { return g.mutable && g.val == 0x7b }) {
		rm.fresh = "it has a mutable v128 global, which the host cannot restore"
	} else if e.tableWrites(sum, p.code) {
		rm.fresh = "it writes a table or drops a segment, which the host cannot restore"
	}
	return out, rm, nil
}

// tableWrites reports whether code writes a table or drops a segment (or
// does not decode). Scanning the code of a Go module takes about 10 ms, so
// with a cache dir the answer is kept there, next to the compiled code, in
// mixbox-SHA256.reactor1 ("1" when it writes, "0" when not).
func (e *Engine) tableWrites(sum [32]byte, code []byte) bool {
	file := ""
	if e.cacheDir != "" {
		file = filepath.Join(e.cacheDir, "mixbox-"+hex.EncodeToString(sum[:])+".reactor1")
		switch b, _ := os.ReadFile(file); string(b) {
		case "0":
			return false
		case "1":
			return true
		}
	}
	writes, err := mutatesTables(code)
	writes = writes || err != nil
	if file != "" {
		v := "0"
		if writes {
			v = "1"
		}
		if err := compcache.WriteFile(file, []byte(v)); err != nil {
			e.logger.Warn("keep the reactor scan in the cache", "file", file, "error", err)
		}
	}
	return writes
}

// Name returns the mixin name the module was loaded as.
func (m *Module) Name() string { return m.name }

// Info returns the module's description.
func (m *Module) Info() Info { return m.info }

// Load checks bin (abi-v1 §1, §8.10) and compiles it, once per engine for
// identical bytes. A module that fails a check returns an error matching
// ErrIncompatible. A module whose initial memory is over the engine's cap
// loads, and every step run with it fails with ErrMemoryCap (abi-v1 §8.7).
// A damaged disk-cache entry is discarded and the module compiled again
// (TakeNotes says so).
func (e *Engine) Load(ctx context.Context, name string, bin []byte) (*Module, error) {
	return e.LoadSum(ctx, name, bin, sha256.Sum256(bin))
}

// LoadSum is Load of bin whose sha256 the caller has computed already: the
// module is hashed once per load (wazero hashes it once more for its cache).
func (e *Engine) LoadSum(ctx context.Context, name string, bin []byte, sum [32]byte) (*Module, error) {
	m, err := e.load(ctx, name, bin, sum)
	if errors.Is(err, compcache.ErrDiscarded) {
		return e.load(ctx, name, bin, sum) // the entry is gone: this compiles
	}
	return m, err
}

func (e *Engine) load(ctx context.Context, name string, bin []byte, sum [32]byte) (*Module, error) {
	p, info, err := checkModule(name, e.version, bin, sum, e.sigs)
	if err != nil {
		return nil, err
	}
	e.mu.Lock()
	m, ok := e.compiled[sum]
	closed := e.closed
	e.mu.Unlock()
	if closed {
		return nil, fmt.Errorf("load mixin %s: %w", name, ErrClosed)
	}
	if ok {
		return m.as(name, info), nil
	}
	v, err, _ := e.group.Do(hex.EncodeToString(sum[:]), func() (any, error) {
		e.mu.Lock()
		m, ok := e.compiled[sum]
		e.mu.Unlock()
		if ok {
			return m, nil
		}
		m = &Module{name: name, info: info, minPages: p.memMin, sum: sum}
		code := bin
		if info.Kind == wasmabi.KindReactor {
			var err error
			if code, m.reactor, err = e.newReactorModule(bin, sum, p); err != nil {
				return nil, moduleErr(name, err)
			}
		}
		if p.memMin <= uint64(e.limitPages) {
			cm, viaStandIn, data, err := e.compile(ctx, name, code, sum)
			if err != nil {
				if errors.Is(err, compcache.ErrDiscarded) {
					return nil, fmt.Errorf("compile mixin %s: %w", name, err)
				}
				if ctx.Err() != nil {
					return nil, fmt.Errorf("compile mixin %s: %w", name, context.Cause(ctx))
				}
				return nil, moduleErr(name, fmt.Errorf("%w: %w", ErrMalformed, err))
			}
			m.compiled, m.standIn, m.data = cm, viaStandIn, data
		}
		e.mu.Lock()
		e.compiled[sum] = m
		e.mu.Unlock()
		return m, nil
	})
	if err != nil {
		return nil, err
	}
	return v.(*Module).as(name, info), nil
}

// as returns m under another mixin name, sharing the compiled code.
func (m *Module) as(name string, info Info) *Module {
	if m.name == name {
		return m
	}
	c := *m
	c.name, c.info = name, info
	return &c
}
