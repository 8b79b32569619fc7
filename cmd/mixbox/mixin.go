package main

import (
	"io"

	"github.com/urfave/cli/v2"
)

func mixinCommand(env []string, stdout, stderr io.Writer) *cli.Command {
	return &cli.Command{
		Name:         "mixin",
		Usage:        "test, inspect, pack and scaffold mixins",
		OnUsageError: onUsageError,
		Subcommands:  []*cli.Command{},
	}
}
