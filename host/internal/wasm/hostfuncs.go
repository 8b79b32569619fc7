package wasm

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"runtime/debug"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/sys"

	"github.com/mixbox/mixbox/host/internal/hostexec"
	"github.com/mixbox/mixbox/host/internal/mask"
	"github.com/mixbox/mixbox/host/internal/policy"
	"github.com/mixbox/mixbox/host/internal/termsafe"
	"github.com/mixbox/mixbox/wasmabi"
)

// memory is the part of api.Memory the host functions use, so that tests and
// the fuzzer can drive them with a fake.
type memory interface {
	Size() uint32
	Read(offset, byteCount uint32) ([]byte, bool)
	Write(offset uint32, v []byte) bool
}

// instance is the host-side state of one guest instance (one step). The
// host functions find it in the context the guest runs with.
type instance struct {
	mixin    string
	step     string
	limits   policy.Limits
	executor hostexec.Executor
	stdout   io.Writer // capped guest log writers
	stderr   io.Writer
	// guestOut and guestErr are the guest's own stdout and stderr: capped,
	// control characters escaped.
	guestOut *termsafe.Writer
	guestErr *termsafe.Writer
	runLog   func(line string) // mixbox's own lines, uncapped, not maskable by the guest
	mask     func(string)
	debug    bool
	logger   *slog.Logger

	mu        sync.Mutex
	outputs   map[string][]byte
	outBytes  int64
	execCalls int
	// parts are the staged payloads, read in order by response_read: the
	// ExecResult (its JSON written straight into the guest's buffer, never
	// built in host memory), then with raw_output the captured bytes.
	parts   []part
	spill   *hostexec.Spill // the staged captures kept in files
	denials []string
	masks   maskQuota
}

// maskQuota counts the values a guest masked in one step.
type maskQuota struct {
	count     int
	bytes     int64
	capSaid   bool // the one warning that the cap was reached is out
	shortSaid bool // the one warning about a value too short to mask is out
}

// The caps on the values a guest may mask in one step (mixbox_v1.mask);
// past them mask returns E_LIMIT. Masking stays linear in the output
// whatever the count, but each value costs memory and rebuild time.
const (
	maxMaskValues = 10_000
	maxMaskBytes  = 256 << 10
)

type instanceKey struct{}

func withInstance(ctx context.Context, in *instance) context.Context {
	return context.WithValue(ctx, instanceKey{}, in)
}

// guestBytes copies [ptr, ptr+n) out of mem. The bounds are checked in
// 64-bit arithmetic (abi-v1 §8.1).
func guestBytes(mem memory, ptr, n uint32) ([]byte, bool) {
	if mem == nil || uint64(ptr)+uint64(n) > uint64(mem.Size()) {
		return nil, false
	}
	b, ok := mem.Read(ptr, n)
	if !ok {
		return nil, false
	}
	return bytes.Clone(b), true
}

func inBounds(mem memory, ptr, n uint32) bool {
	return mem != nil && uint64(ptr)+uint64(n) <= uint64(mem.Size())
}

// exec implements mixbox_v1.exec.
func (in *instance) exec(ctx context.Context, mem memory, reqPtr, reqLen uint32) wasmabi.Status {
	in.clearResponse() // any exec call replaces the slot
	if reqLen > wasmabi.MaxRequestBytes {
		return wasmabi.ETooBig
	}
	b, ok := guestBytes(mem, reqPtr, reqLen)
	if !ok {
		return wasmabi.EFault
	}
	req, err := wasmabi.DecodeExecRequest(b)
	if err != nil {
		return wasmabi.EInval
	}
	in.mu.Lock()
	in.execCalls++
	over := in.execCalls > in.limits.ExecCalls
	in.mu.Unlock()
	if over {
		return wasmabi.ELimit
	}
	if in.executor == nil {
		in.deny(fmt.Sprintf("exec %q refused: the policy grants mixin %s no exec", req.Command, in.mixin))
		return wasmabi.EDenied
	}
	spill := &hostexec.Spill{}
	res, err := in.executor.Exec(ctx, hostexec.Call{
		Mixin: in.mixin, Step: in.step, Request: req, Stdout: in.stdout, Stderr: in.stderr, Spill: spill,
	})
	if err != nil {
		spill.Close()
	}
	switch {
	case errors.Is(err, wasmabi.EDenied):
		in.deny(err.Error())
		return wasmabi.EDenied
	case errors.Is(err, wasmabi.ENotFound):
		return wasmabi.ENotFound
	case err != nil:
		in.logger.ErrorContext(ctx, "exec host call failed", "mixin", in.mixin, "step", in.step, "error", err)
		return wasmabi.EInternal
	}
	parts, err := stage(res, spill, req.RawOutput)
	if err != nil {
		spill.Close()
		in.logger.ErrorContext(ctx, "stage exec result", "mixin", in.mixin, "step", in.step, "error", err)
		return wasmabi.EInternal
	}
	in.mu.Lock()
	in.parts, in.spill = parts, spill
	in.mu.Unlock()
	return wasmabi.Status(parts[0].n)
}

