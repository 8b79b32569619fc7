package wasm

import (
	"context"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"
)

// guestView is the argv and environment (abi-v1 §2) that WASI's args_* and
// environ_* answer a call with. The host serves them itself, from the
// call's context, instead of from the instance's configuration: a reactor
// whose state may become an initialization image runs _initialize seeing
// canonicalView, so that the image holds nothing of the run that made it,
// and every step sees its own run's view (initimage.go).
type guestView struct {
	args [][]byte
	env  [][]byte // "KEY=value"
}

type viewKey struct{}

func withView(ctx context.Context, v *guestView) context.Context {
	return context.WithValue(ctx, viewKey{}, v)
}

// canonicalView is what an image's _initialize sees: a program name and no
// environment. Go's flag package reads os.Args[0] as it initializes, so
// argv is not empty.
func canonicalView() *guestView { return &guestView{args: [][]byte{[]byte("mixin")}} }

// viewOf returns the view of the call's context; a call without one sees
// canonicalView (every call the host makes carries one).
func viewOf(ctx context.Context) *guestView {
	if v, ok := ctx.Value(viewKey{}).(*guestView); ok {
		return v
	}
	return canonicalView()
}

// WASI errnos the view's functions return.
const (
	errnoSuccess = 0
	errnoFault   = 21
)

// instantiateWASI instantiates WASI preview 1 in rt with the view's four
// functions in place of wazero's, and listeners on every function
// (fdListeners).
func instantiateWASI(ctx context.Context, rt wazero.Runtime) error {
	i32 := api.ValueTypeI32
	b := rt.NewHostModuleBuilder(wasiModule)
	wasi_snapshot_preview1.NewFunctionExporter().ExportFunctions(b)
	for _, f := range []struct {
		sizes, get string
		of         func(v *guestView) [][]byte
	}{
		{"args_sizes_get", "args_get", func(v *guestView) [][]byte { return v.args }},
		{"environ_sizes_get", "environ_get", func(v *guestView) [][]byte { return v.env }},
	} {
		of := f.of
		b = b.NewFunctionBuilder().WithGoModuleFunction(api.GoModuleFunc(func(ctx context.Context, mod api.Module, stack []uint64) {
			stack[0] = uint64(listSizes(mod.Memory(), of(viewOf(ctx)), uint32(stack[0]), uint32(stack[1])))
		}), []api.ValueType{i32, i32}, []api.ValueType{i32}).WithParameterNames("result.count", "result.size").Export(f.sizes)
		b = b.NewFunctionBuilder().WithGoModuleFunction(api.GoModuleFunc(func(ctx context.Context, mod api.Module, stack []uint64) {
			stack[0] = uint64(listGet(mod.Memory(), of(viewOf(ctx)), uint32(stack[0]), uint32(stack[1])))
		}), []api.ValueType{i32, i32}, []api.ValueType{i32}).WithParameterNames("offsets", "buf").Export(f.get)
	}
	_, err := b.Instantiate(ctx)
	return err
}

// listSizes writes the count of values and their total size with a NUL each.
func listSizes(mem api.Memory, values [][]byte, countAt, sizeAt uint32) uint32 {
	size := uint32(0)
	for _, v := range values {
		size += uint32(len(v)) + 1
	}
	if mem == nil || !mem.WriteUint32Le(countAt, uint32(len(values))) || !mem.WriteUint32Le(sizeAt, size) {
		return errnoFault
	}
	return errnoSuccess
}

// listGet writes each value NUL-terminated from buf, and its address at
// offsets.
func listGet(mem api.Memory, values [][]byte, offsets, buf uint32) uint32 {
	if mem == nil {
		return errnoFault
	}
	at := buf
	for i, v := range values {
		if !mem.WriteUint32Le(offsets+4*uint32(i), at) || !mem.Write(at, v) || !mem.WriteByte(at+uint32(len(v)), 0) {
			return errnoFault
		}
		at += uint32(len(v)) + 1
	}
	return errnoSuccess
}
