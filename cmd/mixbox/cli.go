package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"syscall"

	"github.com/urfave/cli/v2"

	"github.com/mixbox/mixbox/host"
	"github.com/mixbox/mixbox/internal/environ"
)

// Exit codes of docs/spec/cli.md.
const (
	exitOK           = 0
	exitFailure      = 1
	exitUsage        = 2
	exitIncompatible = 3
	exitSIGINT       = 130
	exitSIGTERM      = 143
)

// usageError marks an error in how mixbox was called (exit 2).
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func usagef(format string, args ...any) error {
	return usageError{fmt.Errorf(format, args...)}
}

// run is main without the process: it parses args, runs the command and
// maps its error to an exit code. It is the only place that does so. A ctx
// cancelled with a signalCause ends with 130 (SIGINT) or 143 (SIGTERM).
func run(ctx context.Context, args, env []string, stdout, stderr io.Writer) int {
	return runWith(ctx, nil, args, env, stdout, stderr)
}

// runWith is run with fill, what a run does with the modules it started
// cold (main's: a detached precompile, fill.go); nil leaves them to the
// process, which compiles them in the background while it lives.
func runWith(ctx context.Context, fill filler, args, env []string, stdout, stderr io.Writer) int {
	app, notFound := newAppWith(env, stdout, stderr, fill), false
	app.CommandNotFound = func(c *cli.Context, name string) {
		notFound = true
		_, _ = fmt.Fprintf(stderr, "error: unknown command %q\nhint: run 'mixbox help' for the list of commands\n", name)
	}
	for _, cmd := range app.Commands {
		setNotFound(cmd, app.CommandNotFound)
	}
	err := app.RunContext(ctx, interspersed(app, args))
	if notFound && err == nil {
		return exitUsage
	}
	code := exitCode(err)
	var ec exitError
	if err != nil && !errors.Is(err, errReported) && !errors.As(err, &ec) {
		_, _ = fmt.Fprintf(stderr, "error: %s\n", err) // stderr is the last resort
		if hint := hintFor(err); hint != "" {
			_, _ = fmt.Fprintf(stderr, "hint: %s\n", hint)
		}
	}
	var sig signalCause
	if errors.As(context.Cause(ctx), &sig) {
		if sig.sig == syscall.SIGINT {
			return exitSIGINT
		}
		return exitSIGTERM
	}
	return code
}

// exitError ends a command with a code after it printed what it had to say.
type exitError struct{ code int }

func (e exitError) Error() string { return fmt.Sprintf("exit %d", e.code) }

// errReported is returned by commands that already printed their failure.
var errReported = errors.New("reported")

func exitCode(err error) int {
	var ue usageError
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &ue), errors.Is(err, host.ErrUsage):
		return exitUsage
	case errors.Is(err, host.ErrIncompatible):
		return exitIncompatible
	}
	var ec exitError
	if errors.As(err, &ec) {
		return ec.code
	}
	return exitFailure
}

// hintFor is the hint line of err: the CLI's own for errors whose fix is a
// flag, else the host's.
func hintFor(err error) string {
	var ue usageError
	switch {
	case errors.As(err, &ue):
		return "run 'mixbox help' or 'mixbox COMMAND --help' for usage"
	case errors.Is(err, host.ErrNoAction):
		return "pass --action or set CNAB_ACTION"
	case errors.Is(err, host.ErrRoot):
		return "pass --cnab-root ROOT (or set MIXBOX_CNAB_ROOT) with the bundle at ROOT/cnab/app"
	case errors.Is(err, host.ErrNoCache):
		return "pass --cache-dir or set MIXBOX_CACHE_DIR"
	case errors.Is(err, host.ErrInputs):
		return "give each value with --param NAME=VALUE or --cred NAME=VALUE (NAME=@FILE reads FILE), or set its env destination"
	case errors.Is(err, host.ErrNativeReplay):
		return host.Hint(err) + " (--prefer wasm, the default)"
	case errors.Is(err, host.ErrReplay) && host.Hint(err) == "":
		return "replay a file written by --record-exec"
	case errors.Is(err, host.ErrDenied) && host.Hint(err) != "":
		return host.Hint(err) + "\n  and run with --policy FILE (or MIXBOX_POLICY=FILE) to apply a policy file"
	}
	return host.Hint(err)
}

// lookupEnv reads a variable from the environment given to run.
func lookupEnv(env []string, name string) (string, bool) { return environ.Lookup(env, name) }

