//go:build !wasip1

package guest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/mixbox/mixbox/internal/environ"
	"github.com/mixbox/mixbox/internal/procexec"
	"github.com/mixbox/mixbox/wasmabi"
)

// NativeOptions configure NewNative. The zero value runs commands with an
// empty environment in the logical directory /cnab/app, unmapped.
type NativeOptions struct {
	// Root is the host directory that holds the logical root "/" (the
	// value of MIXBOX_CNAB_ROOT); empty means paths are used as they are.
	Root string
	// Env is the environment commands inherit (os.Environ() in Default),
	// before the request's env. Its PATH is used to look up bare names.
	Env []string
	// Dir is the logical working directory; empty means /cnab/app.
	Dir string
	// Stdout and Stderr receive streamed command output and log lines;
	// nil discards.
	Stdout, Stderr io.Writer
	// Debug shows debug log lines.
	Debug bool
	// WaitDelay is how long a cancelled command may take to exit after
	// SIGTERM before it is killed; 0 means 30s (Porter's grace period).
	WaitDelay time.Duration
}

type nativeHost struct {
	o NativeOptions
}

var (
	_ Host       = (*nativeHost)(nil)
	_ PathLooker = (*nativeHost)(nil)
)

// Default returns the native backend configured from the process: the
// environment, MIXBOX_CNAB_ROOT, PORTER_DEBUG, the working directory
// (mapped back to a logical path) and os.Stdout/os.Stderr.
func Default() Host {
	root := os.Getenv(RootEnv)
	debug, _ := strconv.ParseBool(os.Getenv("PORTER_DEBUG"))
	dir := ""
	if wd, err := os.Getwd(); err == nil {
		dir = logicalOf(root, wd)
	}
	return NewNative(NativeOptions{
		Root:   root,
		Env:    os.Environ(),
		Dir:    dir,
		Stdout: os.Stdout,
		Stderr: os.Stderr,
		Debug:  debug,
	})
}

// NewNative returns the native backend: commands run with os/exec, outputs
// are files in /cnab/app/porter/outputs, Mask does nothing.
func NewNative(o NativeOptions) Host {
	if o.Dir == "" {
		o.Dir = AppDir
	}
	// One lock for both, so a shared writer sees whole writes in order.
	mu := new(sync.Mutex)
	o.Stdout = &lockedWriter{mu: mu, w: orDiscard(o.Stdout)}
	o.Stderr = &lockedWriter{mu: mu, w: orDiscard(o.Stderr)}
	if o.WaitDelay == 0 {
		o.WaitDelay = 30 * time.Second
	}
	return &nativeHost{o: o}
}

// logicalOf maps a host path back to a logical one.
func logicalOf(root, p string) string {
	if root == "" {
		return p
	}
	rel, err := filepath.Rel(root, p)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return p
	}
	return path.Join("/", filepath.ToSlash(rel))
}

// logical returns name as an absolute logical path.
func (h *nativeHost) logical(name string) string {
	if path.IsAbs(name) {
		return path.Clean(name)
	}
	return path.Join(h.o.Dir, name)
}

// physical maps a logical path to the host's file system.
func (h *nativeHost) physical(name string) string {
	l := h.logical(name)
	if h.o.Root == "" {
		return filepath.FromSlash(l)
	}
	return filepath.Join(h.o.Root, filepath.FromSlash(l))
}

// Getwd returns the logical working directory.
func (h *nativeHost) Getwd() (string, error) { return h.o.Dir, nil }

// ReadFile reads a file; errors name the path as given.
func (h *nativeHost) ReadFile(name string) ([]byte, error) {
	b, err := os.ReadFile(h.physical(name))
	return b, relabel(err, name)
}

// Stat describes a file; errors name the path as given.
func (h *nativeHost) Stat(name string) (fs.FileInfo, error) {
	fi, err := os.Stat(h.physical(name))
	return fi, relabel(err, name)
}

