package mixintest

import (
	"context"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"sync"

	"github.com/mixbox/mixbox/host/internal/hostexec"
	"github.com/mixbox/mixbox/host/internal/policy"
	"github.com/mixbox/mixbox/wasmabi"
)

// Call is one exec call a mixin made.
type Call struct {
	// Command, Args, Env, Dir and Stdin are the request's.
	Command string
	Args    []string
	Env     map[string]string
	Dir     string
	Stdin   string
	// Reason is why the policy refused the call; "" for an allowed call.
	Reason string
}

// String returns the call as reports show it: `helm [upgrade --install mysql]`.
func (c Call) String() string { return hostexec.CallString(c.Command, c.Args) }

// tableMode is how the table answers calls.
type tableMode int

const (
	modeStrict tableMode = iota // in order, every entry used, nothing else
	modeLoose                   // any order, unused entries fine, E_NOTFOUND for others
	modeRecord                  // --update: in order, missing entries answered exit 0
)

// table is the hostexec.Executor of one case: it applies the case's policy,
// answers from its exec list and records what the mixin asked.
type table struct {
	mixin   string
	entries []hostexec.Entry
	policy  policy.Mixin
	mode    tableMode

	mu       sync.Mutex
	used     []bool
	next     int
	calls    []Call
	answers  []int // per call, the index of the entry that answered it, -1 none
	denied   []Call
	failures []string
}

var _ hostexec.Executor = (*table)(nil)

// newTable answers c's calls under pol, the case's effective policy.
func newTable(mixin string, c *Case, pol policy.Mixin, mode tableMode) *table {
	return &table{mixin: mixin, entries: entries(c.Exec), policy: pol, mode: mode, used: make([]bool, len(c.Exec))}
}

// Exec answers one call.
func (t *table) Exec(_ context.Context, c hostexec.Call) (wasmabi.ExecResult, error) {
	req := c.Request
	call := Call{Command: req.Command, Args: slices.Clone(req.Args), Env: maps.Clone(req.Env), Dir: req.Dir, Stdin: req.Stdin}
	if call.Args == nil {
		call.Args = []string{}
	}
	t.mu.Lock()
	if err := t.check(req); err != nil {
		call.Reason = err.Error()
		t.denied = append(t.denied, call)
		t.mu.Unlock()
		return wasmabi.ExecResult{}, err
	}
	t.calls = append(t.calls, call)
	n := len(t.calls)
	idx := t.pick(n, call)
	t.answers = append(t.answers, idx)
	t.mu.Unlock()

	var res wasmabi.ExecResult
	switch {
	case idx >= 0:
		res = t.entries[idx].Result()
	case t.mode == modeRecord:
		// A new call while recording: it succeeds with no output.
	default:
		return wasmabi.ExecResult{}, fmt.Errorf("%w: the exec table has no entry for %s", wasmabi.ENotFound, call)
	}
	if limit := t.captureLimit(); limit > 0 {
		res.Stdout, res.StdoutTruncated = truncate(res.Stdout, limit)
		res.Stderr, res.StderrTruncated = truncate(res.Stderr, limit)
	}
	if req.Streams() {
		writeTo(c.Stdout, res.Stdout)
		writeTo(c.Stderr, res.Stderr)
	}
	return hostexec.Discarded(req, res), nil
}

// check returns the *policy.DeniedError of a request the case's policy
// refuses, as a run's policy check does.
func (t *table) check(req wasmabi.ExecRequest) error {
	return t.policy.Check(t.mixin, policy.Resolve(req))
}

// pick chooses the entry that answers call n (1-based), recording a
// failure in strict mode; -1 is none. t.mu is held.
func (t *table) pick(n int, call Call) int {
	if t.mode == modeLoose {
		for i, e := range t.entries {
			if !t.used[i] && e.Match(call.Command, call.Args) {
				t.used[i] = true
				return i
			}
		}
		return -1
	}
	if t.next >= len(t.entries) {
		if t.mode == modeStrict {
			t.failures = append(t.failures, hostexec.CallDiff(n, "no call", call.String()))
		}
		return -1
	}
	i := t.next
	t.next++
	t.used[i] = true
	if e := t.entries[i]; t.mode == modeStrict && !e.Match(call.Command, call.Args) {
		t.failures = append(t.failures, hostexec.CallDiff(n, e.String(), call.String()))
	}
	return i
}

// finish returns the failures of the table once the mixin is done: the
// mismatches seen, then the entries a strict table never used.
func (t *table) finish() []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := slices.Clone(t.failures)
	if t.mode != modeStrict {
		return out
	}
	for i := t.next; i < len(t.entries); i++ {
		out = append(out, hostexec.CallDiff(i+1, t.entries[i].String(), "no call"))
	}
	return out
}

func (t *table) captureLimit() int64 { return t.policy.Limits.CaptureBytes }

func truncate(s string, limit int64) (string, bool) {
	if int64(len(s)) <= limit {
		return s, false
	}
	return s[:limit], true
}

func writeTo(w io.Writer, s string) {
	if w != nil && s != "" {
		_, _ = io.WriteString(w, s) // the guest's console; its writers never fail the call
	}
}

// deniedMatches reports whether the entry of want.denied names call: its
// command, or its command line.
func deniedMatches(want string, call Call) bool {
	want = strings.TrimSpace(want)
	return want == call.Command || want == strings.Join(append([]string{call.Command}, call.Args...), " ")
}
