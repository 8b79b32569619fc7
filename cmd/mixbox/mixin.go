package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/mixbox/mixbox/host"
)

func mixinCommand(env []string, stdout, stderr io.Writer) *cli.Command {
	return &cli.Command{
		Name:         "mixin",
		Usage:        "test, inspect, pack and scaffold mixins",
		OnUsageError: onUsageError,
		Subcommands: append([]*cli.Command{
			mixinInspectCommand(stdout),
			mixinPackCommand(stdout),
		}, mixinAuthorCommands(env, stdout, stderr)...),
	}
}

func mixinInspectCommand(stdout io.Writer) *cli.Command {
	return &cli.Command{
		Name:         "inspect",
		Usage:        "show a wasm mixin's ABI, imports, exports, metadata, and whether this host accepts it",
		ArgsUsage:    "MIXIN.wasm",
		OnUsageError: onUsageError,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "output", Aliases: []string{"o"}, Value: "text", Usage: "text or json"},
		},
		Action: func(c *cli.Context) error {
			if c.NArg() != 1 {
				return usagef("mixin inspect takes one MIXIN.wasm")
			}
			bin, err := os.ReadFile(c.Args().First())
			if err != nil {
				return usagef("read module: %w", err)
			}
			if err := wasmFile(c.Args().First(), bin); err != nil {
				return err
			}
			info, err := host.Inspect(c.Context, bin)
			if err != nil {
				return err
			}
			switch c.String("output") {
			case "json":
				b, err := json.MarshalIndent(info, "", "  ")
				if err != nil {
					return fmt.Errorf("encode info: %w", err)
				}
				fmt.Fprintf(stdout, "%s\n", b)
			case "text":
				printInfo(stdout, c.Args().First(), info)
			default:
				return usagef("-o must be text or json, got %q", c.String("output"))
			}
			if !info.Accepted {
				return fmt.Errorf("%w: %s", host.ErrIncompatible, strings.TrimPrefix(info.Reason, host.ErrIncompatible.Error()+": "))
			}
			return nil
		},
	}
}

// wasmFile says, before anything else, that a file is not a WebAssembly
// module at all, and what it looks like instead.
func wasmFile(name string, bin []byte) error {
	if bytes.HasPrefix(bin, []byte("\x00asm")) {
		return nil
	}
	what := "it does not start with the bytes 00 61 73 6d (\\0asm) that every .wasm file starts with"
	switch {
	case len(bin) == 0:
		what = "it is empty"
	case bytes.HasPrefix(bin, []byte("\x7fELF")), bytes.HasPrefix(bin, []byte("MZ")), bytes.HasPrefix(bin, []byte{0xcf, 0xfa, 0xed, 0xfe}):
		what = "it is a native executable (a NAME-runtime for Porter?); inspect its wasm build, NAME-runtime.wasm"
	case bytes.HasPrefix(bin, []byte("#!")):
		what = "it is a script"
	case bytes.Contains(bin[:min(len(bin), 4096)], []byte("(module")):
		what = "it is WebAssembly text (WAT): build it with wat2wasm first"
	}
	return fmt.Errorf("%w: %s is not a WebAssembly module: %s", host.ErrIncompatible, name, what)
}

func printInfo(w io.Writer, name string, info host.ModuleInfo) {
	fmt.Fprintf(w, "module:   %s (%d bytes, sha256 %s)\n", name, info.Size, info.SHA256)
	abi := info.ABI
	if abi == "" {
		abi = "none (imports no mixbox host function)"
	}
	fmt.Fprintf(w, "abi:      %s\n", abi)
	kind := info.Kind
	if kind == "" {
		kind = "none (exports neither _start nor mixbox_step)"
	}
	fmt.Fprintf(w, "kind:     %s\n", kind)
	if info.Exec {
		fmt.Fprintf(w, "exec:     yes (imports mixbox_v1.exec)\n")
	} else {
		fmt.Fprintf(w, "exec:     no: it does not import mixbox_v1.exec, so it cannot run commands (a command it starts fails); build it with the mixbox guest SDK (wasmabi/guest) to run them\n")
	}
	max := "none"
	if info.MemoryMax >= 0 {
		max = fmt.Sprint(info.MemoryMax)
	}
	fmt.Fprintf(w, "memory:   min %d bytes, max %s\n", info.MemoryMin, max)
	_, _ = fmt.Fprintln(w, "imports:")
	for _, i := range info.Imports {
		fmt.Fprintf(w, "  %s.%s %s (%s) -> (%s)\n", i.Module, i.Name, i.Kind, strings.Join(i.Params, ", "), strings.Join(i.Results, ", "))
	}
	_, _ = fmt.Fprintln(w, "exports:")
	for _, e := range info.Exports {
		fmt.Fprintf(w, "  %s %s\n", e.Name, e.Kind)
	}
	if m := info.Metadata; m != nil {
		fmt.Fprintf(w, "metadata: name %s, version %s, abi %s\n", m.Name, m.Version, m.ABI)
		fmt.Fprintf(w, "  capabilities: exec [%s], env [%s]\n", strings.Join(m.Capabilities.Exec, ", "), strings.Join(m.Capabilities.Env, ", "))
	} else {
		_, _ = fmt.Fprintln(w, "metadata: none (add it with 'mixbox mixin pack')")
	}
	if info.Accepted {
		fmt.Fprintln(w, "accepted: yes")
	} else {
		fmt.Fprintf(w, "accepted: no: %s\n", info.Reason)
	}
}

func mixinPackCommand(stdout io.Writer) *cli.Command {
	return &cli.Command{
		Name:         "pack",
		Usage:        "add or replace a wasm mixin's mixbox.mixin metadata section",
		ArgsUsage:    "MIXIN.wasm --meta mixin.yaml [-o OUT.wasm]",
		OnUsageError: onUsageError,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "meta", Usage: "the metadata `FILE` (YAML or JSON), required"},
			&cli.StringFlag{Name: "output", Aliases: []string{"o"}, Usage: "write to `OUT.wasm` (default: in place)"},
		},
		Action: func(c *cli.Context) error {
			if c.NArg() != 1 {
				return usagef("mixin pack takes one MIXIN.wasm")
			}
			if c.String("meta") == "" {
				return usagef("mixin pack needs --meta mixin.yaml")
			}
			in := c.Args().First()
			bin, err := os.ReadFile(in)
			if err != nil {
				return usagef("read module: %w", err)
			}
			meta, err := os.ReadFile(c.String("meta"))
			if err != nil {
				return usagef("read metadata: %w", err)
			}
			out, err := host.Pack(bin, meta)
			if err != nil {
				return err
			}
			dst := c.String("output")
			if dst == "" {
				dst = in
			}
			if err := os.WriteFile(dst, out, 0o644); err != nil {
				return fmt.Errorf("write module: %w", err)
			}
			fmt.Fprintf(stdout, "packed %s (%d bytes)\n", dst, len(out))
			return nil
		},
	}
}

// mixinAuthorCommands are `mixin test` and `mixin new`.
func mixinAuthorCommands(env []string, stdout, stderr io.Writer) []*cli.Command {
	return []*cli.Command{mixinTestCommand(env, stdout, stderr), mixinNewCommand(env, stdout, stderr)}
}
