package run

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/mixbox/mixbox/host/internal/mask"
	"github.com/mixbox/mixbox/host/internal/step"
)

// runLog writes the run log in text (Porter's lines plus mixbox's step lines)
// or JSON (one object per event). Everything it writes is masked: mixbox's
// own lines with the run's secrets, what mixins print with the run's
// secrets and then with the values mixins chose (see RATIONALE.md, "Why can
// a mixin not mask mixbox's own lines?").
type runLog struct {
	json    bool
	secrets *mask.Set
	guest   *mask.Set
	out     io.Writer // the raw stdout
	errw    io.Writer // the raw stderr

	mu     sync.Mutex   // serialises JSON events
	stdout *mask.Writer // mixbox's own lines (text only)
	stderr *mask.Writer
	// mixinOut and mixinErr carry what mixins print.
	mixinOut *mask.Writer
	mixinErr *mask.Writer
	tail     *tailWriter // what stdout last ended with (text only)
}

func newRunLog(json bool, secrets, guest *mask.Set, stdout, stderr io.Writer) *runLog {
	l := &runLog{json: json, secrets: secrets, guest: guest, out: stdout, errw: stderr}
	if json {
		l.mixinOut = mask.NewWriter(&lineWriter{log: l, stream: "stdout"}, secrets, guest)
		l.mixinErr = mask.NewWriter(&lineWriter{log: l, stream: "stderr"}, secrets, guest)
		l.stdout = mask.NewWriter(io.Discard, secrets) // own lines are events
		l.stderr = mask.NewWriter(io.Discard, secrets)
	} else {
		l.tail = &tailWriter{w: stdout}
		l.stdout = mask.NewWriter(l.tail, secrets)
		l.stderr = mask.NewWriter(stderr, secrets)
		l.mixinOut = mask.NewWriter(l.tail, secrets, guest)
		l.mixinErr = mask.NewWriter(stderr, secrets, guest)
	}
	return l
}

// tailWriter remembers whether what went through it ends a line.
type tailWriter struct {
	w       io.Writer
	mu      sync.Mutex
	midLine bool
}

func (t *tailWriter) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(p) > 0 {
		t.midLine = p[len(p)-1] != '\n'
	}
	return t.w.Write(p)
}

// ownLine prints one of mixbox's own lines (not Porter's) on a line of its
// own: after output that did not end its line, it starts a new one.
func (l *runLog) ownLine(format string, args ...any) {
	l.flushMixin() // resolve held-back bytes first
	if l.tail != nil {
		l.tail.mu.Lock()
		mid := l.tail.midLine
		l.tail.mu.Unlock()
		if mid {
			_, _ = l.tail.Write([]byte("\n"))
		}
	}
	l.line(format, args...)
}

// event is one JSON log record.
type event struct {
	Time       string `json:"time"`
	Event      string `json:"event"`
	Action     string `json:"action,omitempty"`
	Bundle     string `json:"bundle,omitempty"`
	Step       int    `json:"step,omitempty"`
	Steps      int    `json:"steps,omitempty"`
	Mixin      string `json:"mixin,omitempty"`
	Form       string `json:"form,omitempty"`
	Engine     string `json:"engine,omitempty"`
	Stream     string `json:"stream,omitempty"`
	Text       string `json:"text,omitempty"`
	Partial    bool   `json:"partial,omitempty"` // the line goes on in the next output event
	DurationMS *int64 `json:"duration_ms,omitempty"`
	Error      string `json:"error,omitempty"`
}

func (l *runLog) emit(e event) {
	e.Time = time.Now().UTC().Format(time.RFC3339Nano)
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(e) // an event always encodes
	l.mu.Lock()
	defer l.mu.Unlock()
	_, _ = l.out.Write(buf.Bytes()) // the log is best effort
}

// masked returns text with the run's secrets masked: mixbox's own text.
func (l *runLog) masked(text string) string { return l.secrets.String(text) }

// maskedAll returns text with the run's secrets masked, then the values
// mixins chose: text that carries what mixins produced (a description
// rendered with step outputs).
func (l *runLog) maskedAll(text string) string { return l.guest.String(l.secrets.String(text)) }

// flushMixin writes out what the mixin writers hold back, so that one of
// mixbox's own lines comes after it.
func (l *runLog) flushMixin() {
	_ = l.mixinOut.Flush() // best effort, as all log writes
	_ = l.mixinErr.Flush()
}

// line prints a line of the text log on stdout (masked), after what mixins
// printed so far.
func (l *runLog) line(format string, args ...any) {
	l.flushMixin()
	_, _ = fmt.Fprintf(l.stdout, format+"\n", args...)
	_ = l.stdout.Flush()
}

func (l *runLog) banner(action, bundle, installation string) {
	if l.json {
		l.emit(event{Event: "run_start", Action: action, Bundle: bundle, Text: l.masked(installation)})
		return
	}
	l.line("executing %s action from %s (installation: %s)", action, bundle, installation)
}

func (l *runLog) description(i, n int, desc string) {
	if desc == "" {
		return
	}
	desc = l.maskedAll(desc) // it may show an earlier step's outputs
	if l.json {
		l.emit(event{Event: "step_start", Step: i, Steps: n, Text: desc})
		return
	}
	l.line("%s", desc)
}