func newApp(env []string, stdout, stderr io.Writer) *cli.App {
	return newAppWith(env, stdout, stderr, nil)
}

func newAppWith(env []string, stdout, stderr io.Writer, fill filler) *cli.App {
	useHelpFlag()
	app := &cli.App{
		Name:                      "mixbox",
		DisableSliceFlagSeparator: true, // --param/--cred values are taken whole, commas included
		Usage:                     "run Porter bundle actions with sandboxed WebAssembly mixins",
		HideVersion:               true,
		Writer:                    stdout,
		ErrWriter:                 stderr,
		ExitErrHandler:            func(*cli.Context, error) {},
		OnUsageError: func(_ *cli.Context, err error, _ bool) error {
			return usageError{err}
		},
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "version", Aliases: []string{"v"}, Usage: "print the version, as 'mixbox version' does"},
		},
		Action: func(c *cli.Context) error {
			if c.Bool("version") {
				printVersion(stdout)
				return nil
			}
			if c.NArg() > 0 {
				return usagef("unknown command %q", c.Args().First())
			}
			return cli.ShowAppHelp(c)
		},
		Commands: []*cli.Command{
			runCommand(env, stdout, stderr, fill),
			mixinCommand(env, stdout, stderr),
			precompileCommand(env, stdout, stderr),
			buildCommand(env, stdout),
			explainCommand(env, stdout),
			lintCommand(env, stdout, stderr),
			versionCommand(stdout),
		},
	}
	withHelpCommands(app)
	return app
}

// printVersion prints the version line of `mixbox version` and --version.
func printVersion(w io.Writer) {
	v := host.Version()
	fmt.Fprintf(w, "mixbox %s (ABI %s, %s)\n", v.Version, v.ABI, v.GoVersion)
}

func onUsageError(_ *cli.Context, err error, _ bool) error { return usageError{err} }

// setNotFound makes every command with subcommands report an unknown one.
func setNotFound(cmd *cli.Command, fn cli.CommandNotFoundFunc) {
	if len(cmd.Subcommands) == 0 {
		return
	}
	cmd.Action = func(c *cli.Context) error {
		if c.NArg() > 0 {
			fn(c, c.Args().First())
			return nil
		}
		return cli.ShowSubcommandHelp(c)
	}
	for _, sub := range cmd.Subcommands {
		setNotFound(sub, fn)
	}
}

func runCommand(env []string, stdout, stderr io.Writer, fill filler) *cli.Command {
	return &cli.Command{
		Name:         "run",
		Usage:        "run a bundle action (a drop-in for porter-runtime run)",
		OnUsageError: onUsageError,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "file", Aliases: []string{"f"}, Value: "porter.yaml", Usage: "the manifest"},
			&cli.StringFlag{Name: "action", Usage: "install, upgrade, uninstall or a custom action (default $CNAB_ACTION)"},
			&cli.BoolFlag{Name: "debug", Usage: "debug output (default $PORTER_DEBUG)"},
			&cli.StringFlag{Name: "cnab-root", Usage: "take every /cnab and /porter path under `DIR` (default $MIXBOX_CNAB_ROOT, else /)"},
			&cli.StringFlag{Name: "mixins-dir", Usage: "where installed mixins are (default $PORTER_HOME/mixins)"},
			&cli.StringFlag{Name: "policy", Usage: "capability policy `FILE` (default $MIXBOX_POLICY, else the default policy)"},
			&cli.StringFlag{Name: "cache-dir", Usage: "compiled-module cache `DIR` (default $MIXBOX_CACHE_DIR, else /cnab/.mixbox/cache in an image, else the user cache dir)"},
			&cli.StringSliceFlag{Name: "param", Usage: "set parameter `NAME=VALUE` (local runs; the value is taken whole, NAME=@FILE reads FILE)"},
			&cli.StringSliceFlag{Name: "cred", Usage: "set credential `NAME=VALUE` (local runs; the value is taken whole, NAME=@FILE reads FILE)"},
			&cli.StringFlag{Name: "installation", Usage: "the installation `NAME` (default $CNAB_INSTALLATION_NAME, else the bundle name in local runs)"},
			&cli.StringFlag{Name: "prefer", Value: "wasm", Usage: "wasm or native: which form wins when a mixin has both"},
			&cli.StringFlag{Name: "record-exec", Usage: "record every exec call to `FILE`"},
			&cli.StringFlag{Name: "replay-exec", Usage: "answer exec calls from `FILE`, running no command"},
			&cli.StringFlag{Name: "log-format", Value: "text", Usage: "text or json"},
			&cli.BoolFlag{Name: "print-policy", Usage: "print the effective policy and exit"},
		},
		Action: func(c *cli.Context) error {
			if c.NArg() > 0 {
				return usagef("run takes no arguments, got %q", c.Args().Slice())
			}
			opts, err := runOptions(c, env, stdout, stderr)
			if err != nil {
				return err
			}
			rtOpts := runtimeOptions(c, env, opts.Root)
			rtOpts.CompileLater = fill != nil
			rt := host.New(rtOpts)
			defer func() { _ = rt.Close(context.WithoutCancel(c.Context)) }() // releases memory only
			if c.Bool("print-policy") {
				return rt.PrintPolicy(c.Context, opts, stdout)
			}
			_, err = rt.Run(c.Context, opts)
			if cold := rt.ColdModules(); fill != nil && len(cold) > 0 && rtOpts.CacheDir != "" && c.Err() == nil {
				fill(context.WithoutCancel(c.Context), rtOpts.CacheDir, cold, env)
			}
			return err
		},
	}
}

