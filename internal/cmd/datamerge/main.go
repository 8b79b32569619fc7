package main

import (
	"fmt"
	"io"
	"os"

	"github.com/mixbox/mixbox/internal/wasmdata"
)

func main() { os.Exit(run(os.Args, os.Stdout, os.Stderr)) }

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) < 2 {
		_, _ = fmt.Fprintln(stderr, "usage: datamerge MODULE.wasm...")
		return 2
	}
	for _, name := range args[1:] {
		if err := mergeFile(name, stdout); err != nil {
			_, _ = fmt.Fprintf(stderr, "datamerge: %v\n", err)
			return 1
		}
	}
	return 0
}

func mergeFile(name string, stdout io.Writer) error {
	bin, err := os.ReadFile(name)
	if err != nil {
		return fmt.Errorf("read module: %w", err)
	}
	res, err := wasmdata.Merge(bin)
	if err != nil {
		return fmt.Errorf("merge %s: %w", name, err)
	}
	if res.After == res.Before {
		_, _ = fmt.Fprintf(stdout, "%s: %d data segments, none to join\n", name, res.Before)
		return nil
	}
	fi, err := os.Stat(name)
	if err != nil {
		return fmt.Errorf("merge %s: %w", name, err)
	}
	if err := os.WriteFile(name, res.Bin, fi.Mode().Perm()); err != nil {
		return fmt.Errorf("merge %s: %w", name, err)
	}
	_, _ = fmt.Fprintf(stdout, "%s: %d data segments joined into %d\n", name, res.Before, res.After)
	return nil
}
