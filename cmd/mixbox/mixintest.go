package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/mixbox/mixbox/host/mixintest"
	"github.com/mixbox/mixbox/internal/scaffold"
)

// casesError is a bad cases file (exit 2).
func casesError(err error) error { return usageError{err} }

func mixinTestCommand(env []string, stdout, stderr io.Writer) *cli.Command {
	return &cli.Command{
		Name:         "test",
		Usage:        "run a wasm mixin's test cases, answering its exec calls from a table",
		ArgsUsage:    "[MIXIN.wasm] --cases FILE",
		OnUsageError: onUsageError,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "cases", Usage: "the cases `FILE` (docs/spec/mixin-test.md)"},
			&cli.StringFlag{Name: "run", Usage: "run only the cases whose name matches `REGEX`"},
			&cli.BoolFlag{Name: "update", Usage: "rewrite want.outputs, want.exit_code and the exec lists from what the mixin did"},
			&cli.StringFlag{Name: "engine", Value: "auto", Usage: "auto (the compiler for a module in the cache, else the interpreter), compiler, interpreter or both (fail if they differ)"},
			&cli.StringFlag{Name: "cache-dir", Usage: "compiled-module cache `DIR` (default $MIXBOX_CACHE_DIR, else the cache of mixbox run)"},
		},
		Action: func(c *cli.Context) error {
			return mixinTest(c.Context, testArgs{
				mixins:   c.Args().Slice(),
				cases:    c.String("cases"),
				run:      c.String("run"),
				engine:   c.String("engine"),
				cacheDir: resolveCacheDir(c, env, ""),
				update:   c.Bool("update"),
			}, env, stdout, stderr)
		},
	}
}

// testArgs are the arguments of `mixin test`.
type testArgs struct {
	mixins                       []string
	cases, run, engine, cacheDir string
	update                       bool
}

func mixinTest(ctx context.Context, a testArgs, env []string, stdout, stderr io.Writer) error {
	if len(a.mixins) > 1 {
		return usagef("mixin test takes at most one MIXIN.wasm, got %q", a.mixins)
	}
	file := a.cases
	if file == "" {
		return usagef("mixin test needs --cases FILE")
	}
	engine, err := mixintest.ParseEngine(a.engine)
	if err != nil {
		return usagef("--engine: %w", err)
	}
	var opts mixintest.SuiteOptions
	opts.Update = a.update
	if expr := a.run; expr != "" {
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
	if len(a.mixins) == 1 {
		mixin = a.mixins[0]
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
	t, err := mixintest.New(ctx, bin, mixintest.Options{Engine: engine, Name: mixinName(mixin), File: mixin, CacheDir: a.cacheDir})
	if err != nil {
		return err // ErrIncompatible matches host.ErrIncompatible: exit 3
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
		Name:         "new",
		Usage:        "scaffold a Go mixin that builds to wasm and to a native runtime",
		ArgsUsage:    "NAME [--dir DIR]",
		OnUsageError: onUsageError,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "dir", Usage: "create the mixin in `DIR` (default ./NAME)"},
		},
		Action: func(c *cli.Context) error {
			if c.NArg() != 1 {
				return usagef("mixin new takes one NAME, got %q", c.Args().Slice())
			}
			name := c.Args().First()
			dir := c.String("dir")
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
				fmt.Fprintf(stderr, "note: no mixbox checkout found, so go.mod does not build yet: run 'MIXBOX_SOURCE=/path/to/mixbox mixbox mixin new %s' again in an empty directory, or add 'replace %s => /path/to/mixbox' to %s (its README.md says how)\n",
					name, scaffold.Module, filepath.Join(dir, "go.mod"))
			}
			fmt.Fprintf(stdout, "next: cd %s && make test && make install MIXINS_DIR=ROOT/cnab/app/mixins\n", dir)
			return nil
		},
	}
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