// runtimeOptions are the Runtime's options of a run or precompile command:
// the cache dir from --cache-dir, $MIXBOX_CACHE_DIR, else the default.
func runtimeOptions(c *cli.Context, env []string, root string) host.Options {
	return host.Options{CacheDir: resolveCacheDir(c, env, root), BuiltIns: builtins(), BuiltInSHA256: builtinSums(), Seed: self()}
}

// self is mixbox's executable, which may carry the built-ins' compiled
// code (host.Options.Seed); "" when it cannot be found.
func self() string {
	exe, err := os.Executable()
	if err != nil {
		return ""
	}
	return exe
}

// resolveCacheDir is --cache-dir, else $MIXBOX_CACHE_DIR, else host.DefaultCacheDir.
func resolveCacheDir(c *cli.Context, env []string, root string) string {
	if dir := c.String("cache-dir"); dir != "" {
		return dir
	}
	if dir, ok := lookupEnv(env, "MIXBOX_CACHE_DIR"); ok && dir != "" {
		return dir
	}
	return host.DefaultCacheDir(root, env)
}

func runOptions(c *cli.Context, env []string, stdout, stderr io.Writer) (host.RunOptions, error) {
	opts := host.RunOptions{
		ManifestPath: c.String("file"),
		Action:       c.String("action"),
		Root:         c.String("cnab-root"),
		MixinsDir:    c.String("mixins-dir"),
		PolicyFile:   c.String("policy"),
		Installation: c.String("installation"),
		RecordExec:   c.String("record-exec"),
		ReplayExec:   c.String("replay-exec"),
		Env:          env,
		Stdout:       stdout,
		Stderr:       stderr,
	}
	if opts.Action == "" {
		opts.Action, _ = lookupEnv(env, "CNAB_ACTION")
	}
	if opts.Action == "" && !c.Bool("print-policy") {
		return opts, usagef("no action: pass --action or set CNAB_ACTION")
	}
	if c.IsSet("debug") {
		opts.Debug = c.Bool("debug")
	} else if v, ok := lookupEnv(env, "PORTER_DEBUG"); ok && v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return opts, usagef("invalid PORTER_DEBUG, expected a bool (true/false) but got %q", v)
		}
		opts.Debug = b
	}
	if opts.Root == "" {
		opts.Root, _ = lookupEnv(env, "MIXBOX_CNAB_ROOT")
	}
	if opts.PolicyFile == "" {
		opts.PolicyFile, _ = lookupEnv(env, "MIXBOX_POLICY")
	}
	opts.MixinsDir = mixinsDirFlag(c, env)
	var err error
	if opts.Prefer, err = preferFlag(c); err != nil {
		return opts, err
	}
	switch f := c.String("log-format"); f {
	case "text":
		opts.LogFormat = host.LogText
	case "json":
		opts.LogFormat = host.LogJSON
	default:
		return opts, usagef("--log-format must be text or json, got %q", f)
	}
	if opts.RecordExec != "" && opts.ReplayExec != "" {
		return opts, usagef("--record-exec and --replay-exec cannot be used together")
	}
	if opts.Params, err = pairs("--param", c.StringSlice("param")); err != nil {
		return opts, err
	}
	if opts.Creds, err = pairs("--cred", c.StringSlice("cred")); err != nil {
		return opts, err
	}
	return opts, nil
}

