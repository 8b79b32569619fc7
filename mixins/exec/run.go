package exec

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path"
	"regexp"
	"slices"
	"strings"

	"github.com/mixbox/mixbox/wasmabi"
	"github.com/mixbox/mixbox/wasmabi/guest"
)

// Run is the exec mixin's entry point for guest.Main: the action commands
// run the step; version, schema, build and lint answer Porter's client.
func Run(ctx context.Context, h guest.Host, inv guest.Invocation) error {
	switch inv.Command {
	case "install", "upgrade", "uninstall", "invoke":
		return execute(ctx, h, inv)
	case "version":
		return printVersion(inv.Stdout, inv.Args)
	case "schema":
		_, err := io.WriteString(inv.Stdout, Schema())
		return err
	case "build":
		_, err := io.WriteString(inv.Stdout, "# exec mixin has no buildtime dependencies\n")
		return err
	case "lint":
		return PrintLint(inv.Stdout, inv.Input)
	}
	return fmt.Errorf("%w %q for \"exec\"", errUnknownCommand, inv.Command)
}

// execute runs the single step of inv.Input: the command, then its outputs.
func execute(ctx context.Context, h guest.Host, inv guest.Invocation) error {
	steps, err := loadSteps(inv.Input)
	if err != nil {
		return err
	}
	if len(steps) != 1 {
		return fmt.Errorf("%w, but got %d", errSingleStep, len(steps))
	}
	r := runner{h: h, debug: inv.Debug, stderr: orDiscard(inv.Stderr)}
	step := steps[0].Instruction
	stdout, err := r.executeStep(ctx, step)
	if err != nil {
		return err
	}
	return r.processOutputs(step, stdout)
}

type runner struct {
	h      guest.Host
	debug  bool
	stderr io.Writer
}

// command is a resolved step: what to run and the directory Porter prints.
type command struct {
	req      wasmabi.ExecRequest
	shownDir string
}

// pretty is Porter's prettyCmd: "<dir> <argv...>".
func (c command) pretty() string {
	return c.shownDir + " " + strings.Join(append([]string{c.req.Command}, c.req.Args...), " ")
}

// Argv returns the step's arguments: arguments, then the split flags, then
// suffix-arguments (only the flags are split).
func (s Instruction) Argv() []string {
	args := make([]string, 0, len(s.Arguments)+2*len(s.Flags)+len(s.SuffixArguments))
	args = append(args, s.Arguments...)
	args = append(args, splitCommand(s.Flags.ToSlice())...)
	args = append(args, s.SuffixArguments...)
	if len(args) == 0 {
		return nil
	}
	return args
}

// resolve builds the exec request of a step: the command name resolved as
// Porter resolves it, the working directory, the env and the stream mode.
func (r runner) resolve(s Instruction) (command, error) {
	cwd, err := r.h.Getwd()
	if err != nil {
		return command{}, fmt.Errorf("get working directory: %w", err)
	}
	name := s.Command
	if path.Base(name) == name {
		if pl, ok := r.h.(guest.PathLooker); ok {
			if lp, err := pl.LookPath(name); err == nil {
				name = lp
			} else if errors.Is(err, wasmabi.ENotFound) && r.localFile(name) {
				// Not on the PATH (a name the PATH finds through a
				// relative entry is refused, not run from here).
				name = "./" + name
			}
		}
	}
	dir, shownDir := cwd, cwd
	if s.WorkingDir != "" && s.WorkingDir != "." {
		shownDir = s.WorkingDir
		dir = s.WorkingDir
		if !path.IsAbs(dir) {
			dir = path.Join(cwd, dir)
		}
	}
	argv := s.Argv()
	stream := !s.SuppressOutput
	req := wasmabi.ExecRequest{
		Command: name,
		Args:    argv,
		Env:     s.EnvironmentVars,
		Dir:     dir,
		Stream:  &stream,
		Discard: s.unread(),
	}
	return command{req: req, shownDir: shownDir}, nil
}

// unread names the streams of the command that nothing of the step reads,
// so the host need not keep them: stdout unless a jsonPath or regex output
// reads it, stderr unless ignoreError matches its text. What is streamed to
// the console is not affected.
func (s Instruction) unread() []string {
	var out []string
	if !slices.ContainsFunc(s.Outputs, func(o Output) bool { return o.JSONPath != "" || o.Regex != "" }) {
		out = append(out, wasmabi.StreamStdout)
	}
	if len(s.IgnoreError.Output.Contains) == 0 && len(s.IgnoreError.Output.Regex) == 0 {
		out = append(out, wasmabi.StreamStderr)
	}
	return out
}

// localFile reports whether name is a file of the working directory
// (Porter's fallback for `command: helper.sh`).
func (r runner) localFile(name string) bool {
	fi, err := r.h.Stat(name)
	return err == nil && !fi.IsDir()
}

