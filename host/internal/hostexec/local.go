package hostexec

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/mixbox/mixbox/host/internal/policy"
	"github.com/mixbox/mixbox/internal/environ"
	"github.com/mixbox/mixbox/internal/procexec"
	"github.com/mixbox/mixbox/wasmabi"
)

// DefaultKillGrace is how long a command has between SIGTERM and SIGKILL
// when Options.KillGrace is zero.
const DefaultKillGrace = 5 * time.Second

// Options configures a Local executor. The zero value grants nothing.
type Options struct {
	// Policy is the effective policy of the mixin whose calls this
	// executor runs (policy.Policy.For). Zero limits take policy.Builtin.
	Policy policy.Mixin
	// Env is mixbox's environment as KEY=VALUE. Commands get its PATH and
	// HOME, the keys Policy.Env lists (all of it with Policy.InheritEnv),
	// then the request's env. Its PATH is where bare names are looked up.
	Env []string
	// Root is the host directory that stands for the guest's / for CNAB
	// paths (mixbox run --cnab-root): the guest's /cnab/... and /porter/...
	// are Root/cnab/... and Root/porter/... on the host. Other paths (the
	// policy's dirs) are host paths. "" is "/".
	Root string
	// LookPath finds a bare command name on the host and returns its
	// absolute path. An error matching exec.ErrDot (found through a
	// relative PATH entry) fails the call as a command that cannot start;
	// any other error means not found. Nil is procexec.LookPath over Env's
	// PATH, its relative entries taken from the bundle directory.
	LookPath func(name string) (string, error)
	// KillGrace is the time between SIGTERM and SIGKILL to the command's
	// process group on a timeout or cancel; zero is DefaultKillGrace.
	KillGrace time.Duration
	// Logger receives a debug line per call; nil discards.
	Logger *slog.Logger
}

// Local runs exec calls as host processes: it resolves each request,
// checks it against the policy, looks a bare name up, and runs it in its own
// process group with a timeout and capped capture. It is safe for
// concurrent use.
type Local struct {
	opts Options
	env  map[string]string
}

var _ Executor = (*Local)(nil)

