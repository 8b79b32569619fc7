//go:build wasip1 && mixbox_reactor

package guest

import (
	"bytes"
	"os"
	"strings"
	"unsafe"

	"github.com/mixbox/mixbox/wasmabi"
)

// init runs in _initialize, before the snapshot every step starts from. It
// fills the caches encoding/json builds on first use for the ABI's types,
// which every step would otherwise build again after each restore.
func init() {
	req, err := wasmabi.Encode(wasmabi.ExecRequest{Command: "warm", Args: []string{"up"}, Env: map[string]string{"K": "V"}, Dir: AppDir})
	if err == nil {
		_, _ = wasmabi.DecodeExecRequest(req) // only warming: the result is not used
	}
	_, _ = wasmabi.DecodeExecResult([]byte(`{"exit_code":0,"stdout":"","stderr":"","stdout_truncated":false,"stderr_truncated":false,"timed_out":false,"duration_ms":1}`)) // only warming
}

// mainMain is the mixin's main function. A c-shared build never runs it by
// itself (_initialize runs only the package initializers), so mixbox_step
// does, once per step: the source of a reactor is that of a command.
//
//go:linkname mainMain main.main
func mainMain()

// stepCode is the exit code Main recorded in the step in progress. It is
// the only state the SDK keeps, and only for the length of one call of
// mixbox_step (the host restores the instance before the next one anyway).
var stepCode int32 //nolint:unused // read by mixboxStep, which go:wasmexport exports

// mixboxStep is the reactor's step function (abi-v1 §1a): it runs main,
// whose Main reads this step's stdin and records the exit code.
//
//go:wasmexport mixbox_step
func mixboxStep() int32 { //nolint:unused // called by the host: go:wasmexport exports it
	stepCode = 0
	rereadEnv()
	mainMain()
	return stepCode
}

//go:wasmimport wasi_snapshot_preview1 args_sizes_get
func argsSizesGet(count, size unsafe.Pointer) uint32 //nolint:unused // called through rereadEnv by mixboxStep, which go:wasmexport exports

//go:wasmimport wasi_snapshot_preview1 args_get
func argsGet(ptrs, buf unsafe.Pointer) uint32 //nolint:unused // called through rereadEnv by mixboxStep, which go:wasmexport exports

//go:wasmimport wasi_snapshot_preview1 environ_sizes_get
func environSizesGet(count, size unsafe.Pointer) uint32 //nolint:unused // called through rereadEnv by mixboxStep, which go:wasmexport exports

//go:wasmimport wasi_snapshot_preview1 environ_get
func environGet(ptrs, buf unsafe.Pointer) uint32 //nolint:unused // called through rereadEnv by mixboxStep, which go:wasmexport exports

// rereadEnv sets os.Args and the environment to what the host gives this
// run, whatever _initialize saw: with the mixbox_image tag (image.go) the
// state a step starts from may have been initialized in another run.
func rereadEnv() { //nolint:unused // called by mixboxStep, which go:wasmexport exports
	if args, ok := wasiStrings(argsSizesGet, argsGet); ok {
		os.Args = args
	}
	env, ok := wasiStrings(environSizesGet, environGet)
	if !ok {
		return
	}
	os.Clearenv()
	for _, kv := range env {
		if k, v, ok := strings.Cut(kv, "="); ok {
			_ = os.Setenv(k, v) // the host gives no key Setenv refuses (empty, or with NUL)
		}
	}
}

// wasiStrings reads a WASI string list (argv or environ) through its sizes
// and get functions.
func wasiStrings(sizes, get func(a, b unsafe.Pointer) uint32) ([]string, bool) { //nolint:unused // called by rereadEnv
	var count, size uint32
	if sizes(unsafe.Pointer(&count), unsafe.Pointer(&size)) != 0 {
		return nil, false
	}
	ptrs := make([]uint32, count+1) // the host writes count wasm32 addresses
	buf := make([]byte, size+1)
	if get(unsafe.Pointer(unsafe.SliceData(ptrs)), unsafe.Pointer(unsafe.SliceData(buf))) != 0 {
		return nil, false
	}
	out := make([]string, 0, count)
	for s := range bytes.SplitSeq(buf[:size], []byte{0}) {
		if uint32(len(out)) == count {
			break
		}
		out = append(out, string(s))
	}
	return out, uint32(len(out)) == count
}

// exit ends a step of a reactor: Main returns, and main with it.
func exit(code int) { stepCode = int32(code) }
