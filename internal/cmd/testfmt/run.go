package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os/exec"
	"sync"
)

// Exit codes.
const (
	exitOK     = 0
	exitFailed = 1
	exitUsage  = 2
)

// run is the whole command: args are os.Args. With arguments after the
// flags it runs `GO test -json ARGS...`; without, it reads that output
// from stdin.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet(args[0], flag.ContinueOnError)
	fs.SetOutput(stderr)
	goBin := fs.String("go", "go", "the go `command` that runs the tests")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: %s [-go GO] [--] [go test flags] [packages]\n   or: go test -json ... 2>&1 | %s\n", args[0], args[0])
		fs.PrintDefaults()
	}
	if err := fs.Parse(args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	f := newFormatter(stdout)
	if fs.NArg() == 0 {
		if err := scanLines(stdin, f.line); err != nil {
			fmt.Fprintf(stderr, "error: read go test output: %v\n", err)
			return exitFailed
		}
		return exitCode(f.finish(nil))
	}
	goErr, err := runGoTest(ctx, *goBin, fs.Args(), f)
	if err != nil {
		fmt.Fprintf(stderr, "error: %v\n", err)
		return exitFailed
	}
	return exitCode(f.finish(goErr))
}

func exitCode(failed bool) int {
	if failed {
		return exitFailed
	}
	return exitOK
}

// runGoTest runs `goBin test -json args...` and feeds every line of its
// stdout and stderr to f, one at a time. It returns go test's own failure
// (an *exec.ExitError) separately from a failure to run it at all.
func runGoTest(ctx context.Context, goBin string, args []string, f *formatter) (goErr, err error) {
	cmd := exec.CommandContext(ctx, goBin, append([]string{"test", "-json"}, args...)...)
	outR, err := cmd.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("run go test: %w", err)
	}
	errR, err := cmd.StderrPipe()
	if err != nil {
		return nil, fmt.Errorf("run go test: %w", err)
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("run go test: %w", err)
	}
	var mu sync.Mutex
	handle := func(s string) {
		mu.Lock()
		defer mu.Unlock()
		f.line(s)
	}
	var wg sync.WaitGroup
	scanErrs := make([]error, 2)
	for i, r := range []io.Reader{outR, errR} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if scanErrs[i] = scanLines(r, handle); scanErrs[i] != nil {
				_, _ = io.Copy(io.Discard, r) // let go test finish
			}
		}()
	}
	wg.Wait()
	waitErr := cmd.Wait()
	if err := errors.Join(scanErrs...); err != nil {
		return nil, fmt.Errorf("read go test output: %w", errors.Join(err, waitErr))
	}
	var ee *exec.ExitError
	if errors.As(waitErr, &ee) {
		return waitErr, nil
	}
	if waitErr != nil {
		return nil, fmt.Errorf("run go test: %w", waitErr)
	}
	return nil, nil
}

// scanLines calls fn with every line of r, without its newline. Lines may
// be long (a test's output line, JSON-escaped).
func scanLines(r io.Reader, fn func(string)) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), 64<<20)
	for sc.Scan() {
		fn(sc.Text())
	}
	return sc.Err()
}
