package main

import (
	"io"

	"github.com/urfave/cli/v2"

	"github.com/mixbox/mixbox/host"
)

// reviewFlags are the flags explain and lint share.
func reviewFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "file", Aliases: []string{"f"}, Value: "porter.yaml", Usage: "the manifest; its directory is the bundle directory"},
		&cli.StringFlag{Name: "output", Aliases: []string{"o"}, Value: "text", Usage: "text or json"},
		&cli.StringFlag{Name: "mixins-dir", Usage: "where installed mixins are (default $PORTER_HOME/mixins, else <bundle>/mixins)"},
		&cli.StringFlag{Name: "prefer", Value: "wasm", Usage: "wasm or native: which form wins when a mixin has both"},
	}
}

// review is what the flags of explain and lint say.
type review struct {
	file, mixinsDir string
	prefer          host.Prefer
	format          host.OutputFormat
}

// reviewOptions reads the flags of explain and lint: the manifest, the
// mixins directory, the preferred form and the output format.
func reviewOptions(c *cli.Context, env []string) (review, error) {
	r := review{file: c.String("file"), mixinsDir: mixinsDirFlag(c, env)}
	if c.NArg() > 0 {
		return r, usagef("%s takes no arguments, got %q; name the manifest with -f", c.Command.Name, c.Args().Slice())
	}
	var err error
	if r.prefer, err = preferFlag(c); err != nil {
		return r, err
	}
	switch o := c.String("output"); o {
	case "text":
		r.format = host.OutputText
	case "json":
		r.format = host.OutputJSON
	default:
		return r, usagef("-o must be text or json, got %q", o)
	}
	return r, nil
}

// mixinsDirFlag is --mixins-dir, else $PORTER_HOME/mixins, else "" (the
// bundle's mixins directory).
func mixinsDirFlag(c *cli.Context, env []string) string {
	if dir := c.String("mixins-dir"); dir != "" {
		return dir
	}
	if home, ok := lookupEnv(env, "PORTER_HOME"); ok && home != "" {
		return home + "/mixins"
	}
	return ""
}

// preferFlag reads --prefer.
func preferFlag(c *cli.Context) (host.Prefer, error) {
	switch p := c.String("prefer"); p {
	case "wasm":
		return host.PreferWasm, nil
	case "native":
		return host.PreferNative, nil
	default:
		return 0, usagef("--prefer must be wasm or native, got %q", p)
	}
}

// reviewCommand is explain or lint: their flags, read into review, then do
// with a Runtime that holds the built-in mixins (it compiles nothing).
func reviewCommand(name, usage string, env []string, do func(c *cli.Context, rt *host.Runtime, r review) error) *cli.Command {
	return &cli.Command{
		Name:         name,
		Usage:        usage,
		OnUsageError: onUsageError,
		Flags:        reviewFlags(),
		Action: func(c *cli.Context) error {
			r, err := reviewOptions(c, env)
			if err != nil {
				return err
			}
			rt := host.New(host.Options{BuiltIns: builtins()})
			defer func() { _ = rt.Close(c.Context) }() // nothing was compiled
			return do(c, rt, r)
		},
	}
}

func explainCommand(env []string, stdout io.Writer) *cli.Command {
	return reviewCommand("explain", "describe a bundle: actions, parameters, credentials, outputs, and how each mixin resolves here", env,
		func(c *cli.Context, rt *host.Runtime, r review) error {
			return rt.Explain(c.Context, host.ExplainOptions{ManifestPath: r.file, MixinsDir: r.mixinsDir, Prefer: r.prefer, Format: r.format}, stdout)
		})
}
