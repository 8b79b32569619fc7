package wasm

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/tetratelabs/wazero"

	"github.com/mixbox/mixbox/host/internal/compcache"
	"github.com/mixbox/mixbox/wasmabi"
)

// standInSection names the custom section that makes a stand-in's bytes
// (and so wazero's key for it) its module's own: two modules that differ
// only in their code would otherwise have the same stand-in.
const standInSection = "mixbox.stand-in"

// standIn returns the stand-in of code, the bytes a module compiles as
// (sum is the sha256 of the module as it was given): every section of code
// as it is but the code section, whose function bodies are each
// `unreachable`, and a custom section holding sum. It has code's types,
// imports, functions, tables, memory, globals, exports and elements, so the
// compiled code of code runs for it as for code; wazero decodes and
// validates it in a few milliseconds instead of a hundred for the exec
// module (RATIONALE.md, "Why does a warm load compile a stand-in?"). funcs
// is the number of functions code defines.
//
// When every data segment is active, at a constant offset of memory 0, and
// code has no start function, the stand-in's segments are empty (the same
// count and offsets) and data returns them: the host writes them itself
// right after instantiating (writeData), or not at all when an
// initialization image replaces the memory. wazero then neither decodes nor
// copies them on every load. Otherwise data is nil and the stand-in keeps
// code's data section.
func standIn(code []byte, sum [32]byte) (stub []byte, funcs uint32, data []dataSegment, err error) {
	secs, err := splitSections(code)
	if err != nil {
		return nil, 0, nil, err
	}
	at := slices.IndexFunc(secs, func(s section) bool { return s.id == secCode })
	if at < 0 {
		return nil, 0, nil, errors.New("stand-in: no code section")
	}
	r := &reader{b: secs[at].payload}
	n, err := r.u32()
	if err != nil {
		return nil, 0, nil, fmt.Errorf("stand-in: %w", err)
	}
	if uint64(n) > uint64(len(secs[at].payload)) { // each body takes a byte at least
		return nil, 0, nil, fmt.Errorf("stand-in: %d functions in %d bytes", n, len(secs[at].payload))
	}
	var empty []byte
	dataAt := slices.IndexFunc(secs, func(s section) bool { return s.id == secData })
	if dataAt > at && !slices.ContainsFunc(secs, func(s section) bool { return s.id == secStart }) {
		if segs, ok := activeData(secs[dataAt].payload); ok {
			data, empty = segs, emptyData(segs)
		}
	}
	body := []byte{3, 0x00, 0x00, 0x0b} // size, no locals, unreachable, end
	payload := appendULEB(make([]byte, 0, 5+len(body)*int(n)), uint64(n))
	for range n {
		payload = append(payload, body...)
	}
	name := appendULEB(nil, uint64(len(standInSection)))
	name = append(name, standInSection...)
	custom := len(name) + len(sum)
	size := len(code) - (secs[at].end - secs[at].start) + 6 + len(payload) + 6 + custom
	stub = make([]byte, 0, size)
	stub = append(stub, code[:secs[at].start]...)
	stub = append(stub, secCode)
	stub = appendULEB(stub, uint64(len(payload)))
	stub = append(stub, payload...)
	if data != nil {
		stub = append(stub, code[secs[at].end:secs[dataAt].start]...)
		stub = append(stub, secData)
		stub = appendULEB(stub, uint64(len(empty)))
		stub = append(stub, empty...)
		stub = append(stub, code[secs[dataAt].end:]...)
	} else {
		stub = append(stub, code[secs[at].end:]...)
	}
	stub = append(stub, secCustom)
	stub = appendULEB(stub, uint64(custom))
	stub = append(stub, name...)
	stub = append(stub, sum[:]...)
	return stub, n, data, nil
}

