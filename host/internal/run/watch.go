package run

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/mixbox/mixbox/host/internal/errkind"
	"github.com/mixbox/mixbox/host/internal/hostexec"
	"github.com/mixbox/mixbox/host/internal/policy"
	"github.com/mixbox/mixbox/wasmabi"
)

// execWatch is what a step's wasm mixin asked of exec that the step's error
// should name: the calls the policy refused, and the last command that
// failed. The run resets it before each step.
type execWatch struct {
	mu     sync.Mutex
	denied []*policy.DeniedError
	failed *failedCall
}

// failedCall is a command that exited non-zero or could not start.
type failedCall struct {
	command  string
	exitCode int
	signal   string
	start    string // why it could not start ("" when it ran)
}

// watched wraps next so that w sees its refusals and failures.
func (w *execWatch) watched(next hostexec.Executor) hostexec.Executor {
	return watchExec{next: next, w: w}
}

type watchExec struct {
	next hostexec.Executor
	w    *execWatch
}

func (x watchExec) Exec(ctx context.Context, c hostexec.Call) (wasmabi.ExecResult, error) {
	res, err := x.next.Exec(ctx, c)
	x.w.mu.Lock()
	defer x.w.mu.Unlock()
	var de *policy.DeniedError
	switch {
	case errors.As(err, &de):
		x.w.denied = append(x.w.denied, de)
	case err == nil && res.ExitCode != 0:
		f := &failedCall{command: c.Request.Command, exitCode: res.ExitCode, signal: res.Signal}
		if res.ExitCode == -1 && res.Signal == "" && !res.TimedOut {
			f.start = strings.TrimSpace(res.Stderr) // a start failure: the host's reason
		}
		x.w.failed = f
	case err == nil:
		x.w.failed = nil // a later command succeeded: the mixin went on past the failure
	}
	return res, err
}

// reset forgets the previous step.
func (w *execWatch) reset() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.denied, w.failed = nil, nil
}

// took returns what the step did.
func (w *execWatch) took() ([]*policy.DeniedError, *failedCall) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return slices.Clone(w.denied), w.failed
}

// String says how the command ended: "./fail.sh exited with code 3".
func (f *failedCall) String() string {
	switch {
	case f.start != "":
		return fmt.Sprintf("%s could not start: %s", f.command, f.start)
	case f.signal != "":
		return fmt.Sprintf("%s was killed by %s", f.command, f.signal)
	}
	return fmt.Sprintf("%s exited with code %d", f.command, f.exitCode)
}

// denialHint says how to let a mixin run the commands the policy refused
// it, with the lines to add: to its metadata (a wasm mixin other than exec
// under the default policy), or to a policy file.
func denialHint(mixin string, defaultPolicy bool, denied []*policy.DeniedError) string {
	var cmds []string
	named := true // every refusal is of a command no grant names
	for _, d := range denied {
		if !slices.Contains(cmds, d.Command) {
			cmds = append(cmds, d.Command)
		}
		named = named && strings.HasPrefix(d.Rule, "no exec grant")
	}
	if len(cmds) == 0 {
		return ""
	}
	var b strings.Builder
	if defaultPolicy && mixin != policy.ExecMixin && named {
		fmt.Fprintf(&b, "declare the commands in the mixbox.mixin metadata of %s (mixin.yaml) and pack it into the module again (mixbox mixin pack):\n", mixin)
		fmt.Fprintf(&b, "    capabilities:\n      exec: [%s]\n", strings.Join(quoted(cmds), ", "))
		b.WriteString("  or grant them in a policy file:\n")
	} else {
		b.WriteString("grant them in a policy file (docs/spec/policy.md):\n")
	}
	fmt.Fprintf(&b, "    apiVersion: mixbox/v1\n    mixins:\n      %s:\n        exec:\n", mixin)
	for _, c := range cmds {
		fmt.Fprintf(&b, "          - command: %s\n", quote(c))
	}
	return strings.TrimRight(b.String(), "\n")
}

func quoted(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = quote(s)
	}
	return out
}

// quote is s as a YAML flow scalar: plain when that reads back as s.
func quote(s string) string {
	if s != "" && !strings.ContainsAny(s, ":#{}[],&*!|>'\"%@` \t") && !strings.HasPrefix(s, "-") {
		return s
	}
	return fmt.Sprintf("%q", s)
}

// deniedErr marks a failed step's error as caused by the policy, with the
// hint that says how to grant what was refused.
func deniedErr(err error, mixin string, defaultPolicy bool, denied []*policy.DeniedError) error {
	return errkind.WithHint(errkind.Of(errkind.ErrDenied, err), denialHint(mixin, defaultPolicy, denied))
}
