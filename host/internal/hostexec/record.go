package hostexec

import (
	"bufio"
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
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
	// MaskStream returns a writer that masks what goes through it on its
	// way to w (mask.NewWriter), for the captures that went to a file;
	// Flush calls its Flush at the end of each. Nil masks nothing.
	MaskStream func(w io.Writer) MaskWriter
}

// MaskWriter is a writer that masks as it writes and holds back what could
// still become a secret until Flush (mask.Writer).
type MaskWriter interface {
	io.Writer
	Flush() error
}

// Recorder records the exec calls of a run (mixbox run --record-exec): the
// executors it wraps append every call that ran, in order, and Flush writes
// them as an `exec:` list. Calls that were refused or not found are not
// recorded. A capture that the executor kept in a file (Call.Spill) stays
// there until Flush streams it into the recording, masked: a recording of
// large outputs costs no memory. It is safe for concurrent use.
type Recorder struct {
	opts    RecorderOptions
	nonce   string // makes the placeholders of spilled values unique
	mu      sync.Mutex
	entries []recorded
}

// recorded is one call: its entry and the captures kept in files.
type recorded struct {
	e              Entry
	stdout, stderr *Spooled
}

// NewRecorder returns a Recorder.
func NewRecorder(opts RecorderOptions) *Recorder {
	return &Recorder{opts: opts, nonce: rand.Text()}
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
	rec := recorded{e: Entry{
		Command:  c.Request.Command,
		Args:     slices.Clone(c.Request.Args),
		Stdout:   res.Stdout,
		Stderr:   res.Stderr,
		ExitCode: res.ExitCode,
		TimedOut: res.TimedOut,
	}}
	if c.Spill != nil {
		rec.stdout, rec.stderr = c.Spill.Stdout.Retain(), c.Spill.Stderr.Retain()
	}
	rc.r.mu.Lock()
	rc.r.entries = append(rc.r.entries, rec)
	rc.r.mu.Unlock()
	return res, nil
}

// Entries returns the calls recorded so far, masked; a capture kept in a
// file is read back.
func (r *Recorder) Entries() ([]Entry, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]Entry, len(r.entries))
	for i, rec := range r.entries {
		e := rec.e
		for _, f := range []struct {
			s   *Spooled
			dst *string
		}{{rec.stdout, &e.Stdout}, {rec.stderr, &e.Stderr}} {
			if f.s == nil {
				continue
			}
			b, err := io.ReadAll(f.s.Reader())
			if err != nil {
				return nil, fmt.Errorf("read a recorded capture back: %w", err)
			}
			*f.dst = string(b)
		}
		out[i] = r.masked(e)
	}
	return out, nil
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
// atomically, one entry at a time: a capture kept in a file is streamed
// into it, masked. Call it when the run ends, whether it failed or not.
func (r *Recorder) Flush() error {
	if r.opts.Path == "" {
		return nil
	}
	tmp, err := os.CreateTemp(filepath.Dir(r.opts.Path), ".exec-record-*")
	if err != nil {
		return fmt.Errorf("write exec record %s: %w", r.opts.Path, err)
	}
	bw := bufio.NewWriterSize(tmp, 64<<10)
	werr := r.write(bw)
	if werr == nil {
		werr = bw.Flush()
	}
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

// Close releases the captures kept in files. The Recorder records nothing
// after it.
func (r *Recorder) Close() {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, rec := range r.entries {
		rec.stdout.Close()
		rec.stderr.Close()
	}
	r.entries = nil
}

// write writes the `exec:` document: each entry as MarshalEntries writes
// it, with the value of a capture kept in a file streamed in place of a
// placeholder.
func (r *Recorder) write(w *bufio.Writer) error {
	r.mu.Lock()
	entries := slices.Clone(r.entries)
	r.mu.Unlock()
	if len(entries) == 0 {
		data, err := MarshalEntries(nil)
		if err != nil {
			return err
		}
		_, err = w.Write(data)
		return err
	}
	if _, err := w.WriteString("exec:\n"); err != nil {
		return err
	}
	for _, rec := range entries {
		e := r.masked(rec.e)
		spilled := map[string]*Spooled{}
		for _, f := range []struct {
			name string
			s    *Spooled
			dst  *string
		}{{"stdout", rec.stdout, &e.Stdout}, {"stderr", rec.stderr, &e.Stderr}} {
			if f.s != nil && f.s.Len() > 0 {
				token := "mixbox-spilled-" + f.name + "-" + r.nonce
				*f.dst, spilled[token] = token, f.s
			}
		}
		data, err := MarshalEntries([]Entry{e})
		if err != nil {
			return err
		}
		item := strings.TrimPrefix(string(data), "exec:\n")
		for item != "" {
			i, token := len(item), ""
			for t := range spilled {
				if j := strings.Index(item, t); j >= 0 && j < i {
					i, token = j, t
				}
			}
			if _, err := w.WriteString(item[:i]); err != nil {
				return err
			}
			if token == "" {
				break
			}
			if err := writeYAMLValue(w, spilled[token], r.opts.MaskStream); err != nil {
				return err
			}
			item = item[i+len(token):]
		}
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
