package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := run(ctx, os.Args, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// config is what the flags say.
type config struct {
	repo          string // the checkout: examples/hello is read from it
	mixbox        string
	execNative    string
	porterRuntime string
	porterExec    string
	n             int
	cases         []string
	work          string
	noChroot      bool
	inNamespace   bool
}

// caseNames returns the cases, in the order they run.
func caseNames() []string {
	return []string{"steps30", "hello-warm", "hello-cold", "output200", "runsh"}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet(args[0], flag.ContinueOnError)
	fs.SetOutput(stderr)
	var c config
	var cases string
	fs.StringVar(&c.repo, "repo", ".", "the mixbox checkout (examples/hello is read from it)")
	fs.StringVar(&c.mixbox, "mixbox", "bin/mixbox", "the mixbox binary (static: it runs in a chroot)")
	fs.StringVar(&c.execNative, "exec-native", "bin/mixins/exec/runtimes/exec-runtime", "mixbox's native exec-runtime (static)")
	fs.StringVar(&c.porterRuntime, "porter-runtime", "", "Porter's porter-runtime (getporter/porter ./cmd/porter); empty skips Porter")
	fs.StringVar(&c.porterExec, "porter-exec", "", "Porter's exec-runtime (getporter/porter ./cmd/exec)")
	fs.IntVar(&c.n, "n", 11, "timed runs of each side of each case")
	fs.StringVar(&cases, "cases", strings.Join(caseNames(), ","), "the cases to run, comma-separated")
	fs.StringVar(&c.work, "work", "", "work directory (default: a new temporary one, removed at the end)")
	fs.BoolVar(&c.noChroot, "no-chroot", false, "run mixbox under --cnab-root even as root (Porter is skipped)")
	fs.BoolVar(&c.inNamespace, "in-namespace", false, "internal: already in a private mount namespace")
	if err := fs.Parse(args[1:]); err != nil {
		return 2
	}
	c.cases = strings.Split(cases, ",")
	for _, name := range c.cases {
		if !slices.Contains(caseNames(), name) {
			_, _ = fmt.Fprintf(stderr, "bench: unknown case %q; the cases are %s\n", name, strings.Join(caseNames(), ", "))
			return 2
		}
	}
	if c.n < 1 {
		_, _ = fmt.Fprintln(stderr, "bench: -n must be at least 1")
		return 2
	}
	if (c.porterRuntime == "") != (c.porterExec == "") {
		_, _ = fmt.Fprintln(stderr, "bench: give both -porter-runtime and -porter-exec, or neither")
		return 2
	}
	for _, p := range []*string{&c.repo, &c.mixbox, &c.execNative, &c.porterRuntime, &c.porterExec} {
		if *p == "" {
			continue
		}
		abs, err := filepath.Abs(*p)
		if err == nil {
			_, err = os.Stat(abs)
		}
		if err != nil {
			_, _ = fmt.Fprintf(stderr, "bench: %v\n", err)
			return 2
		}
		*p = abs
	}
	chroot := !c.noChroot && canChroot()
	if chroot && !c.inNamespace {
		// The bind mounts of the chroots live in a namespace of our own.
		code, err := reexecInNamespace(ctx, args, stdout, stderr)
		if err != nil {
			_, _ = fmt.Fprintf(stderr, "bench: %v\n", err)
			return 1
		}
		return code
	}
	if c.work == "" {
		dir, err := os.MkdirTemp("", "mixbox-bench-")
		if err != nil {
			_, _ = fmt.Fprintf(stderr, "bench: %v\n", err)
			return 1
		}
		defer func() { _ = os.RemoveAll(dir) }() // our own scratch
		c.work = dir
	}
	b := &bench{cfg: c, chroot: chroot, out: stdout, log: stderr}
	defer b.unmountAll()
	if err := b.all(ctx); err != nil {
		_, _ = fmt.Fprintf(stderr, "bench: %v\n", err)
		if errors.Is(err, context.Canceled) {
			return 130
		}
		return 1
	}
	return 0
}
