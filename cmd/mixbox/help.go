package main

import (
	"flag"
	"sync"

	"github.com/urfave/cli/v2"
)

// helpFlag is urfave/cli's --help/-h flag without its state. urfave/cli
// shares one package-level HelpFlag among all its apps, and its BoolFlag
// writes to itself each time a command's flags are parsed: two `run` calls in
// one process (the CLI's tests run them in parallel) race on it. helpFlag
// writes nothing but the flag set it is applied to.
type helpFlag struct{}

var _ cli.VisibleFlag = helpFlag{}

func (helpFlag) String() string  { return "--help, -h\tshow help" }
func (helpFlag) Names() []string { return []string{"help", "h"} }
func (helpFlag) IsSet() bool     { return false }
func (helpFlag) IsVisible() bool { return true }

func (helpFlag) Apply(set *flag.FlagSet) error {
	p := new(bool)
	for _, n := range []string{"help", "h"} {
		set.BoolVar(p, n, false, "show help")
	}
	return nil
}

// helpOnce installs helpFlag as urfave/cli's help flag, once per process and
// before any app parses a flag.
var helpOnce sync.Once

func useHelpFlag() { helpOnce.Do(func() { cli.HelpFlag = helpFlag{} }) }

// withHelpCommands gives the app and every command that has subcommands a
// `help` command of their own, and none to the others (their --help stays).
// urfave/cli otherwise appends one shared package-level help command to every
// command, and writes to it while setting each up: two apps in one process
// race on it.
func withHelpCommands(app *cli.App) {
	app.Commands = append(app.Commands, helpCommand())
	app.Flags = append(app.Flags, helpFlag{}) // urfave adds its own only with its help command
	var add func(cmds []*cli.Command)
	add = func(cmds []*cli.Command) {
		for _, c := range cmds {
			if len(c.Subcommands) == 0 {
				c.HideHelpCommand = true
				continue
			}
			add(c.Subcommands)
			c.Subcommands = append(c.Subcommands, helpCommand())
		}
	}
	add(app.Commands)
}

// helpCommand is `help [COMMAND]`: the help of the command it is under (the
// app's, at the top), or of the one it names.
func helpCommand() *cli.Command {
	return &cli.Command{
		Name:      "help",
		Aliases:   []string{"h"},
		Usage:     "show a list of commands or help for one command",
		ArgsUsage: "[command]",
		Action: func(c *cli.Context) error {
			parent := c.Lineage()[1]
			if name := c.Args().First(); name != "" {
				return cli.ShowCommandHelp(parent, name)
			}
			if parent.Command == nil || parent.Command.Name == "" {
				return cli.ShowAppHelp(parent)
			}
			return cli.ShowSubcommandHelp(parent)
		},
	}
}
