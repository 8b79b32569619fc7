package hostexec

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"

	"github.com/mixbox/mixbox/host/internal/policy"
	"github.com/mixbox/mixbox/wasmabi"
)

// RecorderOptions configures a Recorder.
type RecorderOptions struct {
	// Path is the file Flush writes; "" writes nothing (Entries still
	// holds the calls).
	Path string
	// Mask masks the sensitive values of a string (mask.Set.String). It is
	// applied when the file is written, so values declared sensitive later
	// in the run are masked too. Nil masks nothing.
	Mask func(string) string
}

// Recorder records the exec calls of a run (mixbox run --record-exec): the
// executors it wraps append every call that ran, in order, and Flush writes
// them as an `exec:` list. Calls that were refused or not found are not
// recorded. It is safe for concurrent use.
type Recorder struct {
	opts    RecorderOptions
	mu      sync.Mutex
	entries []Entry
}

// NewRecorder returns a Recorder.
func NewRecorder(opts RecorderOptions) *Recorder {
	return &Recorder{opts: opts}
}

// Wrap returns an Executor that runs calls with next and records those that
// gave a result.
func (r *Recorder) Wrap(next Executor) Executor {
	return recording{r: r, next: next}
}

type recording struct {
	r    *Recorder
	next Executor
}

func (rc recording) Exec(ctx context.Context, c Call) (wasmabi.ExecResult, error) {
	res, err := rc.next.Exec(ctx, c)
	if err != nil {
		return res, err
	}
	e := Entry{
		Command:  c.Request.Command,
		Args:     slices.Clone(c.Request.Args),
		Stdout:   res.Stdout,
		Stderr:   res.Stderr,
		ExitCode: res.ExitCode,
		TimedOut: res.TimedOut,
	}
	rc.r.mu.Lock()
	rc.r.entries = append(rc.r.entries, e)
	rc.r.mu.Unlock()
	return res, nil
}

// Entries returns the calls recorded so far, masked.
func (r *Recorder) Entries() []Entry {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]Entry, len(r.entries))
	for i, e := range r.entries {
		out[i] = r.masked(e)
	}
	return out
}

func (r *Recorder) masked(e Entry) Entry {
	m := r.opts.Mask
	if m == nil {
		return e
	}
	e.Command = m(e.Command)
	args := make([]string, len(e.Args))
	for i, a := range e.Args {
		args[i] = m(a)
	}
	if e.Args != nil {
		e.Args = args
	}
	e.Stdout, e.Stderr = m(e.Stdout), m(e.Stderr)
	return e
}

// Flush writes the calls recorded so far to the file, replacing it
// atomically. Call it when the run ends, whether it failed or not.
func (r *Recorder) Flush() error {
	if r.opts.Path == "" {
		return nil
	}
	data, err := MarshalEntries(r.Entries())
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(r.opts.Path), ".exec-record-*")
	if err != nil {
		return fmt.Errorf("write exec record %s: %w", r.opts.Path, err)
	}
	_, werr := tmp.Write(data)
	cerr := tmp.Close()
	if werr == nil {
		werr = cerr
	}
	if werr == nil {
		werr = os.Rename(tmp.Name(), r.opts.Path)
	}
	if werr != nil {
		_ = os.Remove(tmp.Name()) // best effort: the write already failed
		return fmt.Errorf("write exec record %s: %w", r.opts.Path, werr)
	}
	return nil
}

// Checked returns an Executor that refuses what m refuses for the calls'
// mixin (policy.Mixin.Check, no look-up) and passes the others to next. It
// puts a Replayer, which runs nothing, under the mixin's policy.
func Checked(m policy.Mixin, next Executor) Executor {
	return checked{m: m, next: next}
}

type checked struct {
	m    policy.Mixin
	next Executor
}

func (ch checked) Exec(ctx context.Context, c Call) (wasmabi.ExecResult, error) {
	if err := ch.m.Check(c.Mixin, policy.Resolve(c.Request)); err != nil {
		return wasmabi.ExecResult{}, err
	}
	return ch.next.Exec(ctx, c)
}
