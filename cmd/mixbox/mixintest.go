package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/mixbox/mixbox/host/mixintest"
	"github.com/mixbox/mixbox/internal/scaffold"
)

// casesError is a bad cases file (exit 2).
func casesError(err error) error { return usageError{err} }

// incompatError is a module the host refuses (exit 3).
func incompatError(err error) error { return err }

func mixinTestCommand(env []string, stdout, stderr io.Writer) *cli.Command {
	return &cli.Command{
		Name:         "test",
		Usage:        "run a wasm mixin's test cases, answering its exec calls from a table",
		ArgsUsage:    "[MIXIN.wasm] --cases FILE",
		OnUsageError: onUsageError,
		// Flags may come after MIXIN.wasm, which urfave/cli v2 does not
		// parse: the command parses its own (parseArgs); Flags is for help.
		SkipFlagParsing: true,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "cases", Usage: "the cases `FILE` (docs/spec/mixin-test.md)"},
			&cli.StringFlag{Name: "run", Usage: "run only the cases whose name matches `REGEX`"},
			&cli.BoolFlag{Name: "update", Usage: "rewrite want.outputs, want.exit_code and the exec lists from what the mixin did"},
			&cli.StringFlag{Name: "engine", Value: "compiler", Usage: "compiler, interpreter or both (fail if they differ)"},
		},
		Action: func(c *cli.Context) error {
			a, err := parseArgs(c.Args().Slice(), []string{"cases", "run", "engine"}, []string{"update"})
			if err != nil {
				return err
			}
			if a.help {
				return cli.ShowSubcommandHelp(c)
			}
			return mixinTest(c.Context, a, env, stdout, stderr)
		},
	}
}

func mixinTest(ctx context.Context, a parsedArgs, env []string, stdout, stderr io.Writer) error {
	if len(a.args) > 1 {
		return usagef("mixin test takes at most one MIXIN.wasm, got %q", a.args)
	}
	file := a.values["cases"]
	if file == "" {
		return usagef("mixin test needs --cases FILE")
	}
	engine, err := mixintest.ParseEngine(a.values["engine"])
	if err != nil {
		return usagef("--engine: %w", err)
	}
	var opts mixintest.SuiteOptions
	opts.Update = a.bools["update"]
	if expr := a.values["run"]; expr != "" {
		re, err := regexp.Compile(expr)
		if err != nil {
			return usagef("--run: %w", err)
		}
		opts.Run = re
	}
	suite, err := mixintest.LoadCases(file)
	if err != nil {
		return casesError(err)
	}
	var mixin string
	if len(a.args) == 1 {
		mixin = a.args[0]
	}
	if mixin == "" {
		mixin = suite.MixinPath()
	}
	if mixin == "" {
		return usagef("no mixin to test: pass MIXIN.wasm or set mixin: in %s", file)
	}
	bin, err := os.ReadFile(mixin)
	if err != nil {
		return usagef("read mixin: %w", err)
	}
	cacheDir, _ := lookupEnv(env, "MIXBOX_CACHE_DIR")
	t, err := mixintest.New(ctx, bin, mixintest.Options{Engine: engine, Name: mixinName(mixin), CacheDir: cacheDir})
	if err != nil {
		if errors.Is(err, mixintest.ErrIncompatible) {
			return incompatError(err)
		}
		return err
	}
	defer func() { _ = t.Close(context.WithoutCancel(ctx)) }() // the process ends next; nothing to flush
	sum, err := t.RunSuite(ctx, suite, stdout, opts)
	if err != nil {
		if errors.Is(err, mixintest.ErrCases) {
			return casesError(err)
		}
		return err
	}
	if opts.Update {
		fmt.Fprintf(stderr, "updated %s\n", file)
	}
	if sum.Failed > 0 {
		return errReported
	}
	return nil
}

// mixinName derives a mixin's name from its file: helm3-runtime.wasm → helm3.
func mixinName(file string) string {
	name := strings.TrimSuffix(filepath.Base(file), ".wasm")
	name = strings.TrimSuffix(name, "-runtime")
	if name == "" {
		return "mixin"
	}
	return name
}

