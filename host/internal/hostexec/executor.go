package hostexec

import (
	"context"
	"io"

	"github.com/mixbox/mixbox/wasmabi"
)

// Call is one exec request of a guest, with where to stream its output.
type Call struct {
	// Mixin is the name of the mixin that asked.
	Mixin string
	// Step names the step for logs and errors, e.g. "install step 2".
	Step string
	// Request is the decoded ExecRequest.
	Request wasmabi.ExecRequest
	// Stdout and Stderr receive the command's output as it runs when
	// Request.Streams() is true. They are masking writers.
	Stdout io.Writer
	Stderr io.Writer
	// Spill, when set, lets an executor keep a capture over SpillAt bytes
	// in a file and hand it over here, leaving the result's field empty;
	// the caller then closes it. Nil keeps every capture in the result.
	Spill *Spill
}

// Executor runs exec calls. Implementations: the real one (policy checked,
// os/exec), a recorder around it, a replayer, and the mixin-test table.
//
// A refused call returns an error that matches wasmabi.EDenied with
// errors.Is; a command that is allowed but absent matches wasmabi.ENotFound.
// A command that ran and exited non-zero is not an error: its exit code is in
// the result.
type Executor interface {
	Exec(ctx context.Context, c Call) (wasmabi.ExecResult, error)
}

// Discarded returns res without the streams req discards: the field empty,
// its *_truncated flag set when there was output. Executors that answer
// from a table or a recording use it to give what a real run gives.
func Discarded(req wasmabi.ExecRequest, res wasmabi.ExecResult) wasmabi.ExecResult {
	if !req.Captures(wasmabi.StreamStdout) {
		res.StdoutTruncated = res.StdoutTruncated || res.Stdout != ""
		res.Stdout = ""
	}
	if !req.Captures(wasmabi.StreamStderr) {
		res.StderrTruncated = res.StderrTruncated || res.Stderr != ""
		res.Stderr = ""
	}
	return res
}