// stepLine writes one of mixbox's own lines about the running step (an exec
// denial, a cap reached) after what the step printed so far: step.IO.Log.
func (l *runLog) stepLine(line string) {
	line = strings.TrimSuffix(line, "\n")
	if l.json {
		l.flushMixin()
		l.emit(event{Event: "warning", Text: l.masked(line)})
		return
	}
	l.ownLine("%s", line)
}

func (l *runLog) stepEnd(i, n int, r step.Runner, d time.Duration, stepErr error) {
	l.flush()
	mixin, form := r.Name(), r.Form().String()
	if l.json {
		ms := d.Milliseconds()
		e := event{Event: "step_end", Step: i, Steps: n, Mixin: mixin, Form: form, DurationMS: &ms}
		if en, ok := r.(interface{ Engine() string }); ok {
			e.Engine = en.Engine() // a wasm mixin: which wazero engine ran it
		}
		if stepErr != nil {
			e.Error = l.masked(stepErr.Error())
		}
		l.emit(e)
		return
	}
	status := "done"
	if stepErr != nil {
		status = "failed"
	}
	l.ownLine("step %d/%d %s: %s (%s) in %s", i, n, status, mixin, form, round(d))
}

func (l *runLog) warn(format string, args ...any) {
	msg := l.masked(fmt.Sprintf(format, args...))
	if l.json {
		l.emit(event{Event: "warning", Text: msg})
		return
	}
	l.flushMixin()
	_, _ = fmt.Fprintf(l.stderr, "warning: %s\n", msg)
	_ = l.stderr.Flush()
}

// info prints one of mixbox's own lines on stdout (an "info" event in JSON).
func (l *runLog) info(format string, args ...any) {
	msg := l.masked(fmt.Sprintf(format, args...))
	if l.json {
		l.emit(event{Event: "info", Text: msg})
		return
	}
	l.ownLine("%s", msg)
}

func (l *runLog) debug(format string, args ...any) {
	msg := l.masked(fmt.Sprintf(format, args...))
	if l.json {
		l.emit(event{Event: "debug", Text: msg})
		return
	}
	l.line("%s", msg)
}

// done ends the log: how many of the n steps ran, and which one failed (0
// when none did).
func (l *runLog) done(ran, n, failed int, d time.Duration, runErr error) {
	l.flush()
	if l.json {
		ms := d.Milliseconds()
		e := event{Event: "run_end", Step: ran, Steps: n, DurationMS: &ms}
		if runErr != nil {
			e.Error = l.masked(runErr.Error())
		}
		l.emit(e)
		return
	}
	switch {
	case runErr == nil:
		l.line("execution completed successfully!")
		l.ownLine("ran %d of %d steps in %s", ran, n, round(d))
	case failed > 0 && failed < n:
		l.ownLine("failed at step %d of %d in %s (%d not run)", failed, n, round(d), n-failed)
	case failed > 0:
		l.ownLine("failed at step %d of %d in %s", failed, n, round(d))
	default:
		l.ownLine("ran %d of %d steps in %s, then failed", ran, n, round(d))
	}
}

func (l *runLog) flush() {
	l.flushMixin()
	_ = l.stdout.Flush() // best effort, as all log writes
	_ = l.stderr.Flush()
	if l.json {
		for _, w := range []*mask.Writer{l.mixinOut, l.mixinErr} {
			if lw, ok := w.Unwrap().(*lineWriter); ok {
				lw.flushPartial()
			}
		}
	}
}

func round(d time.Duration) time.Duration {
	switch {
	case d >= time.Second:
		return d.Round(10 * time.Millisecond)
	case d >= time.Millisecond:
		return d.Round(100 * time.Microsecond)
	}
	return d
}

// maxLine is the most text of one output event: a longer line is cut into
// events of this size (at a rune boundary) marked partial, so a flood with
// no newline costs no more memory than this.
const maxLine = 64 << 10

// lineWriter turns a stream into one JSON "output" event per line.
type lineWriter struct {
	log     *runLog
	stream  string
	partial []byte
}

func (w *lineWriter) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		if i := bytes.IndexByte(p, '\n'); i >= 0 && len(w.partial)+i <= maxLine {
			w.partial = append(w.partial, p[:i]...)
			w.log.emit(event{Event: "output", Stream: w.stream, Text: string(w.partial)})
			w.partial, p = w.partial[:0], p[i+1:]
			continue
		}
		take := min(len(p), maxLine-len(w.partial))
		w.partial = append(w.partial, p[:take]...)
		p = p[take:]
		if len(w.partial) == maxLine {
			cut := maxLine
			for j := maxLine - 1; j >= maxLine-utf8.UTFMax && j > 0; j-- {
				if utf8.RuneStart(w.partial[j]) {
					if !utf8.FullRune(w.partial[j:]) {
						cut = j
					}
					break
				}
			}
			w.log.emit(event{Event: "output", Stream: w.stream, Text: string(w.partial[:cut]), Partial: true})
			w.partial = append(w.partial[:0], w.partial[cut:]...)
		}
	}
	return n, nil
}

// flushPartial emits a last line that did not end with a newline.
func (w *lineWriter) flushPartial() {
	if len(w.partial) > 0 {
		w.log.emit(event{Event: "output", Stream: w.stream, Text: string(w.partial)})
		w.partial = w.partial[:0]
	}
}
