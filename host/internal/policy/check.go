package policy

import (
	"fmt"
	"path"
	"regexp"
	"slices"
	"strings"

	"github.com/mixbox/mixbox/wasmabi"
)

// BundleDir is where the bundle directory is, as the guest and the policy
// see it.
const BundleDir = "/cnab/app"

// Request is an exec request as the policy checks it: resolved.
type Request struct {
	// Command is the command as the guest gave it.
	Command string
	// Path is the resolved absolute path: for a command containing a slash
	// the cleaned path inside the guest (taken from Dir when relative); for
	// a bare name the host path it was found at on the PATH, or "" before
	// it is looked up. With Path "", grants pinning a path are not yet
	// checked: check again once the name is looked up.
	Path string
	// Args are the request's args.
	Args []string
	// Env holds the request's extra variables.
	Env map[string]string
	// Dir is the cleaned absolute working directory (default /cnab/app; a
	// relative dir is taken from /cnab/app).
	Dir string
}

// Resolve resolves req as the host will run it.
func Resolve(req wasmabi.ExecRequest) Request {
	dir := req.Dir
	if dir == "" {
		dir = BundleDir
	}
	if !path.IsAbs(dir) {
		dir = path.Join(BundleDir, dir)
	}
	dir = path.Clean(dir)
	r := Request{Command: req.Command, Args: req.Args, Env: req.Env, Dir: dir}
	if strings.Contains(req.Command, "/") {
		p := req.Command
		if !path.IsAbs(p) {
			p = path.Join(dir, p)
		}
		r.Path = path.Clean(p)
	}
	return r
}

// InBundle reports whether the cleaned absolute path p is /cnab/app or
// under it.
func InBundle(p string) bool { return within(p, BundleDir) }

// within reports whether the cleaned path p is dir or under it.
func within(p, dir string) bool {
	return p == dir || dir == "/" || strings.HasPrefix(p, dir+"/")
}

// Check reports whether m lets mixin run the resolved request r: nil, or a
// *DeniedError (matching wasmabi.EDenied) that names the rule. In order:
//
//   - a command containing a slash must resolve under /cnab/app (abi-v1.md
//     §8.6), whatever the grants;
//   - Dir must be /cnab/app or under it, or one of m.Dirs or under it;
//   - each request env key must be listed in m.Env and not be one of
//     RefusedEnv (in any letter case) or an invalid name;
//   - one grant must name the command ("*", the exact name, or the resolved
//     path for a path grant), agree with a pinned path once r.Path is known,
//     and its arg regexes must each match the whole arg at their position.
func (m Mixin) Check(mixin string, r Request) error {
	deny := func(format string, args ...any) error {
		return &DeniedError{Mixin: mixin, Command: r.Command, Rule: fmt.Sprintf(format, args...)}
	}
	if strings.Contains(r.Command, "/") && !strings.HasPrefix(r.Path, BundleDir+"/") {
		return deny("%s is outside %s", r.Path, BundleDir)
	}
	if !within(r.Dir, BundleDir) && !slices.ContainsFunc(m.Dirs, func(d string) bool { return path.IsAbs(d) && within(r.Dir, path.Clean(d)) }) {
		return deny("dir %s is outside %s and the dirs of the policy", r.Dir, BundleDir)
	}
	keys := make([]string, 0, len(r.Env))
	for k := range r.Env {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if why := envRefused(k); why != "" {
			return deny("env %s %s", printable(k), why)
		}
		if !slices.Contains(m.Env, k) {
			return deny("env %s is not in the env of the policy", k)
		}
	}
	rule := "no exec grant names it"
	for i, g := range m.Exec {
		if !g.names(r) {
			continue
		}
		if g.Path != "" && r.Path != "" && path.Clean(g.Path) != r.Path {
			if rule == "no exec grant names it" {
				rule = fmt.Sprintf("it resolves to %s, exec grant %d pins %s", r.Path, i+1, g.Path)
			}
			continue
		}
		if why := g.argsMismatch(r.Args); why != "" {
			if rule == "no exec grant names it" {
				rule = fmt.Sprintf("args refused by exec grant %d: %s", i+1, why)
			}
			continue
		}
		return nil
	}
	return deny("%s", rule)
}

// names reports whether g names r's command: "*", the name as given, or for
// a grant with only a path, the resolved path (before a bare name is looked
// up: the path's last element).
func (g ExecGrant) names(r Request) bool {
	switch g.Command {
	case "*":
		return true
	case "":
		if r.Path == "" { // a bare name not looked up yet: it may be found there
			return !strings.Contains(r.Command, "/") && path.Base(g.Path) == r.Command
		}
		return r.Path == path.Clean(g.Path)
	}
	return g.Command == r.Command
}

// argsMismatch says why args do not satisfy g's regexes, or "".
func (g ExecGrant) argsMismatch(args []string) string {
	if len(args) < len(g.Args) {
		return fmt.Sprintf("%d args, the grant constrains %d", len(args), len(g.Args))
	}
	for i, re := range g.Args {
		rx, err := regexp.Compile(anchor(re))
		if err != nil {
			return fmt.Sprintf("bad regex %q", re)
		}
		if !rx.MatchString(args[i]) {
			return fmt.Sprintf("arg %d does not match %s", i+1, anchor(re))
		}
	}
	return ""
}
