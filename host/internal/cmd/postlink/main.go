package main

import (
	"bytes"
	"fmt"
	"io"
	"os"

	"github.com/mixbox/mixbox/host/internal/wasm"
	"github.com/mixbox/mixbox/internal/wasmdata"
)

func main() { os.Exit(run(os.Args, os.Stdout, os.Stderr)) }

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) < 2 {
		_, _ = fmt.Fprintln(stderr, "usage: postlink MODULE.wasm...")
		return 2
	}
	for _, name := range args[1:] {
		if err := prepareFile(name, stdout); err != nil {
			_, _ = fmt.Fprintf(stderr, "postlink: %v\n", err)
			return 1
		}
	}
	return 0
}

func prepareFile(name string, stdout io.Writer) error {
	bin, err := os.ReadFile(name)
	if err != nil {
		return fmt.Errorf("read module: %w", err)
	}
	res, err := wasmdata.Merge(bin)
	if err != nil {
		return fmt.Errorf("prepare %s: %w", name, err)
	}
	out, err := wasm.ExportGlobals(res.Bin)
	if err != nil {
		return fmt.Errorf("prepare %s: %w", name, err)
	}
	what := fmt.Sprintf("%d data segments", res.Before)
	if res.After != res.Before {
		what += fmt.Sprintf(" joined into %d", res.After)
	}
	if len(out) != len(res.Bin) {
		what += ", mutable globals exported"
	}
	if bytes.Equal(out, bin) {
		_, _ = fmt.Fprintf(stdout, "%s: %s, nothing to change\n", name, what)
		return nil
	}
	fi, err := os.Stat(name)
	if err != nil {
		return fmt.Errorf("prepare %s: %w", name, err)
	}
	if err := os.WriteFile(name, out, fi.Mode().Perm()); err != nil {
		return fmt.Errorf("prepare %s: %w", name, err)
	}
	_, _ = fmt.Fprintf(stdout, "%s: %s\n", name, what)
	return nil
}
