package hostexec

import (
	"context"
	"errors"
	"io"
	"sync"

	"github.com/mixbox/mixbox/wasmabi"
)

// Replayer answers exec calls from a recording, in order, and runs no
// command (mixbox run --replay-exec). A call that is not the next entry, or
// one past the end, returns a *MismatchError (matching ErrMismatch) whose
// message is a CallDiff; Err returns them all. It is safe for concurrent use; share one
// Replayer between the mixins of a run, each under Checked.
type Replayer struct {
	mu         sync.Mutex
	entries    []Entry
	next       int
	mismatches []error
}

var _ Executor = (*Replayer)(nil)

// NewReplayer returns a Replayer answering from entries, their regexes
// compiled once (an entry that does not compile stays as it is and
// matches nothing).
func NewReplayer(entries []Entry) *Replayer {
	return &Replayer{entries: CompileAll(entries)}
}

// Exec answers the call with the next entry, streaming its output when the
// request streams.
func (r *Replayer) Exec(_ context.Context, c Call) (wasmabi.ExecResult, error) {
	req := c.Request
	r.mu.Lock()
	n := r.next + 1
	if r.next >= len(r.entries) {
		err := &MismatchError{Call: n, Want: "no call", Got: CallString(req.Command, req.Args)}
		r.mismatches = append(r.mismatches, err)
		r.mu.Unlock()
		return wasmabi.ExecResult{}, err
	}
	e := r.entries[r.next]
	r.next++
	if !e.Match(req.Command, req.Args) {
		err := &MismatchError{Call: n, Want: e.String(), Got: CallString(req.Command, req.Args)}
		r.mismatches = append(r.mismatches, err)
		r.mu.Unlock()
		return wasmabi.ExecResult{}, err
	}
	r.mu.Unlock()
	res := e.Result()
	if req.Streams() {
		writeString(c.Stdout, res.Stdout)
		writeString(c.Stderr, res.Stderr)
	}
	return Discarded(req, res), nil
}

// Next returns the entry the next call will be matched against.
func (r *Replayer) Next() (Entry, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.next >= len(r.entries) {
		return Entry{}, false
	}
	return r.entries[r.next], true
}

// Err returns the mismatches so far, joined, or nil.
func (r *Replayer) Err() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return errors.Join(r.mismatches...)
}

// Unused returns the entries no call has reached yet.
func (r *Replayer) Unused() []Entry {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Entry(nil), r.entries[r.next:]...)
}

// MismatchError is a replayed call that is not the one the recording
// holds. It matches ErrMismatch with errors.Is.
type MismatchError struct {
	// Call is the call's number, from 1.
	Call int
	// Want is the entry as Entry.String shows it, or "no call" past the end.
	Want string
	// Got is the call as CallString shows it.
	Got string
}

// Error returns the CallDiff of the call.
func (e *MismatchError) Error() string { return CallDiff(e.Call, e.Want, e.Got) }

// Is reports whether target is ErrMismatch.
func (e *MismatchError) Is(target error) bool { return target == ErrMismatch }

func writeString(w io.Writer, s string) {
	if w != nil && s != "" {
		_, _ = io.WriteString(w, s) // the console never fails the call
	}
}