// SetOutput writes /cnab/app/porter/outputs/<name> (dir 0770, file 0660).
func (h *nativeHost) SetOutput(name string, value []byte) error {
	if !wasmabi.ValidOutputName(name) {
		return fmt.Errorf("set output %q: %w", name, wasmabi.EInval)
	}
	dir := h.physical(OutputsDir)
	if err := os.MkdirAll(dir, 0o770); err != nil {
		return fmt.Errorf("couldn't make output directory: %w", relabel(err, OutputsDir))
	}
	if err := os.WriteFile(filepath.Join(dir, name), value, 0o660); err != nil {
		return fmt.Errorf("write output %s: %w", name, relabel(err, path.Join(OutputsDir, name)))
	}
	return nil
}

// Log writes msg to stderr; debug lines only in debug mode.
func (h *nativeHost) Log(level wasmabi.LogLevel, msg string) error {
	if !level.Valid() {
		return fmt.Errorf("log at level %d: %w", int32(level), wasmabi.EInval)
	}
	if level == wasmabi.LevelDebug && !h.o.Debug {
		return nil
	}
	if !strings.HasSuffix(msg, "\n") {
		msg += "\n"
	}
	_, err := io.WriteString(h.o.Stderr, msg)
	return err
}

// Mask does nothing natively: the runtime that reads a native mixin's
// output (Porter or mixbox) masks it.
func (h *nativeHost) Mask(string) error { return nil }

// LookPath finds a bare name on the PATH of the host's environment with
// procexec's rule: relative entries are taken from the working directory,
// and a name found through one is refused. The error matches
// wasmabi.ENotFound when name is not on the PATH, and exec.ErrDot (but not
// ENotFound) when a relative entry holds it.
func (h *nativeHost) LookPath(name string) (string, error) {
	pathEnv, _ := environ.Lookup(h.o.Env, "PATH")
	p, err := procexec.LookPath(name, pathEnv, h.physical(h.o.Dir))
	if errors.Is(err, exec.ErrNotFound) {
		return "", &ExecError{Status: wasmabi.ENotFound, Err: err}
	}
	return p, err
}

// resolve returns the host path to execute for a bare or absolute command.
func (h *nativeHost) resolve(command string) (string, error) {
	switch {
	case !strings.Contains(command, "/"):
		return h.LookPath(command)
	case path.IsAbs(command):
		p := h.physical(command)
		if _, err := os.Stat(p); err != nil && h.o.Root != "" {
			// Not in the bundle root: a host binary such as /usr/bin/env.
			if _, err2 := os.Stat(command); err2 == nil {
				return command, nil
			}
		}
		return h.checkExists(p, command)
	default:
		return h.checkExists(h.physical(command), command)
	}
}

func (h *nativeHost) checkExists(p, command string) (string, error) {
	if _, err := os.Stat(p); errors.Is(err, fs.ErrNotExist) {
		return "", &ExecError{Status: wasmabi.ENotFound, Err: &fs.PathError{Op: "fork/exec", Path: command, Err: syscall.ENOENT}}
	}
	return p, nil
}

