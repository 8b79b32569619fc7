package mixintest

import (
	"slices"
	"time"

	"github.com/mixbox/mixbox/host/internal/hostexec"
	"github.com/mixbox/mixbox/host/internal/policy"
)

// Exec is one fake command of a case's table: how to recognise the call
// (Command, then Args exactly or ArgsRegex, each regex anchored, one per
// arg) and what it returns (Stdout, Stderr, ExitCode and TimedOut make up
// the ExecResult). It is the entry of the `exec:` lists that --record-exec
// writes and --replay-exec reads, too.
type Exec struct {
	// Command must equal the request's command.
	Command string
	// Args must equal the request's args, unless ArgsRegex is set.
	Args []string
	// ArgsRegex matches the request's args one by one, each anchored at
	// both ends; there must be as many args as regexes.
	ArgsRegex []string
	// Stdout, Stderr, ExitCode and TimedOut make up the ExecResult.
	Stdout   string
	Stderr   string
	ExitCode int
	TimedOut bool
	// Line is the entry's line in the cases file, 0 when not from a file.
	Line int
}

// Policy is the mixin's block of a policy (docs/spec/policy.md), for a
// case, checked as a run checks it. A parsed `policy:` block mounts
// /cnab/app unless it says `mount: false`, and its Limits are merged with
// the policy defaults; the zero Policy grants no command and does not mount
// /cnab/app (set Mount). Zero Limits fields take the policy defaults.
type Policy struct {
	// Exec are the commands the mixin may run.
	Exec []Grant
	// Env are the host variables passed through to commands, and the keys
	// a request's env may set.
	Env []string
	// Mount gives the guest the read-only /cnab/app mount.
	Mount bool
	// InheritEnv gives commands mixbox's whole environment.
	InheritEnv bool
	// Mounts are more read-only host paths, the same path inside.
	Mounts []string
	// Dirs are more working directories an exec request may use.
	Dirs []string
	// Limits are the per-step limits.
	Limits Limits
}

// Grant allows one command: Command by name ("*" for any), Path pins the
// resolved path, Args are anchored regexes for the leading args.
type Grant struct {
	Command string
	Path    string
	Args    []string
}

// Limits are the per-step limits of docs/spec/policy.md; a zero field is
// the policy default.
type Limits struct {
	Memory       int64         // linear memory cap per instance, bytes
	StepTimeout  time.Duration // wall time of one step
	ExecTimeout  time.Duration // default per exec call
	ExecCalls    int           // exec calls per step
	CaptureBytes int64         // per exec call, stdout and stderr each
	LogBytes     int64         // guest stdout+stderr+log per step
	OutputBytes  int64         // sum of output values per step
	Outputs      int           // output count per step
}

// entry is e as the host's exec list entry.
func (e Exec) entry() hostexec.Entry {
	return hostexec.Entry{
		Command: e.Command, Args: slices.Clone(e.Args), ArgsRegex: slices.Clone(e.ArgsRegex),
		Stdout: e.Stdout, Stderr: e.Stderr, ExitCode: e.ExitCode, TimedOut: e.TimedOut, Line: e.Line,
	}
}

// execOf is the host's exec list entry e as an Exec.
func execOf(e hostexec.Entry) Exec {
	return Exec{
		Command: e.Command, Args: e.Args, ArgsRegex: e.ArgsRegex,
		Stdout: e.Stdout, Stderr: e.Stderr, ExitCode: e.ExitCode, TimedOut: e.TimedOut, Line: e.Line,
	}
}

// entries converts a case's table, its regexes compiled once.
func entries(execs []Exec) []hostexec.Entry {
	if execs == nil {
		return nil
	}
	out := make([]hostexec.Entry, len(execs))
	for i, e := range execs {
		out[i] = e.entry()
	}
	return hostexec.CompileAll(out)
}

// mixin is p as the host's policy of one mixin, its zero limits taken from
// the policy defaults.
func (p Policy) mixin() policy.Mixin {
	m := policy.Mixin{
		Env: slices.Clone(p.Env), Mount: p.Mount, InheritEnv: p.InheritEnv,
		Mounts: slices.Clone(p.Mounts), Dirs: slices.Clone(p.Dirs),
		Limits: policy.Limits(p.Limits).Or(policy.Builtin()),
	}
	for _, g := range p.Exec {
		m.Exec = append(m.Exec, policy.ExecGrant{Command: g.Command, Path: g.Path, Args: slices.Clone(g.Args)})
	}
	return m
}

// policyOf is the host's policy of one mixin as a Policy.
func policyOf(m policy.Mixin) Policy {
	p := Policy{
		Env: m.Env, Mount: m.Mount, InheritEnv: m.InheritEnv, Mounts: m.Mounts, Dirs: m.Dirs,
		Limits: Limits(m.Limits),
	}
	for _, g := range m.Exec {
		p.Exec = append(p.Exec, Grant{Command: g.Command, Path: g.Path, Args: g.Args})
	}
	return p
}
