package mixintest

import (
	"fmt"
	"path"
	"regexp"
	"slices"
	"strings"

	"github.com/mixbox/mixbox/host/internal/policy"
	"github.com/mixbox/mixbox/wasmabi"
)

// bundlePath is where the bundle directory appears inside the guest.
const bundlePath = "/cnab/app"

// refusedEnv are the request env keys refused whatever the policy says
// (abi-v1 §3).
func refusedEnv() []string { return []string{"LD_PRELOAD", "LD_LIBRARY_PATH", "PATH", "BASH_ENV"} }

// internal converts p to the runner's policy type; nil grants every
// command (the table decides) and mounts the bundle directory.
func (p *Policy) internal() policy.Mixin {
	if p == nil {
		return policy.Mixin{Exec: []policy.ExecGrant{{Command: "*"}}, Mount: true}
	}
	m := policy.Mixin{
		Env: p.Env, Mount: !p.NoMount, InheritEnv: p.InheritEnv, Mounts: p.Mounts, Dirs: p.Dirs,
		Limits: policy.Limits{
			Memory: p.Limits.Memory, StepTimeout: p.Limits.StepTimeout, ExecTimeout: p.Limits.ExecTimeout,
			ExecCalls: p.Limits.ExecCalls, CaptureBytes: p.Limits.CaptureBytes, LogBytes: p.Limits.LogBytes,
			OutputBytes: p.Limits.OutputBytes, Outputs: p.Limits.Outputs,
		},
	}
	for _, g := range p.Exec {
		m.Exec = append(m.Exec, policy.ExecGrant{Command: g.Command, Path: g.Path, Args: g.Args})
	}
	return m
}

// check reports why the policy refuses req, or "" when it allows it. It
// judges the resolved request as a run does: the cleaned dir, the command
// as given and, for a path, resolved against the dir.
func (p *Policy) check(mixin string, req wasmabi.ExecRequest) string {
	if p == nil {
		return ""
	}
	deny := func(format string, args ...any) string {
		return fmt.Sprintf("exec %q refused: ", req.Command) + fmt.Sprintf(format, args...)
	}
	dir := req.Dir
	if dir == "" {
		dir = bundlePath
	}
	if !path.IsAbs(dir) {
		dir = path.Join(bundlePath, dir)
	}
	dir = path.Clean(dir)
	if !within(dir, bundlePath) && !slices.ContainsFunc(p.Dirs, func(d string) bool { return within(dir, path.Clean(d)) }) {
		return deny("dir %s is outside /cnab/app and the policy's dirs of mixin %s", dir, mixin)
	}
	resolved := ""
	if strings.Contains(req.Command, "/") {
		resolved = req.Command
		if !path.IsAbs(resolved) {
			resolved = path.Join(dir, resolved)
		}
		resolved = path.Clean(resolved)
		if !within(resolved, bundlePath) {
			return deny("%s is outside /cnab/app", resolved)
		}
	}
	keys := make([]string, 0, len(req.Env))
	for k := range req.Env {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if slices.Contains(refusedEnv(), k) {
			return deny("env %s is always refused", k)
		}
		if !slices.Contains(p.Env, k) {
			return deny("env %s is not in the env of mixin %s", k, mixin)
		}
	}
	reason := deny("no exec grant of mixin %s names it", mixin)
	for _, g := range p.Exec {
		if !g.names(req.Command, resolved) {
			continue
		}
		if why := g.argsMismatch(req.Args); why != "" {
			reason = deny("%s", why)
			continue
		}
		return ""
	}
	return reason
}

// names reports whether g grants the command: "*", the name as given, or
// for a path grant the resolved path.
func (g Grant) names(command, resolved string) bool {
	switch {
	case g.Command == "*":
		return true
	case strings.Contains(g.Command, "/"):
		want := g.Command
		if !path.IsAbs(want) {
			want = path.Join(bundlePath, want)
		}
		return resolved != "" && path.Clean(want) == resolved
	}
	return g.Command == command
}

func (g Grant) argsMismatch(args []string) string {
	if len(args) < len(g.Args) {
		return fmt.Sprintf("the grant of %s wants at least %d args, got %d", g.Command, len(g.Args), len(args))
	}
	for i, re := range g.Args {
		r, err := regexp.Compile(anchor(re))
		if err != nil || !r.MatchString(args[i]) {
			return fmt.Sprintf("arg %d %q does not match %q of the grant of %s", i+1, args[i], re, g.Command)
		}
	}
	return ""
}

func within(p, dir string) bool {
	return p == dir || strings.HasPrefix(p, strings.TrimSuffix(dir, "/")+"/")
}