// Exec runs req with os/exec: env = the host environment + req.Env, stdin,
// the logical dir mapped to the host, output teed when req.Streams(), a
// timeout, and SIGTERM to the process group on cancel.
func (h *nativeHost) Exec(ctx context.Context, req wasmabi.ExecRequest) (wasmabi.ExecResult, error) {
	if req.Command == "" {
		return wasmabi.ExecResult{}, &ExecError{Status: wasmabi.EInval, Err: errors.New("exec request: command is required")}
	}
	dir := h.o.Dir
	if req.Dir != "" {
		dir = h.logical(req.Dir)
	}
	cmdPath := ""
	var err error
	if strings.Contains(req.Command, "/") && !path.IsAbs(req.Command) {
		// A relative command is taken from the request's dir, as a process
		// started there would.
		cmdPath, err = h.checkExists(h.physical(path.Join(dir, req.Command)), req.Command)
	} else {
		cmdPath, err = h.resolve(req.Command)
	}
	if errors.Is(err, exec.ErrDot) {
		// Found, but through a relative PATH entry: it cannot start, as
		// os/exec says (abi-v1.md §3: exit_code -1, the reason in stderr).
		return wasmabi.ExecResult{ExitCode: -1, Stderr: err.Error()}, nil
	}
	if err != nil {
		return wasmabi.ExecResult{}, err
	}
	if req.TimeoutMS > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, time.Duration(req.TimeoutMS)*time.Millisecond)
		defer cancel()
	}
	var stdout, stderr capture
	stdout.discard = !req.Captures(wasmabi.StreamStdout)
	stderr.discard = !req.Captures(wasmabi.StreamStderr)
	newCmd := func() *exec.Cmd {
		cmd := procexec.Command(ctx, h.o.WaitDelay, cmdPath, req.Args...)
		cmd.Args[0] = req.Command
		cmd.Dir = h.physical(dir)
		cmd.Env = mergeEnv(h.o.Env, req.Env)
		if req.Stdin != "" {
			cmd.Stdin = strings.NewReader(req.Stdin)
		}
		if req.Streams() {
			cmd.Stdout = io.MultiWriter(h.o.Stdout, &stdout)
			cmd.Stderr = io.MultiWriter(h.o.Stderr, &stderr)
		} else {
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
		}
		return cmd
	}

	start := time.Now()
	cmd, runErr := procexec.Start(newCmd) // again while the file is busy (ETXTBSY)
	if runErr == nil {
		stop := procexec.Watch(ctx, cmd.Process.Pid, h.o.WaitDelay)
		// A command that exited while what it started holds its output is
		// done WaitDelay later; stop then kills what is left of its group.
		_, runErr = procexec.Wait(cmd)
		stop()
	}
	res := wasmabi.ExecResult{
		Stdout:          stdout.buf.String(),
		Stderr:          stderr.buf.String(),
		StdoutTruncated: stdout.dropped,
		StderrTruncated: stderr.dropped,
		DurationMS:      time.Since(start).Milliseconds(),
	}
	if ctx.Err() != nil && errors.Is(ctx.Err(), context.DeadlineExceeded) {
		res.TimedOut = true
	}
	var exitErr *exec.ExitError
	switch {
	case runErr == nil:
	case errors.As(runErr, &exitErr):
		res.ExitCode = procexec.ExitCode(exitErr.ProcessState)
		res.Signal = procexec.SignalName(exitErr.ProcessState)
	default:
		// Found but could not start: exit_code -1 with the reason in stderr,
		// naming the command as given (abi-v1.md §3).
		res.ExitCode = -1
		res.Stderr = startErrorText(runErr, req.Command)
	}
	return res, nil
}

// startErrorText renders a start failure with the command as given rather
// than its host path.
func startErrorText(err error, command string) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return (&fs.PathError{Op: pe.Op, Path: command, Err: pe.Err}).Error()
	}
	return err.Error()
}

// mergeEnv returns base with extra's keys set (replacing earlier values).
func mergeEnv(base []string, extra map[string]string) []string {
	out := make([]string, 0, len(base)+len(extra))
	for _, kv := range base {
		k, _, _ := strings.Cut(kv, "=")
		if _, ok := extra[k]; ok {
			continue
		}
		out = append(out, kv)
	}
	keys := make([]string, 0, len(extra))
	for k := range extra {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		out = append(out, k+"="+extra[k])
	}
	return out
}

// capture keeps a command's stream, all of it as Porter's exec mixin does,
// or none of it when the request discards it (dropped then says whether
// anything came).
type capture struct {
	buf     bytes.Buffer
	discard bool
	dropped bool
}

func (c *capture) Write(p []byte) (int, error) {
	if c.discard {
		c.dropped = c.dropped || len(p) > 0
		return len(p), nil
	}
	return c.buf.Write(p)
}

// lockedWriter serialises writes of a command's stdout and stderr copiers.
type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
