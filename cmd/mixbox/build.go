package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/mixbox/mixbox/host"
)

func buildCommand(env []string, stdout io.Writer) *cli.Command {
	return &cli.Command{
		Name:         "build",
		Usage:        "build the bundle's invocation image, with no container daemon; prints its digest last",
		OnUsageError: onUsageError,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "dir", Value: ".", Usage: "the bundle `DIR`, with porter.yaml"},
			&cli.StringFlag{Name: "base", Usage: "the base image: oci:PATH (an OCI layout), tar:PATH (docker save) or a registry `REF` (default " + host.DefaultBase + ")"},
			&cli.StringFlag{Name: "tag", Usage: "the image's `REF` in -o, and where --push pushes (default: Porter's invocation image name for the bundle)"},
			&cli.StringSliceFlag{Name: "platform", Usage: "`OS/ARCH` to build for, repeatable or comma-separated; more than one writes an image index (default this host's)"},
			&cli.StringFlag{Name: "mixins-dir", Usage: "where installed mixins are (default $PORTER_HOME/mixins, else ~/.porter/mixins)"},
			&cli.StringSliceFlag{Name: "runtime", Usage: "the static mixbox for a platform, `PLATFORM=PATH` (repeatable; default for this host's platform: this mixbox)"},
			&cli.StringFlag{Name: "output", Aliases: []string{"o"}, Usage: "write the image to oci:PATH (an OCI layout) or tar:PATH (for docker load)"},
			&cli.BoolFlag{Name: "push", Usage: "push the image to --tag's registry"},
		},
		Action: func(c *cli.Context) error {
			if c.NArg() > 0 {
				return usagef("build takes no arguments, got %q; pass the bundle directory with --dir", c.Args().Slice())
			}
			runtimes, err := runtimeFlags(c.StringSlice("runtime"))
			if err != nil {
				return err
			}
			opts := host.BuildOptions{
				Dir:       c.String("dir"),
				Base:      c.String("base"),
				Tag:       c.String("tag"),
				Platforms: platformFlags(c.StringSlice("platform")),
				MixinsDir: c.String("mixins-dir"),
				Runtimes:  runtimes,
				Output:    c.String("output"),
				Push:      c.Bool("push"),
				BuiltIns:  builtins(),
				Env:       env,
				Stdout:    stdout,
			}
			if opts.MixinsDir == "" {
				if home, ok := lookupEnv(env, "PORTER_HOME"); ok && home != "" {
					opts.MixinsDir = filepath.Join(home, "mixins")
				} else if home, ok := lookupEnv(env, "HOME"); ok && home != "" {
					opts.MixinsDir = filepath.Join(home, ".porter", "mixins")
				}
			}
			if self, err := os.Executable(); err == nil {
				opts.Executable = self
			}
			digest, err := host.Build(c.Context, opts)
			if err != nil {
				return err
			}
			fmt.Fprintln(stdout, digest)
			return nil
		},
	}
}

// runtimeFlags parses --runtime PLATFORM=PATH values (each taken whole:
// the CLI does not split flag values at commas).
func runtimeFlags(vals []string) (map[string]string, error) {
	out := map[string]string{}
	for _, v := range vals {
		p, path, ok := strings.Cut(v, "=")
		if !ok || p == "" || path == "" {
			return nil, usagef("--runtime %q: expected PLATFORM=PATH, e.g. linux/arm64=bin/linux_arm64/mixbox", v)
		}
		if _, dup := out[p]; dup {
			return nil, usagef("--runtime %s is given twice", p)
		}
		out[p] = path
	}
	return out, nil
}

// platformFlags is the --platform values, each repeatable or a
// comma-separated list.
func platformFlags(vals []string) []string {
	var out []string
	for _, v := range vals {
		for _, p := range strings.Split(v, ",") {
			if p = strings.TrimSpace(p); p != "" {
				out = append(out, p)
			}
		}
	}
	return out
}
