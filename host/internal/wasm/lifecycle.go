package wasm

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
	"time"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/experimental"
	"github.com/tetratelabs/wazero/sys"

	"github.com/mixbox/mixbox/host/internal/step"
	"github.com/mixbox/mixbox/wasmabi"
)

// This file is the whole life of an instance, for both kinds of module.
// A command: instantiate, _start, close, once per step. A reactor (abi-v1
// §1a): instantiate and _initialize once, snapshot; per step mixbox_step,
// then restore to the snapshot (memory contents and size, mutable globals,
// deterministic clocks) or, when the step trapped, timed out, exited, or
// left state the snapshot does not cover, discard the instance so that the
// next step starts from a new one.

// runStep runs one step of in with the host state inst; ctx carries inst and
// the step's deadline.
func (r *Runner) runStep(ctx context.Context, in step.Input, inst *instance, capPages uint64) error {
	if r.mod.reactor != nil {
		return r.runReactor(ctx, in, inst, capPages)
	}
	if capPages < uint64(r.eng.limitPages) {
		ctx = experimental.WithMemoryAllocator(ctx, capAllocator{limit: capPages * pageSize})
	}
	return r.runCommand(ctx, in, inst)
}

// runCommand is the whole life of a command instance.
func (r *Runner) runCommand(ctx context.Context, in step.Input, inst *instance) error {
	fsCfg, closeFS, err := r.mounts()
	defer closeFS()
	if err != nil {
		return err
	}
	cfg, _ := r.moduleConfig(in, fsCfg, bytes.NewReader(in.Stdin), inst.guestOut, inst.guestErr)
	mod, err := r.eng.rt.InstantiateModule(ctx, r.mod.compiled, cfg)
	if err != nil {
		return err
	}
	defer func() { _ = mod.Close(context.WithoutCancel(ctx)) }() // the instance is done either way
	if err := writeData(mod.Memory(), r.mod.data); err != nil {
		return fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	start := mod.ExportedFunction(wasmabi.ExportStart)
	if start == nil { // checked at load; kept so a nil never panics here
		return fmt.Errorf("%w: no _start export", ErrMissingExport)
	}
	_, err = start.Call(withView(ctx, r.view(in)))
	return err
}

// reactorInstance is a reactor instance and what restoring it needs.
type reactorInstance struct {
	mod     api.Module
	step    api.Function
	mem     *snapMemory
	globals []api.MutableGlobal
	values  []uint64 // of globals, at the snapshot
	tracker *fdTracker
	clock   *guestClock // deterministic clocks; nil with real ones
	mono    *monoClock  // the real monotonic clock (initimage.go)
	stdin   *swapReader
	stdout  *swapWriter
	stderr  *swapWriter
	closeFS func()
	key     string     // the argv and action it was made for
	view    *guestView // what its steps see of argv and env: the same for every step of key
	snapped bool       // a snapshot was taken: restoring is possible
	// initDirty is the first function _initialize called that an image
	// cannot replay; empty when there was none.
	initDirty string
}

// swapReader and swapWriter are a reactor instance's stdio, pointed at each
// step's streams while it runs and at nothing in between.
type swapReader struct{ r io.Reader }

func (s *swapReader) Read(p []byte) (int, error) { return s.r.Read(p) }

type swapWriter struct{ w io.Writer }

func (s *swapWriter) Write(p []byte) (int, error) { return s.w.Write(p) }

// reactorKey is what an instance's WASI view depends on beyond the
// runner's options: argv and the action (CNAB_ACTION).
func reactorKey(argv []string, action string) string {
	return strings.Join(argv, "\x00") + "\x00\x00" + action
}

// runReactor runs one step on a restored instance, making one first when
// there is none.
func (r *Runner) runReactor(ctx context.Context, in step.Input, inst *instance, capPages uint64) error {
	key := reactorKey(r.argv(in), in.Action)
	ri := r.take(ctx, key)
	if ri == nil {
		var err error
		if ri, err = r.newReactor(ctx, in, inst, capPages, key); err != nil {
			return err
		}
	}
	ri.stdin.r = bytes.NewReader(in.Stdin)
	ri.stdout.w, ri.stderr.w = inst.guestOut, inst.guestErr
	results, err := ri.step.Call(withView(withTracker(ctx, ri.tracker), ri.view))
	ri.stdin.r = bytes.NewReader(nil)
	ri.stdout.w, ri.stderr.w = io.Discard, io.Discard
	if err != nil { // a trap, proc_exit or the step's context: discarded
		r.discard(ctx, ri)
		return err
	}
	r.release(ctx, ri, ctx.Err() == nil)
	if len(results) != 1 {
		return fmt.Errorf("%w: mixbox_step returned %d values", ErrStepSignature, len(results))
	}
	if code := api.DecodeI32(results[0]); code != 0 {
		return sys.NewExitError(uint32(code))
	}
	return nil
}

// newReactor instantiates the module and runs _initialize, both as part of
// the step inst is for (its log, its quotas, its deadline), then takes the
// snapshot later steps are restored to. When the disk cache holds an
// initialization image of the module, the instance starts from it instead
// of running _initialize; when it could hold one and does not, the
// snapshot is kept there as one (initimage.go).
func (r *Runner) newReactor(ctx context.Context, in step.Input, inst *instance, capPages uint64, key string) (*reactorInstance, error) {
	path, imgKey := r.image()
	var img *initImage
	if path != "" {
		var err error
		img, err = openImage(path, imgKey, len(r.mod.reactor.globals), capPages*pageSize)
		switch {
		case errors.Is(err, errImageOverCap):
			r.opts.Logger.DebugContext(ctx, "initialization image not used; _initialize runs", "mixin", r.mod.name, "error", err)
			path = "" // kept for steps with a larger cap
		case err != nil && !errors.Is(err, fs.ErrNotExist):
			r.dropImage(ctx, path, err)
		}
	}
	ri, err := r.startReactor(ctx, in, inst, capPages, key, img)
	if errors.Is(err, errBadImage) {
		r.dropImage(ctx, path, err)
		img = nil
		ri, err = r.startReactor(ctx, in, inst, capPages, key, nil)
	}
	if err != nil {
		return nil, err
	}
	inst.clearResponse() // the response slot is empty when mixbox_step starts
	ri.stdout.w, ri.stderr.w = io.Discard, io.Discard
	if ri.step = ri.mod.ExportedFunction(wasmabi.ExportStep); ri.step == nil { // checked at load
		r.discard(ctx, ri)
		return nil, fmt.Errorf("%w: no mixbox_step export", ErrMissingExport)
	}
	if r.mod.reactor.fresh != "" {
		return ri, nil
	}
	if err := ri.snapshot(r.mod.reactor.globals); err != nil {
		// Still a correct step; the instance is not kept after it.
		r.opts.Logger.WarnContext(ctx, "reactor snapshot failed; the next step starts on a new instance", "mixin", r.mod.name, "error", err)
		return ri, nil
	}
	if path != "" && img == nil && ri.initDirty == "" {
		if err := saveImage(path, imgKey, ri); err != nil {
			r.opts.Logger.DebugContext(ctx, "keep the initialization image in the cache", "mixin", r.mod.name, "file", path, "error", err)
		}
	} else if ri.initDirty != "" && path != "" {
		r.opts.Logger.DebugContext(ctx, "no initialization image kept: _initialize called a function an image cannot replay", "mixin", r.mod.name, "function", ri.initDirty)
	}
	return ri, nil
}

// dropImage removes an image that failed a check, so that this run keeps
// a good one in its place.
func (r *Runner) dropImage(ctx context.Context, path string, err error) {
	r.opts.Logger.DebugContext(ctx, "initialization image discarded; _initialize runs", "mixin", r.mod.name, "error", err)
	if rmErr := os.Remove(path); rmErr != nil && !errors.Is(rmErr, fs.ErrNotExist) {
		r.opts.Logger.DebugContext(ctx, "remove the initialization image", "file", path, "error", rmErr)
	}
}

// startReactor instantiates the module and brings the instance to its
// post-initialization state: from img, or by calling _initialize when img
// is nil. An image that fails to apply is an error wrapping errBadImage.
func (r *Runner) startReactor(ctx context.Context, in step.Input, inst *instance, capPages uint64, key string, img *initImage) (*reactorInstance, error) {
	fsCfg, closeFS, err := r.mounts()
	if err != nil {
		if img != nil {
			_ = img.f.Close() // read only
		}
		return nil, err
	}
	ri := &reactorInstance{
		tracker: newFDTracker(),
		mono:    &monoClock{t0: time.Now()},
		stdin:   &swapReader{r: bytes.NewReader(nil)},
		stdout:  &swapWriter{w: inst.guestOut},
		stderr:  &swapWriter{w: inst.guestErr},
		closeFS: closeFS,
		key:     key,
		view:    r.view(in),
	}
	if img != nil {
		ri.mono.base = img.nano
	}
	var cfg wazero.ModuleConfig
	cfg, ri.clock = r.moduleConfig(in, fsCfg, ri.stdin, ri.stdout, ri.stderr)
	if ri.clock == nil {
		cfg = cfg.WithNanotime(ri.mono.now, 1)
	}
	alloc := &reactorAllocator{limit: capPages * pageSize, mode: r.restore}
	ctx = withTracker(experimental.WithMemoryAllocator(ctx, alloc), ri.tracker)
	ri.mod, err = r.eng.rt.InstantiateModule(ctx, r.mod.compiled, cfg)
	if err != nil {
		if img != nil {
			_ = img.f.Close() // read only
		}
		closeFS()
		return nil, err
	}
	ri.mem = alloc.mem
	if img != nil {
		if err := img.apply(ri, r.mod.reactor.globals); err != nil {
			r.discard(ctx, ri)
			return nil, err
		}
		return ri, nil
	}
	if err := writeData(ri.mod.Memory(), r.mod.data); err != nil {
		r.discard(ctx, ri)
		return nil, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	// A state that may become an image is initialized seeing nothing of the
	// run (canonicalView); the steps see theirs.
	view := ri.view
	if path, _ := r.image(); path != "" {
		view = canonicalView()
	}
	if init := ri.mod.ExportedFunction(wasmabi.ExportInitialize); init != nil {
		rec := newInitRecorder()
		if _, err := init.Call(context.WithValue(withView(ctx, view), initKey{}, rec)); err != nil {
			r.discard(ctx, ri)
			return nil, err
		}
		ri.initDirty = rec.why()
	}
	return ri, nil
}

// snapshot records the state restore returns to.
func (ri *reactorInstance) snapshot(globals []string) error {
	if ri.mem == nil {
		return errors.New("snapshot: the module's memory is not the host's")
	}
	for _, name := range globals {
		g, ok := ri.mod.ExportedGlobal(name).(api.MutableGlobal)
		if !ok {
			return fmt.Errorf("snapshot: global %s is not exported as mutable", name)
		}
		ri.globals = append(ri.globals, g)
		ri.values = append(ri.values, g.Get())
	}
	if err := ri.clock.mark(); err != nil {
		return err
	}
	if err := ri.mem.snapshot(); err != nil {
		return err
	}
	ri.tracker.mark()
	ri.snapped = true
	return nil
}

// restore brings the instance back to its snapshot and reports whether it
// did; false means the instance must be discarded.
func (ri *reactorInstance) restore() bool {
	if !ri.snapped || ri.mod.IsClosed() || !ri.tracker.clean() {
		return false
	}
	shrink, err := ri.mem.restore()
	if err != nil {
		return false
	}
	mem := ri.mod.Memory()
	if shrink {
		// wazero learns a new size only from memory.grow: the armed
		// Reallocate answers this one with the snapshot's size.
		if _, ok := mem.Grow(1); !ok {
			ri.mem.disarm()
			return false
		}
	}
	if uint64(mem.Size()) != uint64(ri.mem.snapLen) {
		return false
	}
	for i, g := range ri.globals {
		g.Set(ri.values[i])
	}
	return ri.clock.reset() == nil
}

// take returns an idle instance made for key, or nil. Idle instances made
// for another key (another action) are discarded.
func (r *Runner) take(ctx context.Context, key string) *reactorInstance {
	r.mu.Lock()
	var got *reactorInstance
	var stale []*reactorInstance
	for i := len(r.idle) - 1; i >= 0; i-- {
		ri := r.idle[i]
		switch {
		case got == nil && ri.key == key:
			got = ri
		case ri.key != key:
			stale = append(stale, ri)
		default:
			continue
		}
		r.idle = append(r.idle[:i], r.idle[i+1:]...)
	}
	r.mu.Unlock()
	for _, ri := range stale {
		r.discard(ctx, ri)
	}
	return got
}

// release restores ri and keeps it for the next step, or discards it when
// ok is false, when it cannot be restored, or when the runner is closed.
func (r *Runner) release(ctx context.Context, ri *reactorInstance, ok bool) {
	if !ok || !ri.restore() {
		r.discard(ctx, ri)
		return
	}
	r.mu.Lock()
	if !r.closed {
		r.idle = append(r.idle, ri)
		ri = nil
	}
	r.mu.Unlock()
	if ri != nil {
		r.discard(ctx, ri)
	}
}

// discard closes a reactor instance; its memory goes with it.
func (r *Runner) discard(ctx context.Context, ri *reactorInstance) {
	if ri.mod != nil {
		_ = ri.mod.Close(context.WithoutCancel(ctx)) // the instance is done; closing frees its memory
	}
	ri.closeFS()
}

// Close releases the runner's reactor instances. Steps may still run after
// it, each on a new instance that is not kept.
func (r *Runner) Close(ctx context.Context) error {
	r.mu.Lock()
	idle := r.idle
	r.idle, r.closed = nil, true
	r.mu.Unlock()
	var errs []error
	for _, ri := range idle {
		if err := ri.mod.Close(ctx); err != nil {
			errs = append(errs, fmt.Errorf("close mixin %s: %w", r.mod.name, err))
		}
		ri.closeFS()
	}
	return errors.Join(errs...)
}
