package native

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/mixbox/mixbox/host/internal/step"
	"github.com/mixbox/mixbox/internal/procexec"
)

// maxOutputFile bounds one output file read back from the outputs directory.
const maxOutputFile = 64 << 20

// ErrFailed is wrapped by the error of a step whose runtime exited non-zero.
var ErrFailed = errors.New("mixin failed")

// Options configure a Runner.
type Options struct {
	// Name is the mixin's name.
	Name string
	// Path is the runtime binary.
	Path string
	// Dir is the working directory, the bundle directory on this host.
	Dir string
	// OutputsDir is where the mixin writes its outputs (<bundle>/porter/outputs).
	OutputsDir string
	// Env is the whole environment of the process.
	Env []string
	// WaitDelay is how long after SIGTERM the process group is killed.
	// Zero means 30s, as Porter.
	WaitDelay time.Duration
}

// Runner runs steps with a native runtime binary.
type Runner struct {
	opts Options
}

var _ step.Runner = (*Runner)(nil)

// New returns a Runner.
func New(opts Options) *Runner {
	if opts.WaitDelay == 0 {
		opts.WaitDelay = 30 * time.Second
	}
	return &Runner{opts: opts}
}

// Name implements step.Runner.
func (r *Runner) Name() string { return r.opts.Name }

// Form implements step.Runner.
func (r *Runner) Form() step.Form { return step.FormNative }

// Close implements step.Runner; a native runner keeps nothing between steps.
func (r *Runner) Close(context.Context) error { return nil }

// Run implements step.Runner.
func (r *Runner) Run(ctx context.Context, in step.Input, sio step.IO) (step.Result, error) {
	if err := os.MkdirAll(r.opts.OutputsDir, 0o770); err != nil {
		return step.Result{}, fmt.Errorf("create outputs dir: %w", err)
	}
	cmd, runErr := procexec.Start(func() *exec.Cmd {
		cmd := procexec.Command(ctx, r.opts.WaitDelay, r.opts.Path, in.Args...)
		cmd.Args[0] = r.opts.Path
		cmd.Dir = r.opts.Dir
		cmd.Env = r.opts.Env
		cmd.Stdin = bytes.NewReader(in.Stdin)
		cmd.Stdout = sio.Stdout
		cmd.Stderr = sio.Stderr // printed as it comes: the step's error does not repeat it
		return cmd
	})
	if runErr == nil {
		// The runtime's exit ends the step: what it started and left holding
		// its output gets WaitDelay to let go, then the group is killed.
		_, runErr = procexec.Wait(cmd)
	}
	if cmd.Process != nil {
		// Make sure nothing of the group outlives the step.
		_ = procexec.KillGroup(cmd.Process.Pid) // the group may be gone already
	}

	outputs, outErr := collect(r.opts.OutputsDir)
	res := step.Result{Outputs: outputs}
	if runErr == nil {
		return res, outErr
	}
	var exitErr *exec.ExitError
	if errors.As(runErr, &exitErr) {
		res.ExitCode = exitErr.ExitCode()
		if res.ExitCode < 0 {
			res.ExitCode = 1
		}
	} else {
		res.ExitCode = 1
	}
	if ctx.Err() != nil {
		return res, errors.Join(fmt.Errorf("run %s: stopped: %w", r.opts.Name, ctx.Err()), outErr)
	}
	if exitErr != nil {
		msg := &exitFailure{text: fmt.Sprintf("%s: %s-runtime %s exited with code %d", ErrFailed, r.opts.Name, strings.Join(in.Args, " "), res.ExitCode), err: exitErr}
		return res, errors.Join(msg, outErr)
	}
	return res, errors.Join(fmt.Errorf("run %s: %w; check that %s is a %s-runtime binary built for this platform", r.opts.Name, runErr, r.opts.Path, r.opts.Name), outErr)
}

// collect reads every regular file of dir as an output and deletes it.
func collect(dir string) (map[string][]byte, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("read outputs: %w", err)
	}
	outputs := map[string][]byte{}
	var errs []error
	for _, e := range entries {
		if !e.Type().IsRegular() {
			continue
		}
		p := filepath.Join(dir, e.Name())
		data, err := readCapped(p)
		if err != nil {
			errs = append(errs, fmt.Errorf("read output %s: %w", e.Name(), err))
			continue
		}
		outputs[e.Name()] = data
		if err := os.Remove(p); err != nil {
			errs = append(errs, fmt.Errorf("remove output %s: %w", e.Name(), err))
		}
	}
	return outputs, errors.Join(errs...)
}

func readCapped(p string) ([]byte, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	defer func() { _ = f.Close() }() // read only
	data, err := io.ReadAll(io.LimitReader(f, maxOutputFile+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxOutputFile {
		return nil, fmt.Errorf("over %d bytes", maxOutputFile)
	}
	return data, nil
}

// exitFailure is a runtime that exited non-zero: it matches ErrFailed and
// wraps the *exec.ExitError. Its text does not repeat the runtime's stderr,
// which the run already printed.
type exitFailure struct {
	text string
	err  *exec.ExitError
}

func (e *exitFailure) Error() string   { return e.text }
func (e *exitFailure) Unwrap() []error { return []error{ErrFailed, e.err} }
