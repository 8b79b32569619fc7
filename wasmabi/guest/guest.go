package guest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strconv"
	"strings"

	"github.com/mixbox/mixbox/wasmabi"
)

// Logical paths a mixin sees, whatever the backend.
const (
	// AppDir is the bundle directory and a mixin's working directory.
	AppDir = "/cnab/app"
	// OutputsDir is where step outputs are written (Porter's protocol).
	OutputsDir = "/cnab/app/porter/outputs"
)

// RootEnv names the variable that tells a native mixin where the logical
// root "/" lives on the host (mixbox run --cnab-root).
const RootEnv = "MIXBOX_CNAB_ROOT"

// Sentinel errors of the SDK.
var (
	// ErrUsage is returned by Run for a command line it cannot parse.
	ErrUsage = errors.New("usage")
)

// Host is what a mixin can do outside its own memory. Default returns the
// backend of the build (wasm host calls or native os/exec). Tests implement
// it with a fake.
type Host interface {
	// Exec runs a command and returns what it printed and its exit code. A
	// non-zero exit is not an error. A command that is refused or not found
	// is an *ExecError matching wasmabi.EDenied or wasmabi.ENotFound.
	Exec(ctx context.Context, req wasmabi.ExecRequest) (wasmabi.ExecResult, error)
	// SetOutput records a step output; name must satisfy
	// wasmabi.ValidOutputName.
	SetOutput(name string, value []byte) error
	// Log writes one line at a level; debug lines are shown only in debug mode.
	Log(level wasmabi.LogLevel, msg string) error
	// Mask declares a value sensitive for the rest of the run.
	Mask(value string) error
	// ReadFile reads a file of the bundle; a relative name is taken from the
	// working directory. Errors carry the logical path.
	ReadFile(name string) ([]byte, error)
	// Stat describes a file like os.Stat, with logical paths in errors.
	Stat(name string) (fs.FileInfo, error)
	// Getwd returns the logical working directory (normally /cnab/app).
	Getwd() (string, error)
}

// PathLooker is implemented by hosts that can resolve a bare command name on
// the PATH before running it (the native backend). A wasm mixin cannot: its
// host resolves names itself. LookPath returns an error matching
// wasmabi.ENotFound when name is not on the PATH, and one matching
// exec.ErrDot (not ENotFound) when the PATH finds it first through a
// relative entry: such a name is refused, not run from the working directory.
type PathLooker interface {
	LookPath(name string) (string, error)
}

// ExecError is the error of Host.Exec when the command did not run.
type ExecError struct {
	// Status is the ABI code: wasmabi.EDenied, wasmabi.ENotFound, ...
	Status wasmabi.Status
	// Err is the cause reported by the backend, if any, such as the
	// *exec.Error of a native lookup. It uses the command as given.
	Err error
}

// Error returns the cause's text, or the status's when there is no cause.
func (e *ExecError) Error() string {
	if e.Err != nil {
		return e.Err.Error()
	}
	return e.Status.Error()
}

// Unwrap returns the status and the cause, so errors.Is matches both.
func (e *ExecError) Unwrap() []error {
	if e.Err == nil {
		return []error{e.Status}
	}
	return []error{e.Status, e.Err}
}

// Invocation is one run of a mixin: the parsed command line and its stdio.
type Invocation struct {
	// Command is the first argument: install, upgrade, uninstall, invoke, or
	// a client command such as version, schema, build or lint.
	Command string
	// Action is the bundle action for install/upgrade/uninstall/invoke
	// (the value of --action for invoke), empty otherwise.
	Action string
	// Args are the arguments after Command that Run did not consume.
	Args []string
	// Input is the step YAML: stdin, or the file of -f/--file, read for the
	// action commands and for build and lint. Nil for other commands.
	Input []byte
	// Debug is true when PORTER_DEBUG is true.
	Debug bool
	// Stdout and Stderr are the mixin's console.
	Stdout io.Writer
	Stderr io.Writer
}

// Func is a mixin's entry point.
type Func func(ctx context.Context, h Host, inv Invocation) error

// IsAction reports whether command runs a bundle action.
func IsAction(command string) bool {
	switch command {
	case "install", "upgrade", "uninstall", "invoke":
		return true
	}
	return false
}

