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

// reviewOptions reads the flags of explain and lint: the manifest, the
// mixins directory, the preferred form and the output format.
func reviewOptions(c *cli.Context, env []string) (manifest, mixinsDir string, prefer host.Prefer, format host.OutputFormat, err error) {
	if c.NArg() > 0 {
		return "", "", 0, 0, usagef("%s takes no arguments, got %q; name the manifest with -f", c.Command.Name, c.Args().Slice())
	}
	if prefer, err = preferFlag(c); err != nil {
		return "", "", 0, 0, err
	}
	switch o := c.String("output"); o {
	case "text":
		format = host.OutputText
	case "json":
		format = host.OutputJSON
	default:
		return "", "", 0, 0, usagef("-o must be text or json, got %q", o)
	}
	return c.String("file"), mixinsDirFlag(c, env), prefer, format, nil
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

func explainCommand(env []string, stdout io.Writer) *cli.Command {
	return &cli.Command{
		Name:         "explain",
		Usage:        "describe a bundle: actions, parameters, credentials, outputs, and how each mixin resolves here",
		OnUsageError: onUsageError,
		Flags:        reviewFlags(),
		Action: func(c *cli.Context) error {
			file, mixinsDir, prefer, format, err := reviewOptions(c, env)
			if err != nil {
				return err
			}
			rt := host.New(host.Options{BuiltIns: builtins()})
			defer func() { _ = rt.Close(c.Context) }() // nothing was compiled
			return rt.Explain(c.Context, host.ExplainOptions{ManifestPath: file, MixinsDir: mixinsDir, Prefer: prefer, Format: format}, stdout)
		},
	}
}
