package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"

	"github.com/urfave/cli/v2"

	"github.com/mixbox/mixbox/host"
)

// Exit codes of shared/spec/cli.md.
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
// maps its error to an exit code. It is the only place that does so.
func run(ctx context.Context, args, env []string, stdout, stderr io.Writer) int {
	ctx, stop := context.WithCancelCause(ctx)
	defer stop(nil)
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	defer signal.Stop(sigs)
	var got os.Signal
	done := make(chan struct{})
	defer close(done)
	go func() {
		select {
		case s := <-sigs:
			got = s
			_, _ = fmt.Fprintln(stderr, "cancel requested: stopping the current step, then saving outputs and state")
			stop(fmt.Errorf("received %s", s))
		case <-done:
			return
		}
		select {
		case <-sigs:
			_, _ = fmt.Fprintln(stderr, "hard interrupt received, bye!")
			os.Exit(exitUsage)
		case <-done:
		}
	}()

	app, notFound := newApp(env, stdout, stderr), false
	app.CommandNotFound = func(c *cli.Context, name string) {
		notFound = true
		_, _ = fmt.Fprintf(stderr, "error: unknown command %q\nhint: run 'mixbox help' for the list of commands\n", name)
	}
	for _, cmd := range app.Commands {
		setNotFound(cmd, app.CommandNotFound)
	}
	err := app.RunContext(ctx, interspersed(args))
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
	if context.Cause(ctx) != nil && got != nil {
		if got == syscall.SIGINT {
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

func hintFor(err error) string {
	var ue usageError
	if errors.As(err, &ue) {
		return "run 'mixbox help' or 'mixbox COMMAND --help' for usage"
	}
	return host.Hint(err)
}

// lookupEnv reads a variable from the environment given to run.
func lookupEnv(env []string, name string) (string, bool) {
	for i := len(env) - 1; i >= 0; i-- {
		if k, v, ok := strings.Cut(env[i], "="); ok && k == name {
			return v, true
		}
	}
	return "", false
}

func newApp(env []string, stdout, stderr io.Writer) *cli.App {
	app := &cli.App{
		Name:           "mixbox",
		Usage:          "run Porter bundle actions with sandboxed WebAssembly mixins",
		HideVersion:    true,
		Writer:         stdout,
		ErrWriter:      stderr,
		ExitErrHandler: func(*cli.Context, error) {},
		OnUsageError: func(_ *cli.Context, err error, _ bool) error {
			return usageError{err}
		},
		Commands: []*cli.Command{
			runCommand(env, stdout, stderr),
			mixinCommand(env, stdout, stderr),
			precompileCommand(env, stdout, stderr),
			buildCommand(env, stdout),
			versionCommand(stdout),
		},
	}
	return app
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

func runCommand(env []string, stdout, stderr io.Writer) *cli.Command {
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
			&cli.StringFlag{Name: "cache-dir", Usage: "compiled-module cache `DIR` (default $MIXBOX_CACHE_DIR)"},
			&cli.StringSliceFlag{Name: "param", Usage: "set parameter `NAME=VALUE` (local runs)"},
			&cli.StringSliceFlag{Name: "cred", Usage: "set credential `NAME=VALUE` (local runs)"},
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
			rt, err := host.New(opts)
			if err != nil {
				return err
			}
			defer func() { _ = rt.Close(context.WithoutCancel(c.Context)) }() // releases memory only
			if c.Bool("print-policy") {
				return rt.PrintPolicy(c.Context, stdout)
			}
			_, err = rt.Run(c.Context)
			return err
		},
	}
}

func runOptions(c *cli.Context, env []string, stdout, stderr io.Writer) (host.Options, error) {
	opts := host.Options{
		ManifestPath: c.String("file"),
		Action:       c.String("action"),
		Root:         c.String("cnab-root"),
		MixinsDir:    c.String("mixins-dir"),
		PolicyFile:   c.String("policy"),
		CacheDir:     c.String("cache-dir"),
		RecordExec:   c.String("record-exec"),
		ReplayExec:   c.String("replay-exec"),
		Env:          env,
		Stdout:       stdout,
		Stderr:       stderr,
		BuiltIns:     builtins(),
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
	if opts.CacheDir == "" {
		opts.CacheDir, _ = lookupEnv(env, "MIXBOX_CACHE_DIR")
	}
	if opts.MixinsDir == "" {
		if home, ok := lookupEnv(env, "PORTER_HOME"); ok && home != "" {
			opts.MixinsDir = home + "/mixins"
		}
	}
	switch p := c.String("prefer"); p {
	case "wasm":
		opts.Prefer = host.PreferWasm
	case "native":
		opts.Prefer = host.PreferNative
	default:
		return opts, usagef("--prefer must be wasm or native, got %q", p)
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
	var err error
	if opts.Params, err = pairs("--param", c.StringSlice("param")); err != nil {
		return opts, err
	}
	if opts.Creds, err = pairs("--cred", c.StringSlice("cred")); err != nil {
		return opts, err
	}
	return opts, nil
}

// pairs parses NAME=VALUE flags.
func pairs(flag string, vals []string) (map[string]string, error) {
	out := map[string]string{}
	for _, v := range vals {
		name, value, ok := strings.Cut(v, "=")
		if !ok || name == "" {
			return nil, usagef("%s %q: expected NAME=VALUE", flag, v)
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
		},
		Action: func(c *cli.Context) error {
			dir := c.String("cache-dir")
			if dir == "" {
				dir, _ = lookupEnv(env, "MIXBOX_CACHE_DIR")
			}
			root := c.String("cnab-root")
			if root == "" {
				root, _ = lookupEnv(env, "MIXBOX_CNAB_ROOT")
			}
			return host.Precompile(c.Context, host.PrecompileOptions{
				CacheDir: dir,
				Root:     root,
				Env:      env,
				Modules:  c.Args().Slice(),
				BuiltIns: builtins(),
				Stdout:   stdout,
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
			v := host.Version()
			switch c.String("output") {
			case "text":
				fmt.Fprintf(stdout, "mixbox %s (ABI %s, %s)\n", v.Version, v.ABI, v.GoVersion)
			case "json":
				b, err := v.JSON()
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

// interspersed lets the flags of `mixin inspect`, `mixin pack`,
// `precompile` and `build` follow their arguments, as shared/spec/cli.md writes them
// (`mixbox mixin pack MIXIN.wasm --meta mixin.yaml`): urfave/cli stops at the
// first argument, so the flags are moved in front of the arguments.
func interspersed(args []string) []string {
	valued := map[string]map[string]bool{
		"inspect":    {"-o": true, "--output": true},
		"pack":       {"--meta": true, "-meta": true, "-o": true, "--output": true},
		"precompile": {"--cache-dir": true, "-cache-dir": true, "--cnab-root": true, "-cnab-root": true},
		"build": {"--dir": true, "-dir": true, "--base": true, "-base": true, "--tag": true, "-tag": true,
			"--platform": true, "-platform": true, "--mixins-dir": true, "-mixins-dir": true,
			"--runtime": true, "-runtime": true, "-o": true, "--output": true},
	}
	var cmdAt int
	switch {
	case len(args) > 2 && args[1] == "mixin" && (args[2] == "inspect" || args[2] == "pack"):
		cmdAt = 2
	case len(args) > 1 && (args[1] == "precompile" || args[1] == "build"):
		cmdAt = 1
	default:
		return args
	}
	takes := valued[args[cmdAt]]
	var flags, positional []string
	rest := args[cmdAt+1:]
	for i := 0; i < len(rest); i++ {
		a := rest[i]
		switch {
		case a == "--":
			positional = append(positional, rest[i+1:]...)
			i = len(rest)
		case strings.HasPrefix(a, "-") && a != "-":
			flags = append(flags, a)
			if takes[a] && !strings.Contains(a, "=") && i+1 < len(rest) {
				flags = append(flags, rest[i+1])
				i++
			}
		default:
			positional = append(positional, a)
		}
	}
	out := append([]string{}, args[:cmdAt+1]...)
	out = append(out, flags...)
	return append(out, positional...)
}
