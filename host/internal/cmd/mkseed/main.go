package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/mixbox/mixbox/host/internal/compcache"
	"github.com/mixbox/mixbox/host/internal/seed"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "mkseed:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	fs := flag.NewFlagSet("mkseed", flag.ContinueOnError)
	cache := fs.String("cache", "", "the cache `DIR` that mixbox precompile filled")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *cache == "" || fs.NArg() != 1 {
		return fmt.Errorf("usage: mkseed -cache DIR EXECUTABLE")
	}
	exe := fs.Arg(0)
	c, err := compcache.Open(*cache)
	if err != nil {
		return err
	}
	b, err := seed.Make(*cache, func(sum [32]byte) (entry, stub [32]byte, ok bool) {
		a, ok := c.Alias(sum)
		return a.Entry, a.Stub, ok
	})
	if err != nil {
		return err
	}
	if err := seed.Append(exe, b); err != nil {
		return err
	}
	s, err := seed.Open(exe)
	if err != nil {
		return err
	}
	if s == nil {
		return fmt.Errorf("%s carries no seed after appending one", exe)
	}
	fmt.Printf("%s: carries %d module(s) (%.1f MB) for %s\n", exe, len(s.Modules()), float64(len(b))/1e6, s.Dir())
	return nil
}