// Main runs fn as the mixin's whole program on Default(), with os.Args,
// stdin, stdout, stderr and PORTER_DEBUG, and exits with Run's code. In a
// reactor build (-buildmode=c-shared -tags mixbox_reactor, see the package
// documentation) main runs once per step and Main returns instead of
// exiting: its code is the step's result.
func Main(name string, fn Func) {
	debug, _ := strconv.ParseBool(os.Getenv("PORTER_DEBUG"))
	exit(Run(context.Background(), Default(), RunOptions{
		Args:   os.Args,
		Stdin:  os.Stdin,
		Stdout: os.Stdout,
		Stderr: os.Stderr,
		Debug:  debug,
	}, fn))
}

// RunOptions are the process-level inputs of Run.
type RunOptions struct {
	// Args is argv, the program name first.
	Args []string
	// Stdin is read for the commands that take input.
	Stdin io.Reader
	// Stdout and Stderr are the console; nil discards.
	Stdout, Stderr io.Writer
	// Debug is PORTER_DEBUG.
	Debug bool
}

// Run parses the command line, reads the input, calls fn and returns the
// exit code: 0 on success, 1 on failure after printing the error as Porter's
// cobra-based mixins do ("Error: <err>" then "<err>", on stderr).
func Run(ctx context.Context, h Host, o RunOptions, fn Func) int {
	stdout, stderr := orDiscard(o.Stdout), orDiscard(o.Stderr)
	err := run(ctx, h, o, stdout, stderr, fn)
	if err != nil {
		_, _ = fmt.Fprintf(stderr, "Error: %s\n%s\n", err.Error(), err.Error())
		return 1
	}
	return 0
}

func run(ctx context.Context, h Host, o RunOptions, stdout, stderr io.Writer, fn Func) error {
	inv, file, err := parseArgs(o.Args)
	if err != nil {
		return err
	}
	inv.Debug, inv.Stdout, inv.Stderr = o.Debug, stdout, stderr
	if IsAction(inv.Command) || inv.Command == "build" || inv.Command == "lint" {
		inv.Input, err = readInput(h, o.Stdin, file)
		if err != nil {
			return err
		}
	}
	return fn(ctx, h, inv)
}

// parseArgs splits argv into the command, the action and the -f file.
func parseArgs(args []string) (Invocation, string, error) {
	var inv Invocation
	if len(args) < 2 {
		return inv, "", fmt.Errorf("%w: expected a command: install, upgrade, uninstall or invoke --action ACTION", ErrUsage)
	}
	inv.Command = args[1]
	if !IsAction(inv.Command) {
		inv.Args = args[2:]
		return inv, "", nil
	}
	if inv.Command != "invoke" {
		inv.Action = inv.Command
	}
	var file string
	rest := args[2:]
	for i := 0; i < len(rest); i++ {
		a := rest[i]
		name, value, hasValue := strings.Cut(a, "=")
		switch name {
		case "--action", "-f", "--file":
			if !hasValue {
				if i+1 >= len(rest) {
					return inv, "", fmt.Errorf("%w: flag needs an argument: %s", ErrUsage, a)
				}
				i++
				value = rest[i]
			}
			if name == "--action" {
				if inv.Command == "invoke" {
					inv.Action = value
				}
			} else {
				file = value
			}
		case "--debug":
			// Porter passes debug through PORTER_DEBUG; the flag is accepted and ignored.
		default:
			inv.Args = append(inv.Args, a)
		}
	}
	if inv.Command == "invoke" && inv.Action == "" {
		return inv, "", fmt.Errorf("%w: invoke needs --action ACTION", ErrUsage)
	}
	return inv, file, nil
}

func readInput(h Host, stdin io.Reader, file string) ([]byte, error) {
	if file != "" {
		b, err := h.ReadFile(file)
		if err != nil {
			return nil, fmt.Errorf("could not load input from %s: %w", file, err)
		}
		return b, nil
	}
	if stdin == nil {
		return nil, nil
	}
	b, err := io.ReadAll(stdin)
	if err != nil {
		return nil, fmt.Errorf("could not load input from STDIN: %w", err)
	}
	return b, nil
}

func orDiscard(w io.Writer) io.Writer {
	if w == nil {
		return io.Discard
	}
	return w
}

// relabel replaces the host path of a *fs.PathError with the logical name.
func relabel(err error, name string) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return &fs.PathError{Op: pe.Op, Path: name, Err: pe.Err}
	}
	return err
}
