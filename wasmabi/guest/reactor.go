//go:build wasip1 && mixbox_reactor

package guest

import (
	_ "unsafe" // for go:linkname

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
	mainMain()
	return stepCode
}

// exit ends a step of a reactor: Main returns, and main with it.
func exit(code int) { stepCode = int32(code) }