// executeStep runs the step's command and returns its stdout when it
// succeeded or its failure was ignored.
func (r runner) executeStep(ctx context.Context, s Instruction) (string, error) {
	c, err := r.resolve(s)
	if err != nil {
		return "", err
	}
	if r.debug {
		if s.SuppressOutput {
			_, _ = fmt.Fprintf(r.stderr, "DEBUG: output suppressed for command %s\n", c.pretty())
		} else {
			_, _ = fmt.Fprintln(r.stderr, c.pretty())
		}
	}
	res, err := r.h.Exec(ctx, c.req)
	if errors.Is(err, wasmabi.ENotFound) && !strings.Contains(s.Command, "/") &&
		c.req.Command == s.Command && r.localFile(s.Command) {
		// A wasm host resolved the bare name itself and did not find it:
		// Porter falls back to the file in the working directory.
		c.req.Command = "./" + s.Command
		res, err = r.h.Exec(ctx, c.req)
	}
	if err != nil {
		return "", fmt.Errorf("couldn't run command %s: %w", c.pretty(), startError(err, c.req.Command))
	}
	if res.Path != "" && path.Base(c.req.Command) == c.req.Command {
		c.req.Command = res.Path // Porter prints the command as LookPath resolved it
	}
	if res.ExitCode == -1 && !res.TimedOut {
		// Found but could not start; the reason is in stderr.
		return "", fmt.Errorf("couldn't run command %s: %w", c.pretty(), errors.New(strings.TrimSpace(res.Stderr)))
	}
	if res.ExitCode != 0 || res.TimedOut {
		exitErr := &exitError{Code: res.ExitCode, TimedOut: res.TimedOut, Signal: res.Signal}
		if err := r.handleError(s.IgnoreError, exitErr, res.Stderr); err != nil {
			return "", fmt.Errorf("error running command %s: %w", c.pretty(), err)
		}
	}
	return res.Stdout, nil
}

// startError renders a command that did not start the way os/exec words it.
func startError(err error, name string) error {
	var ee *guest.ExecError
	if !errors.As(err, &ee) {
		return err
	}
	switch {
	case ee.Status == wasmabi.ENotFound && !strings.Contains(name, "/"):
		return &textError{fmt.Sprintf("exec: %q: executable file not found in $PATH", name), ee}
	case ee.Status == wasmabi.ENotFound:
		return &textError{fmt.Sprintf("fork/exec %s: no such file or directory", name), ee}
	}
	return err
}

// textError words an error differently and still unwraps to it.
type textError struct {
	msg string
	err error
}

func (e *textError) Error() string { return e.msg }
func (e *textError) Unwrap() error { return e.err }

// exitError is a command that ran and failed. Its text is os/exec's.
type exitError struct {
	Code     int
	TimedOut bool
	// Signal names the signal that killed the command, if one did.
	Signal string
}

// Error returns "exit status N", or "signal: NAME" for a command a signal
// killed (a timed-out one included), as os/exec words it.
func (e *exitError) Error() string {
	switch {
	case e.Signal != "":
		return "signal: " + e.Signal
	case e.TimedOut:
		return "signal: killed"
	}
	return fmt.Sprintf("exit status %d", e.Code)
}

// ExitCode is the code ignoreError.exitCodes compares: -1 for a command a
// signal killed, as os/exec reports it.
func (e *exitError) ExitCode() int {
	if e.Signal != "" {
		return -1
	}
	return e.Code
}

// handleError returns nil when ignoreError lets the failure pass, else err.
func (r runner) handleError(h IgnoreError, err *exitError, stderr string) error {
	if err.Code == 0 && !err.TimedOut {
		return nil
	}
	if r.debug {
		_, _ = fmt.Fprintf(r.stderr, "Evaluating mixin command error %s with the mixin's error handler\n", err.Error())
	}
	if h.All {
		r.debugf("Ignoring mixin command error because All was specified in the mixin step definition\n")
		return nil
	}
	for _, code := range h.ExitCodes {
		if err.ExitCode() == code {
			r.debugf("Ignoring mixin command error (exit code: %d) because it was included in the allowed ExitCodes list defined in the mixin step definition\n", code)
			return nil
		}
	}
	for _, s := range h.Output.Contains {
		if strings.Contains(stderr, s) {
			r.debugf("Ignoring mixin command error because the error contained the substring %q defined in the mixin step definition\n", s)
			return nil
		}
	}
	for _, expr := range h.Output.Regex {
		re, reErr := regexp.Compile(expr)
		if reErr != nil {
			_, _ = fmt.Fprintf(r.stderr, "Could not ignore failed command because the Regex specified by the mixin step definition (%q) is invalid:%s\n", expr, reErr.Error())
			return err
		}
		if re.MatchString(stderr) {
			r.debugf("Ignoring mixin command error because the error matched the Regex %q defined in the mixin step definition\n", expr)
			return nil
		}
	}
	return err
}

func (r runner) debugf(format string, args ...any) {
	if r.debug {
		fmt.Fprintf(r.stderr, format, args...)
	}
}

func orDiscard(w io.Writer) io.Writer {
	if w == nil {
		return io.Discard
	}
	return w
}