// part is one payload of the response slot.
type part struct {
	n     uint32
	write func(w io.Writer) (int64, error)
}

// stage returns the payloads of res: its JSON, with the captures that went
// to files (spill) read from there; with raw, the JSON without the captures
// and their lengths, then each capture that is not empty, as it is.
func stage(res wasmabi.ExecResult, spill *hostexec.Spill, raw bool) ([]part, error) {
	var files [2]*hostexec.Spooled
	if spill != nil {
		files = [2]*hostexec.Spooled{spill.Stdout, spill.Stderr}
	}
	texts := [2]string{res.Stdout, res.Stderr}
	// reader is a capture kept in a file; nil when it is in res.
	reader := func(i int) io.Reader {
		if files[i] == nil {
			return nil
		}
		return files[i].Reader()
	}
	var write func(w io.Writer) (int64, error)
	var raws []part
	if raw {
		res.Stdout, res.Stderr = "", ""
		res.StdoutLen, res.StderrLen = int64(len(texts[0]))+files[0].Len(), int64(len(texts[1]))+files[1].Len()
		write = res.WriteJSON
		for i, n := range []int64{res.StdoutLen, res.StderrLen} {
			if n == 0 {
				continue
			}
			if n > math.MaxInt32 {
				return nil, fmt.Errorf("a capture of %d bytes is over what a guest can read", n)
			}
			raws = append(raws, part{n: uint32(n), write: func(w io.Writer) (int64, error) {
				if r := reader(i); r != nil {
					return io.Copy(w, r)
				}
				k, err := io.WriteString(w, texts[i])
				return int64(k), err
			}})
		}
	} else {
		write = func(w io.Writer) (int64, error) { return res.WriteJSONFrom(w, reader(0), reader(1)) }
	}
	n, err := write(io.Discard)
	if err != nil {
		return nil, fmt.Errorf("measure the exec result: %w", err)
	}
	if n > math.MaxInt32 {
		return nil, fmt.Errorf("the exec result is %d bytes, over what a guest can read", n)
	}
	return append([]part{{n: uint32(n), write: write}}, raws...), nil
}

// clearResponse empties the response slot.
func (in *instance) clearResponse() {
	in.mu.Lock()
	defer in.mu.Unlock()
	in.spill.Close()
	in.parts, in.spill = nil, nil
}

// deny records a refused exec call and writes it to the run log at warn
// level (docs/spec/policy.md), outside the guest's log cap.
func (in *instance) deny(reason string) {
	in.mu.Lock()
	in.denials = append(in.denials, reason)
	in.mu.Unlock()
	in.flushGuest()
	in.runLog(fmt.Sprintf("WARN %s: exec denied: %s", in.step, reason))
}

// flushGuest writes out what the escapers of the guest's own streams hold
// back (an incomplete UTF-8 sequence), so that what follows comes after it.
func (in *instance) flushGuest() {
	for _, w := range []*termsafe.Writer{in.guestOut, in.guestErr} {
		if w != nil {
			_ = w.Flush() // the capped writer never fails
		}
	}
}

// responseRead implements mixbox_v1.response_read: it copies the first
// staged payload and, on success, drops it; the slot is empty once the
// last is read.
func (in *instance) responseRead(mem memory, bufPtr, bufCap uint32) wasmabi.Status {
	in.mu.Lock()
	defer in.mu.Unlock()
	if len(in.parts) == 0 {
		return wasmabi.ENoResponse
	}
	p := in.parts[0]
	if bufCap < p.n {
		return wasmabi.ETooSmall
	}
	if !inBounds(mem, bufPtr, p.n) {
		return wasmabi.EFault
	}
	w := &guestWriter{mem: mem, off: bufPtr, end: uint64(bufPtr) + uint64(p.n)}
	if written, err := p.write(w); err != nil || written != int64(p.n) {
		// Within bounds, a write fails only if memory shrank (it never does)
		// or a capture file could not be read back.
		return wasmabi.EFault
	}
	in.parts = in.parts[1:]
	if len(in.parts) == 0 {
		in.spill.Close()
		in.parts, in.spill = nil, nil
	}
	return wasmabi.Status(p.n)
}

