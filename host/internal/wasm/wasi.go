package wasm

import (
	"context"
	"sync"

	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/experimental"
)

// fdEffect is what a WASI function does to the descriptor table wazero
// keeps for an instance, host side, out of reach of a memory snapshot.
type fdEffect int

const (
	// fdOpens adds a descriptor: path_open.
	fdOpens fdEffect = iota + 1
	// fdCloses removes one: fd_close.
	fdCloses
	// fdRenumbers moves one: fd_renumber.
	fdRenumbers
	// fdReadDir reads a directory: it moves the descriptor's directory
	// position and cache, even when it fails.
	fdReadDir
	// fdReads reads from a descriptor: stdin, or it moves an offset.
	fdReads
	// fdWrites writes to a descriptor: stdout, stderr, or it moves an offset.
	fdWrites
	// fdChanges changes an open descriptor: its offset, flags, rights or
	// file.
	fdChanges
)

// wasiEffects maps the WASI preview 1 functions that change the descriptor
// table or an open descriptor to their effect. Every other function only
// reads the table (fd_fdstat_get, fd_pread, path_filestat_get, ...) or has
// no descriptor at all.
func wasiEffects() map[string]fdEffect {
	return map[string]fdEffect{
		"path_open":             fdOpens,
		"fd_close":              fdCloses,
		"fd_renumber":           fdRenumbers,
		"fd_readdir":            fdReadDir,
		"fd_read":               fdReads,
		"fd_write":              fdWrites,
		"fd_seek":               fdChanges,
		"fd_pwrite":             fdChanges,
		"fd_fdstat_set_flags":   fdChanges,
		"fd_fdstat_set_rights":  fdChanges,
		"fd_filestat_set_size":  fdChanges,
		"fd_filestat_set_times": fdChanges,
		"fd_allocate":           fdChanges,
		"fd_advise":             fdChanges,
		"fd_sync":               fdChanges,
		"fd_datasync":           fdChanges,
	}
}

// fdTracker follows what a reactor instance does to its WASI descriptors,
// so that the host knows whether a step left the table as the snapshot had
// it (abi-v1 §1a): every descriptor the step opened closed again, and no
// descriptor that existed before the step closed, moved or changed. Reading
// stdin and writing stdout and stderr are the exception: the host swaps
// their streams for each step. The listeners on the WASI host module feed
// it; they find the tracker of the calling instance in the call's context.
type fdTracker struct {
	mu      sync.Mutex
	opened  map[int32]bool // descriptors opened since mark and still open
	dirty   bool           // a descriptor that existed at mark changed
	stdio   bool           // fd 0, 1 or 2 was closed or moved: it may not be the host's stream
	pending []uint64       // the parameters of the call in progress
}

type trackerKey struct{}

func newFDTracker() *fdTracker { return &fdTracker{opened: map[int32]bool{}} }

func withTracker(ctx context.Context, t *fdTracker) context.Context {
	return context.WithValue(ctx, trackerKey{}, t)
}

// mark makes the current table the one later steps must leave unchanged.
func (t *fdTracker) mark() {
	t.mu.Lock()
	defer t.mu.Unlock()
	clear(t.opened)
	t.dirty = false
}

// clean reports whether the table is as it was at mark.
func (t *fdTracker) clean() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return !t.dirty && len(t.opened) == 0
}

func (t *fdTracker) before(params []uint64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.pending = append(t.pending[:0], params...)
}

// u32Memory is the part of api.Memory the tracker reads: the descriptor
// path_open wrote.
type u32Memory interface {
	ReadUint32Le(offset uint32) (uint32, bool)
}

// after records a call of a function with effect that returned errno; mem
// is the caller's memory, nil when it has none.
func (t *fdTracker) after(effect fdEffect, mem u32Memory, errno uint32) {
	t.mu.Lock()
	defer t.mu.Unlock()
	p := t.pending
	if len(p) == 0 {
		t.dirty = true // no descriptor to judge by
		return
	}
	fd := int32(p[0])
	if effect == fdReadDir && !t.opened[fd] {
		t.dirty = true
		return
	}
	if errno != 0 {
		return // a failed call leaves the descriptor as it was
	}
	switch effect {
	case fdOpens:
		newFD, ok := uint32(0), false
		if len(p) == 9 && mem != nil {
			newFD, ok = mem.ReadUint32Le(uint32(p[8]))
		}
		if !ok {
			t.dirty = true
			return
		}
		t.opened[int32(newFD)] = true
	case fdCloses:
		if !t.opened[fd] {
			t.dirty = true
		}
		t.stdio = t.stdio || fd >= 0 && fd <= 2
		delete(t.opened, fd)
	case fdRenumbers:
		to := int32(-1)
		if len(p) > 1 {
			to = int32(p[1])
		}
		if !t.opened[fd] || !t.opened[to] {
			t.dirty = true
		}
		t.stdio = t.stdio || fd >= 0 && fd <= 2 || to >= 0 && to <= 2
		delete(t.opened, fd)
	case fdReads, fdWrites, fdChanges:
		stream := !t.stdio && (effect == fdReads && fd == 0 || effect == fdWrites && (fd == 1 || fd == 2))
		if !t.opened[fd] && !stream {
			t.dirty = true
		}
	}
}

// fdListener is the listener of one WASI function. Every call is noted for
// an _initialize in progress (initimage.go); one with an effect also goes to
// the calling instance's tracker.
type fdListener struct {
	name   string
	effect fdEffect // 0: none
}

func (l fdListener) Before(ctx context.Context, _ api.Module, _ api.FunctionDefinition, params []uint64, _ experimental.StackIterator) {
	noteInitCall(ctx, wasiModule, l.name, params)
	if l.effect == 0 {
		return
	}
	if t, ok := ctx.Value(trackerKey{}).(*fdTracker); ok {
		t.before(params)
	}
}

func (l fdListener) After(ctx context.Context, mod api.Module, _ api.FunctionDefinition, results []uint64) {
	if l.effect == 0 {
		return
	}
	if t, ok := ctx.Value(trackerKey{}).(*fdTracker); ok {
		errno := uint32(1)
		if len(results) > 0 {
			errno = uint32(results[0])
		}
		var mem u32Memory
		if mod != nil && mod.Memory() != nil {
			mem = mod.Memory()
		}
		t.after(l.effect, mem, errno)
	}
}

func (l fdListener) Abort(ctx context.Context, _ api.Module, _ api.FunctionDefinition, _ error) {
	if l.effect == 0 {
		return
	}
	if t, ok := ctx.Value(trackerKey{}).(*fdTracker); ok {
		t.mu.Lock()
		t.dirty = true // the instance is discarded anyway
		t.mu.Unlock()
	}
}

// fdListeners returns the listener factory the engine instantiates WASI
// with: a listener on each function, with its effect from wasiEffects.
func fdListeners() experimental.FunctionListenerFactory {
	effects := wasiEffects()
	return experimental.FunctionListenerFactoryFunc(func(def api.FunctionDefinition) experimental.FunctionListener {
		names := def.ExportNames()
		if len(names) == 0 {
			return nil
		}
		return fdListener{name: names[0], effect: effects[names[0]]}
	})
}