// compile compiles code, the bytes of the module whose sha256 is sum. With
// a disk cache, a module compiled before is loaded through its stand-in
// (standIn): wazero decodes and validates the stand-in and Serve hands it
// the module's compiled code. The first compile of a module, cached or not,
// learns what that needs: the key of its entry and the key wazero gives its
// stand-in on this CPU, kept as an alias in the cache. When the alias does
// not serve (the entry gone, damaged, another CPU), the module is compiled
// whole and the alias learnt again. Compiles with a disk cache run one at a
// time: the cache must know which one asks. data is the data a stand-in left
// out (standIn), which every instance must be given (writeData).
func (e *Engine) compile(ctx context.Context, name string, code []byte, sum [32]byte) (cm wazero.CompiledModule, viaStandIn bool, data []dataSegment, err error) {
	if e.disk == nil || e.interp {
		cm, err = e.rt.CompileModule(ctx, code)
		return cm, false, nil, err
	}
	e.compileMu.Lock()
	defer e.compileMu.Unlock()
	if a, ok := e.disk.Alias(sum); ok {
		start := time.Now()
		cm, data, err := e.compileStandIn(ctx, code, sum, a)
		if err == nil {
			e.logger.Debug("loaded through the stand-in", "mixin", name, "took", time.Since(start))
			return cm, true, data, nil
		}
		e.disk.RemoveAlias(sum)
		e.logger.Debug("the stand-in is not served; compiling the module", "mixin", name, "err", err)
	}
	end := e.disk.Record()
	cm, err = e.rt.CompileModule(ctx, code)
	entry, kept := end()
	if err != nil && kept && ctx.Err() == nil && !errors.Is(err, compcache.ErrDiscarded) {
		// wazero found the entry and could not load it: its own checksum of
		// the compiled code failed (compcache's leaves the code out).
		return nil, false, nil, e.disk.Discard(entry, err)
	}
	if err != nil || !kept {
		return cm, false, nil, err
	}
	if err := e.learnAlias(ctx, code, sum, entry); err != nil {
		e.logger.Debug("no stand-in for the module", "mixin", name, "err", err)
	}
	return cm, false, nil, nil
}

// compileStandIn compiles the stand-in of code with a served, and returns
// the data it left out.
func (e *Engine) compileStandIn(ctx context.Context, code []byte, sum [32]byte, a compcache.Alias) (wazero.CompiledModule, []dataSegment, error) {
	stub, funcs, data, err := standIn(code, sum)
	if err != nil {
		return nil, nil, err
	}
	if funcs != a.Funcs {
		return nil, nil, fmt.Errorf("%w: the alias is for %d functions, the module has %d", compcache.ErrNotServed, a.Funcs, funcs)
	}
	end := e.disk.Serve(a)
	defer end()
	cm, err := e.rt.CompileModule(ctx, stub)
	return cm, data, err
}

// learnAlias keeps the alias of the module whose code is in the entry
// named entry: it compiles the stand-in only as far as its cache lookup, to
// learn its key.
func (e *Engine) learnAlias(ctx context.Context, code []byte, sum [32]byte, entry compcache.Key) error {
	stub, funcs, _, err := standIn(code, sum)
	if err != nil {
		return err
	}
	key, err := e.captureKey(ctx, stub)
	if err != nil {
		return err
	}
	return e.disk.SetAlias(sum, compcache.Alias{Entry: entry, Stub: key, Funcs: funcs})
}

// captureKey compiles stub only as far as its cache lookup and returns the
// key it looked up. The caller holds compileMu.
func (e *Engine) captureKey(ctx context.Context, stub []byte) (compcache.Key, error) {
	end := e.disk.Capture()
	cm, err := e.rt.CompileModule(ctx, stub)
	key, ok := end()
	if err == nil {
		_ = cm.Close(ctx) // never: Capture fails the compile
		return key, errors.New("the stand-in compiled")
	}
	if !ok {
		return key, fmt.Errorf("the stand-in was refused before its cache lookup: %w", err)
	}
	return key, nil
}

// StandInKey returns the key wazero gives, on this CPU and in this
// engine's configuration, to the stand-in of bin, the module whose sha256
// is sum: the key an alias learnt on another machine must have for its
// entry to serve here (package seed). It needs a disk cache and the
// compiler; it compiles nothing.
func (e *Engine) StandInKey(ctx context.Context, name string, bin []byte, sum [32]byte) (compcache.Key, error) {
	if e.disk == nil || e.interp {
		return compcache.Key{}, errors.New("stand-in key: the engine has no disk cache")
	}
	p, info, err := checkModule(name, e.version, bin, sum, e.sigs)
	if err != nil {
		return compcache.Key{}, err
	}
	code := bin
	if info.Kind == wasmabi.KindReactor {
		if code, _, err = exportGlobals(bin, p); err != nil { // what newReactorModule compiles
			return compcache.Key{}, moduleErr(name, err)
		}
	}
	stub, _, _, err := standIn(code, sum)
	if err != nil {
		return compcache.Key{}, err
	}
	e.compileMu.Lock()
	defer e.compileMu.Unlock()
	return e.captureKey(ctx, stub)
}

// EntryDir returns the directory of the disk cache's entries (compcache:
// named for the wazero version, GOOS and GOARCH), "" without a disk cache.
func (e *Engine) EntryDir() string {
	if e.disk == nil {
		return ""
	}
	return e.disk.Dir()
}