// guestWriter writes into guest memory from off, never at or past end.
type guestWriter struct {
	mem memory
	off uint32
	end uint64
}

func (g *guestWriter) Write(p []byte) (int, error) {
	if uint64(g.off)+uint64(len(p)) > g.end || !g.mem.Write(g.off, p) {
		return 0, errGuestWrite
	}
	g.off += uint32(len(p))
	return len(p), nil
}

// outputSet implements mixbox_v1.output_set.
func (in *instance) outputSet(mem memory, namePtr, nameLen, valPtr, valLen uint32) wasmabi.Status {
	if int64(valLen) > in.limits.OutputBytes {
		return wasmabi.ETooBig
	}
	if !inBounds(mem, namePtr, nameLen) || !inBounds(mem, valPtr, valLen) {
		return wasmabi.EFault
	}
	if nameLen > wasmabi.MaxOutputNameBytes {
		return wasmabi.EInval
	}
	nb, ok := guestBytes(mem, namePtr, nameLen)
	if !ok {
		return wasmabi.EFault
	}
	val, ok := guestBytes(mem, valPtr, valLen)
	if !ok {
		return wasmabi.EFault
	}
	name := string(nb)
	if !utf8.ValidString(name) || !wasmabi.ValidOutputName(name) {
		return wasmabi.EInval
	}
	in.mu.Lock()
	defer in.mu.Unlock()
	old, exists := in.outputs[name]
	if !exists && len(in.outputs) >= in.limits.Outputs {
		return wasmabi.ELimit
	}
	if in.outBytes-int64(len(old))+int64(len(val)) > in.limits.OutputBytes {
		return wasmabi.ELimit
	}
	in.outBytes += int64(len(val)) - int64(len(old))
	in.outputs[name] = val
	return 0
}

// log implements mixbox_v1.log.
func (in *instance) log(mem memory, level int32, msgPtr, msgLen uint32) wasmabi.Status {
	msg, ok := guestBytes(mem, msgPtr, msgLen)
	if !ok {
		return wasmabi.EFault
	}
	lvl := wasmabi.LogLevel(level)
	if !lvl.Valid() {
		return wasmabi.EInval
	}
	if lvl == wasmabi.LevelDebug && !in.debug {
		return 0
	}
	w := in.stdout
	var prefix string
	switch lvl {
	case wasmabi.LevelDebug:
		prefix = "DEBUG "
	case wasmabi.LevelWarn:
		w, prefix = in.stderr, "WARN "
	case wasmabi.LevelError:
		w, prefix = in.stderr, "ERROR "
	}
	// Control characters are escaped, so a log line cannot move the cursor
	// or pass for one of mixbox's own lines.
	text := termsafe.Escape(string(msg))
	line := make([]byte, 0, len(prefix)+len(text)+1)
	line = append(append(line, prefix...), text...)
	if len(text) == 0 || text[len(text)-1] != '\n' {
		line = append(line, '\n')
	}
	in.flushGuest()
	_, _ = w.Write(line) // the capped writer never fails; a broken console must not fail the guest
	return 0
}

// maskValue implements mixbox_v1.mask.
func (in *instance) maskValue(mem memory, valPtr, valLen uint32) wasmabi.Status {
	val, ok := guestBytes(mem, valPtr, valLen)
	if !ok {
		return wasmabi.EFault
	}
	if strings.TrimSpace(string(val)) == "" || in.mask == nil {
		return 0 // ignored, as an empty value
	}
	in.mu.Lock()
	q := &in.masks
	if mask.TooShort(string(val)) {
		say := !q.shortSaid
		q.shortSaid = true
		in.mu.Unlock()
		if say {
			in.runLog(fmt.Sprintf("WARN %s: mixin %s asked to mask a value shorter than %d characters; such values are not masked",
				in.step, in.mixin, mask.MinLen))
		}
		return 0
	}
	if q.count >= maxMaskValues || q.bytes+int64(len(val)) > maxMaskBytes {
		say := !q.capSaid
		q.capSaid = true
		in.mu.Unlock()
		if say {
			in.runLog(fmt.Sprintf("WARN %s: mixin %s masked %d values (%s) in one step, the cap of %d values or %s; the values it masks past the cap are not masked (mixbox_v1.mask returns E_LIMIT)",
				in.step, in.mixin, q.count, sizeString(q.bytes), maxMaskValues, sizeString(maxMaskBytes)))
		}
		return wasmabi.ELimit
	}
	q.count++
	q.bytes += int64(len(val))
	in.mu.Unlock()
	in.mask(string(val))
	return 0
}