// pairs parses NAME=VALUE flags; NAME=@FILE takes the value from FILE. An
// error never quotes the value: it may be a secret.
func pairs(flag string, vals []string) (map[string]string, error) {
	out := map[string]string{}
	for _, v := range vals {
		name, value, ok := strings.Cut(v, "=")
		if !ok || name == "" {
			return nil, usagef("%s takes NAME=VALUE (or NAME=@FILE), got a value without a name=", flag)
		}
		if file, isFile := strings.CutPrefix(value, "@"); isFile {
			data, err := os.ReadFile(file)
			if err != nil {
				return nil, usagef("%s %s=@FILE: %w", flag, name, err)
			}
			value = string(data)
		}
		out[name] = value
	}
	return out, nil
}

func precompileCommand(env []string, stdout, stderr io.Writer) *cli.Command {
	return &cli.Command{
		Name:         "precompile",
		Usage:        "fill the compiled-module cache (the built-in mixins when no module is given)",
		ArgsUsage:    "[MIXIN.wasm ...]",
		OnUsageError: onUsageError,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "cache-dir", Usage: "compiled-module cache `DIR` (default $MIXBOX_CACHE_DIR)"},
			&cli.StringFlag{Name: "cnab-root", Usage: "the --cnab-root of the runs that will use the cache"},
			// What a run starts, detached, for the modules it ran cold (fill.go).
			&cli.BoolFlag{Name: "background", Hidden: true},
		},
		Action: func(c *cli.Context) error {
			if c.Bool("background") {
				lowerPriority()
			}
			root := c.String("cnab-root")
			if root == "" {
				root, _ = lookupEnv(env, "MIXBOX_CNAB_ROOT")
			}
			return host.Precompile(c.Context, host.PrecompileOptions{
				CacheDir:   resolveCacheDir(c, env, root),
				Modules:    c.Args().Slice(),
				BuiltIns:   builtins(),
				Stdout:     stdout,
				Background: c.Bool("background"),
			})
		},
	}
}

func versionCommand(stdout io.Writer) *cli.Command {
	return &cli.Command{
		Name:         "version",
		Usage:        "print the version",
		OnUsageError: onUsageError,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "output", Aliases: []string{"o"}, Value: "text", Usage: "text or json"},
		},
		Action: func(c *cli.Context) error {
			switch c.String("output") {
			case "text":
				printVersion(stdout)
			case "json":
				b, err := host.Version().JSON()
				if err != nil {
					return err
				}
				fmt.Fprintf(stdout, "%s\n", b)
			default:
				return usagef("-o must be text or json, got %q", c.String("output"))
			}
			return nil
		},
	}
}

// interspersed lets flags follow arguments for every command, as
// docs/spec/cli.md writes them (`mixbox mixin pack MIXIN.wasm --meta
// mixin.yaml`, `mixbox mixin test MIXIN.wasm --cases FILE`): urfave/cli stops
// reading flags at the first argument, so the flags of the command named by
// args are moved in front of its arguments. Which flags take a value comes
// from the command's own flag definitions; "--" ends the flags.
func interspersed(app *cli.App, args []string) []string {
	if len(args) < 2 {
		return args
	}
	cmds, i := app.Commands, 1
	var cmd *cli.Command
	for i < len(args) {
		next := findCommand(cmds, args[i])
		if next == nil {
			break
		}
		cmd, cmds = next, next.Subcommands
		i++
	}
	if cmd == nil || len(cmd.Subcommands) > 0 {
		return args
	}
	takes := map[string]bool{}
	for _, f := range cmd.Flags {
		_, isBool := f.(*cli.BoolFlag)
		for _, n := range f.Names() {
			takes[n] = !isBool
		}
	}
	var flags, positional []string
	rest := args[i:]
	for j := 0; j < len(rest); j++ {
		a := rest[j]
		switch {
		case a == "--":
			positional = append(positional, rest[j+1:]...)
			j = len(rest)
		case strings.HasPrefix(a, "-") && a != "-":
			flags = append(flags, a)
			name := strings.TrimLeft(a, "-")
			if takes[name] && !strings.Contains(name, "=") && j+1 < len(rest) {
				flags = append(flags, rest[j+1])
				j++
			}
		default:
			positional = append(positional, a)
		}
	}
	out := append(append([]string{}, args[:i]...), flags...)
	if len(positional) > 0 {
		out = append(out, "--")
	}
	return append(out, positional...)
}

// findCommand returns the command of cmds named name (or an alias), or nil.
func findCommand(cmds []*cli.Command, name string) *cli.Command {
	for _, c := range cmds {
		if c.HasName(name) {
			return c
		}
	}
	return nil
}