// New returns a Local executor.
func New(opts Options) *Local {
	if opts.KillGrace <= 0 {
		opts.KillGrace = DefaultKillGrace
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	l := &Local{opts: opts, env: environ.Map(opts.Env)}
	if l.opts.LookPath == nil {
		pathEnv, bundle := l.env["PATH"], l.hostPath(policy.BundleDir)
		l.opts.LookPath = func(name string) (string, error) { return procexec.LookPath(name, pathEnv, bundle) }
	}
	return l
}

// Exec checks and runs one call. The order of its refusals follows
// abi-v1.md §8.2: a request the policy refuses, or whose command or dir
// leaves the bundle through a symlink, is E_DENIED before any look-up; a
// granted command that is absent is E_NOTFOUND; one that is found but
// cannot start, or that the PATH finds only through a relative entry, gives
// exit code -1 with the reason in stderr.
func (l *Local) Exec(ctx context.Context, c Call) (wasmabi.ExecResult, error) {
	pol := l.opts.Policy
	r := policy.Resolve(c.Request)
	if err := pol.Check(c.Mixin, r); err != nil {
		l.opts.Logger.DebugContext(ctx, "exec denied", "mixin", c.Mixin, "step", c.Step, "command", r.Command, "error", err)
		return wasmabi.ExecResult{}, err
	}
	if err := l.confine(c.Mixin, r); err != nil {
		l.opts.Logger.DebugContext(ctx, "exec denied", "mixin", c.Mixin, "step", c.Step, "command", r.Command, "error", err)
		return wasmabi.ExecResult{}, err
	}
	var bin, looked, shown string
	if r.Path != "" {
		bin, shown = l.hostPath(r.Path), r.Path
		if _, err := os.Stat(bin); err != nil {
			return wasmabi.ExecResult{}, fmt.Errorf("find command %s in the bundle: %w", r.Path, wasmabi.ENotFound)
		}
	} else {
		found, err := l.opts.LookPath(r.Command)
		if errors.Is(err, exec.ErrDot) {
			l.opts.Logger.DebugContext(ctx, "exec refused", "mixin", c.Mixin, "step", c.Step, "command", r.Command, "error", err)
			return startFailure(time.Now(), err), nil
		}
		if err != nil || found == "" {
			return wasmabi.ExecResult{}, fmt.Errorf("look up command %q on the PATH: %w", r.Command, wasmabi.ENotFound)
		}
		r.Path, bin, looked = found, found, found
		if err := pol.Check(c.Mixin, r); err != nil { // a pinned path
			return wasmabi.ExecResult{}, err
		}
	}
	limits := pol.Limits.Or(policy.Builtin())
	timeout := limits.ExecTimeout
	if ms := c.Request.TimeoutMS; ms > 0 && time.Duration(ms) < timeout/time.Millisecond {
		timeout = time.Duration(ms) * time.Millisecond
	}
	l.opts.Logger.DebugContext(ctx, "exec", "mixin", c.Mixin, "step", c.Step, "command", r.Command, "path", bin, "dir", r.Dir)
	res := l.run(ctx, c, run{
		path:    bin,
		shown:   shown,
		args:    c.Request.Args,
		dir:     l.hostPath(r.Dir),
		env:     l.environ(pol, c.Request.Env),
		timeout: timeout,
		capture: limits.CaptureBytes,
	})
	res.Path = looked
	return res, nil
}

// confine checks r, which the policy allowed, against the host's
// symlinks: a command path must still resolve inside the bundle directory
// and the dir inside it or one of the policy's dirs (abi-v1.md §8.6), once
// every symlink is followed. A path that does not resolve is left to the
// look-up (E_NOTFOUND) or the start (exit code -1).
func (l *Local) confine(mixin string, r policy.Request) error {
	bundle := realPath(l.hostPath(policy.BundleDir))
	if strings.Contains(r.Command, "/") {
		if resolved, err := filepath.EvalSymlinks(l.hostPath(r.Path)); err == nil && !inside(resolved, bundle) {
			return &policy.DeniedError{Mixin: mixin, Command: r.Command,
				Rule: fmt.Sprintf("the command resolves outside %s through a symlink (%s is %s)", policy.BundleDir, r.Path, resolved)}
		}
	}
	resolved, err := filepath.EvalSymlinks(l.hostPath(r.Dir))
	if err != nil || inside(resolved, bundle) {
		return nil
	}
	for _, d := range l.opts.Policy.Dirs {
		if filepath.IsAbs(d) && inside(resolved, realPath(l.hostPath(filepath.Clean(d)))) {
			return nil
		}
	}
	return &policy.DeniedError{Mixin: mixin, Command: r.Command,
		Rule: fmt.Sprintf("dir %s resolves outside %s and the dirs of the policy through a symlink (it is %s)", r.Dir, policy.BundleDir, resolved)}
}

// realPath is p with its symlinks followed, or p cleaned when it does not
// resolve.
func realPath(p string) string {
	if resolved, err := filepath.EvalSymlinks(p); err == nil {
		return resolved
	}
	return filepath.Clean(p)
}

// inside reports whether the cleaned absolute path p is dir or under it.
func inside(p, dir string) bool {
	return p == dir || dir == string(filepath.Separator) || strings.HasPrefix(p, dir+string(filepath.Separator))
}

// hostPath maps a cleaned guest path to the host.
func (l *Local) hostPath(p string) string {
	root := l.opts.Root
	if root == "" || root == "/" {
		return p
	}
	for _, top := range []string{"/cnab", "/porter"} {
		if p == top || strings.HasPrefix(p, top+"/") {
			return filepath.Join(root, filepath.FromSlash(p))
		}
	}
	return p
}

// environ composes a command's environment: PATH and HOME, the policy's
// env (or everything with InheritEnv), then the request's env.
func (l *Local) environ(pol policy.Mixin, extra map[string]string) []string {
	env := map[string]string{}
	var order []string
	set := func(k, v string) {
		if _, ok := env[k]; !ok {
			order = append(order, k)
		}
		env[k] = v
	}
	if pol.InheritEnv {
		for _, kv := range l.opts.Env {
			if k, v, ok := strings.Cut(kv, "="); ok && k != "" {
				set(k, v)
			}
		}
	}
	keys := append([]string{"PATH", "HOME"}, pol.Env...)
	for _, k := range keys {
		if v, ok := l.env[k]; ok {
			set(k, v)
		}
	}
	for _, k := range slices.Sorted(maps.Keys(extra)) {
		set(k, extra[k])
	}
	out := make([]string, 0, len(order))
	for _, k := range order {
		out = append(out, k+"="+env[k])
	}
	return out
}

// run is one command to start.
type run struct {
	path    string
	shown   string // the bundle path of a bundle command, its host path hidden
	args    []string
	dir     string
	env     []string
	timeout time.Duration
	capture int64
}

// run starts the command in its own process group and waits for it and for
// every process holding its stdout or stderr: up to the timeout (then the
// group gets SIGTERM and, after the grace period, SIGKILL), and once the
// command has exited, up to the grace period (then what is left of the
// group gets SIGKILL and the command's own exit is the result). Whatever is
// left of the group when the call ends is killed.
func (l *Local) run(ctx context.Context, c Call, r run) wasmabi.ExecResult {
	start := time.Now()
	runCtx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()

	var tee sync.Mutex // Call.Stdout and Call.Stderr may share a console
	stdout := &capture{limit: r.capture, discard: !c.Request.Captures(wasmabi.StreamStdout), spill: c.Spill != nil}
	stderr := &capture{limit: r.capture, discard: !c.Request.Captures(wasmabi.StreamStderr), spill: c.Spill != nil}
	if c.Request.Streams() {
		stdout.tee, stderr.tee, stdout.mu, stderr.mu = c.Stdout, c.Stderr, &tee, &tee
	}
	pipes, err := newPipes(c.Request.Stdin)
	if err != nil {
		return startFailure(start, err)
	}
	cmd, err := procexec.Start(func() *exec.Cmd { // again while the file is busy (ETXTBSY)
		cmd := procexec.Command(runCtx, l.opts.KillGrace, r.path, r.args...)
		cmd.Dir = r.dir
		cmd.Env = r.env
		cmd.Stdout, cmd.Stderr = pipes.childOut, pipes.childErr
		if pipes.childIn != nil {
			cmd.Stdin = pipes.childIn // else /dev/null
		}
		return cmd
	})
	if err != nil {
		pipes.closeAll()
		return startFailure(start, r.startErr(err))
	}
	pipes.closeChild()
	// The process group gets SIGKILL a grace period after the deadline, or
	// once everything is done if that is sooner.
	stop := procexec.Watch(runCtx, cmd.Process.Pid, l.opts.KillGrace)

	readers := pipes.read(stdout, stderr)
	_ = cmd.Wait() // the exit status is in cmd.ProcessState; ctx errors are timedOut
	drain := time.NewTimer(l.opts.KillGrace)
	defer drain.Stop()
	select {
	case <-readers:
	case <-runCtx.Done():
		// Descendants hold the pipes: wait for the kill, then let go.
		select {
		case <-readers:
		case <-time.After(l.opts.KillGrace + 200*time.Millisecond):
			pipes.closeParent()
			<-readers
		}
	case <-drain.C:
		// The command exited a grace period ago and what it started still
		// holds its output: the command is done, the rest of its group is
		// stopped, and what is outside the group is let go.
		_ = procexec.KillGroup(cmd.Process.Pid) // the group may be gone by now
		select {
		case <-readers:
		case <-time.After(200 * time.Millisecond):
			pipes.closeParent()
			<-readers
		}
		l.opts.Logger.WarnContext(ctx, "exec: the command exited but processes it started kept its output open; they were stopped",
			"mixin", c.Mixin, "step", c.Step, "command", r.path, "after", l.opts.KillGrace)
	}
	timedOut := runCtx.Err() != nil
	stop()
	pipes.closeParent()

	for _, s := range []*capture{stdout, stderr} {
		if s.err != nil {
			l.opts.Logger.WarnContext(ctx, "exec: the capture of the command's output stopped", "mixin", c.Mixin, "step", c.Step, "error", s.err)
		}
	}
	outText, outFile := stdout.result()
	errText, errFile := stderr.result()
	if c.Spill != nil {
		c.Spill.Stdout, c.Spill.Stderr = outFile, errFile
	}
	res := wasmabi.ExecResult{
		ExitCode:        procexec.ExitCode(cmd.ProcessState),
		Signal:          procexec.SignalName(cmd.ProcessState),
		Stdout:          outText,
		Stderr:          errText,
		StdoutTruncated: stdout.truncated,
		StderrTruncated: stderr.truncated,
		TimedOut:        timedOut,
		DurationMS:      time.Since(start).Milliseconds(),
	}
	return res
}

// startErr words why a command could not start, naming a bundle command
// by its bundle path: one without the execute bit says how to fix it.
func (r run) startErr(err error) error {
	if r.shown == "" {
		return err
	}
	if errors.Is(err, os.ErrPermission) {
		rel := strings.TrimPrefix(r.shown, policy.BundleDir+"/")
		return fmt.Errorf("%s: permission denied: it is not executable; run chmod +x %s in the bundle directory", r.shown, rel)
	}
	return errors.New(strings.ReplaceAll(err.Error(), r.path, r.shown))
}

func startFailure(start time.Time, err error) wasmabi.ExecResult {
	return wasmabi.ExecResult{ExitCode: -1, Stderr: err.Error(), DurationMS: time.Since(start).Milliseconds()}
}

// Past growDirect bytes a capture's buffer grows straight to its limit, or
// to growStep if the limit is larger (then doubling): one allocation, whose
// pages the kernel gives as they are written, instead of doubling from
// 1 MiB (each doubling holds the old and the new copy at once and leaves
// the old one to the collector).
const (
	growDirect = 1 << 20
	growStep   = 64 << 20
)

// capture keeps up to limit bytes of a stream (none when discard is set:
// then truncated says whether anything came) and tees it. With spill set,
// past SpillAt bytes it keeps them in a file instead of memory.
type capture struct {
	limit     int64
	discard   bool
	spill     bool
	buf       strings.Builder
	file      *os.File // the spilled capture, when it spilled
	n         int64    // bytes kept, in buf or file
	err       error    // a failed write to file: the capture stops there
	truncated bool
	tee       io.Writer
	mu        *sync.Mutex
}

func (c *capture) write(p []byte) {
	switch room := c.limit - c.n; {
	case c.discard:
		c.truncated = c.truncated || len(p) > 0
	case room > 0 && c.err == nil:
		n := min(int64(len(p)), room)
		c.keep(p[:n])
		if n < int64(len(p)) {
			c.truncated = true
		}
	case len(p) > 0:
		c.truncated = true
	}
	if c.tee != nil {
		c.mu.Lock()
		_, _ = c.tee.Write(p) // the console never fails the command
		c.mu.Unlock()
	}
}

// keep adds p to what is kept: in memory up to SpillAt (when spill is
// set), then in a file; in memory only if no file can be made.
func (c *capture) keep(p []byte) {
	if c.spill && c.file == nil && c.n+int64(len(p)) > SpillAt {
		if f, err := newSpoolFile(); err == nil {
			if _, err := io.WriteString(f, c.buf.String()); err == nil {
				c.file = f
				c.buf = strings.Builder{}
			} else {
				_ = f.Close() // memory it is, then
			}
		}
	}
	if c.file != nil {
		if _, err := c.file.Write(p); err != nil {
			c.err, c.truncated = err, true
			return
		}
		c.n += int64(len(p))
		return
	}
	if need := c.n + int64(len(p)); need > int64(c.buf.Cap()) && need > growDirect {
		c.buf.Grow(int(min(c.limit, max(need, 2*int64(c.buf.Cap()), growStep))) - c.buf.Len())
	}
	c.buf.Write(p)
	c.n += int64(len(p))
}

// result returns what was kept: the string, or the file (then "").
func (c *capture) result() (string, *Spooled) {
	if c.file != nil {
		return "", &Spooled{f: c.file, n: c.n, refs: 1}
	}
	return c.buf.String(), nil
}

// pipes are the command's stdio. The parent's ends are read (and written)
// by goroutines that do not depend on the command's leader: a descendant
// that keeps them open does not hang Wait, and the ends can be closed to
// let go of it.
type pipes struct {
	childIn, childOut, childErr *os.File
	in, out, errR               *os.File
	stdin                       string
	closeOnce                   sync.Once
}

func newPipes(stdin string) (*pipes, error) {
	p := &pipes{stdin: stdin}
	var err error
	if p.out, p.childOut, err = os.Pipe(); err != nil {
		return nil, fmt.Errorf("create stdout pipe: %w", err)
	}
	if p.errR, p.childErr, err = os.Pipe(); err != nil {
		p.closeAll()
		return nil, fmt.Errorf("create stderr pipe: %w", err)
	}
	if stdin != "" {
		if p.childIn, p.in, err = os.Pipe(); err != nil {
			p.closeAll()
			return nil, fmt.Errorf("create stdin pipe: %w", err)
		}
	}
	return p, nil
}

// read starts the copying goroutines; the channel closes when both output
// streams reached their end.
func (p *pipes) read(stdout, stderr *capture) <-chan struct{} {
	if p.in != nil {
		go func() {
			_, _ = io.WriteString(p.in, p.stdin) // EPIPE: the command did not read it all
			_ = p.in.Close()                     // EOF for the command; a second Close is harmless
		}()
	}
	var wg sync.WaitGroup
	for _, s := range []struct {
		f *os.File
		c *capture
	}{{p.out, stdout}, {p.errR, stderr}} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			buf := make([]byte, 32<<10)
			for {
				n, err := s.f.Read(buf)
				s.c.write(buf[:n])
				if err != nil {
					return
				}
			}
		}()
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	return done
}

func (p *pipes) closeChild() {
	for _, f := range []*os.File{p.childIn, p.childOut, p.childErr} {
		if f != nil {
			_ = f.Close() // the child holds its own copies
		}
	}
}

func (p *pipes) closeParent() {
	p.closeOnce.Do(func() {
		for _, f := range []*os.File{p.in, p.out, p.errR} {
			if f != nil {
				_ = f.Close() // unblocks the copying goroutines
			}
		}
	})
}

func (p *pipes) closeAll() {
	p.closeChild()
	p.closeParent()
}