// result copies what the instance committed, and releases a response that
// was never read.
func (in *instance) result() (map[string][]byte, []string) {
	in.mu.Lock()
	defer in.mu.Unlock()
	in.spill.Close()
	in.spill = nil
	outs := make(map[string][]byte, len(in.outputs))
	for k, v := range in.outputs {
		outs[k] = v
	}
	return outs, append([]string(nil), in.denials...)
}

// hostFunc adapts one host function to wazero: it finds the instance, never
// lets a panic of the host escape into the guest (E_INTERNAL instead) and
// encodes the status.
func hostFunc(name string, fn func(ctx context.Context, in *instance, mem memory, stack []uint64) wasmabi.Status) api.GoModuleFunc {
	return func(ctx context.Context, mod api.Module, stack []uint64) {
		noteInitCall(ctx, wasmabi.Module, name, nil)
		in, _ := ctx.Value(instanceKey{}).(*instance)
		defer func() {
			r := recover()
			if r == nil {
				return
			}
			if _, ok := r.(*sys.ExitError); ok {
				panic(r) // wazero's own way to stop a closed module
			}
			if in != nil {
				in.logger.ErrorContext(ctx, "host function panicked", "func", name, "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
			}
			stack[0] = api.EncodeI32(int32(wasmabi.EInternal))
		}()
		if in == nil {
			stack[0] = api.EncodeI32(int32(wasmabi.EInternal))
			return
		}
		var mem memory
		if m := mod.Memory(); m != nil {
			mem = m
		}
		stack[0] = api.EncodeI32(int32(fn(ctx, in, mem, stack)))
	}
}

// instantiateHost instantiates the mixbox_v1 host module in rt, with exactly
// the functions of wasmabi.Funcs.
func instantiateHost(ctx context.Context, rt wazero.Runtime) error {
	i32 := api.ValueTypeI32
	arg := func(stack []uint64, i int) uint32 { return api.DecodeU32(stack[i]) }
	funcs := map[string]func(context.Context, *instance, memory, []uint64) wasmabi.Status{
		wasmabi.FuncExec: func(ctx context.Context, in *instance, mem memory, s []uint64) wasmabi.Status {
			return in.exec(ctx, mem, arg(s, 0), arg(s, 1))
		},
		wasmabi.FuncResponseRead: func(_ context.Context, in *instance, mem memory, s []uint64) wasmabi.Status {
			return in.responseRead(mem, arg(s, 0), arg(s, 1))
		},
		wasmabi.FuncOutputSet: func(_ context.Context, in *instance, mem memory, s []uint64) wasmabi.Status {
			return in.outputSet(mem, arg(s, 0), arg(s, 1), arg(s, 2), arg(s, 3))
		},
		wasmabi.FuncLog: func(_ context.Context, in *instance, mem memory, s []uint64) wasmabi.Status {
			return in.log(mem, api.DecodeI32(s[0]), arg(s, 1), arg(s, 2))
		},
		wasmabi.FuncMask: func(_ context.Context, in *instance, mem memory, s []uint64) wasmabi.Status {
			return in.maskValue(mem, arg(s, 0), arg(s, 1))
		},
	}
	b := rt.NewHostModuleBuilder(wasmabi.Module)
	for name, nparams := range wasmabi.Funcs() {
		fn, ok := funcs[name]
		if !ok {
			return fmt.Errorf("instantiate %s: no implementation of %s", wasmabi.Module, name)
		}
		params := make([]api.ValueType, nparams)
		for i := range params {
			params[i] = i32
		}
		b = b.NewFunctionBuilder().
			WithGoModuleFunction(hostFunc(name, fn), params, []api.ValueType{i32}).
			Export(name)
	}
	if _, err := b.Instantiate(ctx); err != nil {
		return fmt.Errorf("instantiate %s: %w", wasmabi.Module, err)
	}
	return nil
}