func mixinNewCommand(env []string, stdout, stderr io.Writer) *cli.Command {
	return &cli.Command{
		Name:            "new",
		Usage:           "scaffold a Go mixin that builds to wasm and to a native runtime",
		ArgsUsage:       "NAME [--dir DIR]",
		OnUsageError:    onUsageError,
		SkipFlagParsing: true, // --dir may follow NAME: see parseArgs
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "dir", Usage: "create the mixin in `DIR` (default ./NAME)"},
		},
		Action: func(c *cli.Context) error {
			a, err := parseArgs(c.Args().Slice(), []string{"dir"}, nil)
			if err != nil {
				return err
			}
			if a.help {
				return cli.ShowSubcommandHelp(c)
			}
			if len(a.args) != 1 {
				return usagef("mixin new takes one NAME, got %q", a.args)
			}
			name := a.args[0]
			dir := a.values["dir"]
			if dir == "" {
				dir = name
			}
			src, _ := lookupEnv(env, "MIXBOX_SOURCE")
			res, err := scaffold.New(scaffold.Options{Name: name, Dir: dir, MixboxDir: src, Mixbox: selfPath()})
			if err != nil {
				if errors.Is(err, scaffold.ErrName) || errors.Is(err, scaffold.ErrExists) {
					return usagef("mixin new: %w", err)
				}
				return err
			}
			for _, f := range res.Files {
				fmt.Fprintf(stdout, "created %s\n", filepath.Join(dir, f))
			}
			switch {
			case res.MixboxDir != "":
				fmt.Fprintf(stdout, "go.mod builds against the mixbox checkout %s\n", res.MixboxDir)
			case res.MixboxVersion != "":
				fmt.Fprintf(stderr, "note: no mixbox checkout found (set MIXBOX_SOURCE to one); go.mod requires %s %s\n", scaffold.Module, res.MixboxVersion)
			default:
				fmt.Fprintf(stderr, "note: no mixbox checkout found (set MIXBOX_SOURCE to one); run 'go get %s@latest' in %s\n", scaffold.Module, dir)
			}
			fmt.Fprintf(stdout, "next: cd %s && make build test\n", dir)
			return nil
		},
	}
}

// parsedArgs is a command line of flags and arguments in any order.
type parsedArgs struct {
	args   []string
	values map[string]string
	bools  map[string]bool
	help   bool
}

// parseArgs parses flags anywhere among the arguments, as the spec's
// `mixin test [MIXIN.wasm] --cases FILE` needs: --name VALUE, --name=VALUE,
// -name, a bool flag alone or as --name=true|false, and "--" to end flags.
func parseArgs(in, valueFlags, boolFlags []string) (parsedArgs, error) {
	a := parsedArgs{values: map[string]string{}, bools: map[string]bool{}}
	for i := 0; i < len(in); i++ {
		arg := in[i]
		if arg == "--" {
			a.args = append(a.args, in[i+1:]...)
			break
		}
		if len(arg) < 2 || arg[0] != '-' {
			a.args = append(a.args, arg)
			continue
		}
		name, val, hasVal := strings.Cut(strings.TrimLeft(arg, "-"), "=")
		switch {
		case name == "h" || name == "help":
			a.help = true
		case slices.Contains(valueFlags, name):
			if !hasVal {
				if i+1 >= len(in) {
					return a, usagef("flag needs an argument: %s", arg)
				}
				i++
				val = in[i]
			}
			a.values[name] = val
		case slices.Contains(boolFlags, name):
			b := true
			if hasVal {
				var err error
				if b, err = strconv.ParseBool(val); err != nil {
					return a, usagef("invalid boolean value %q for flag %s", val, "--"+name)
				}
			}
			a.bools[name] = b
		default:
			return a, usagef("flag provided but not defined: %s", arg)
		}
	}
	return a, nil
}

// selfPath is this mixbox binary, for the scaffold's Makefile, or "" when
// it is not one (a test binary).
func selfPath() string {
	exe, err := os.Executable()
	if err != nil || filepath.Base(exe) != "mixbox" {
		return ""
	}
	return exe
}
