package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/mixbox/mixbox/internal/procexec"
)

func main() {
	// What a step's command leaves running, in a session of its own too,
	// becomes mixbox's child and is stopped before mixbox exits.
	_ = procexec.BecomeSubreaper() // Linux only; elsewhere the process groups are stopped
	ctx, stop := signalContext(os.Stderr)
	code := runWith(ctx, detachedFill, os.Args, os.Environ(), os.Stdout, os.Stderr)
	stop()
	procexec.KillOrphans()
	os.Exit(code)
}

// signalCause is the cause of a run's context when mixbox got a signal.
type signalCause struct{ sig os.Signal }

func (c signalCause) Error() string { return "received " + c.sig.String() }

// signalContext returns a context that the first SIGINT or SIGTERM cancels
// with a signalCause: the current step is stopped, then outputs and state
// are saved. A second signal ends the process at once.
func signalContext(stderr io.Writer) (context.Context, func()) {
	ctx, cancel := context.WithCancelCause(context.Background())
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	done := make(chan struct{})
	go func() {
		select {
		case s := <-sigs:
			_, _ = fmt.Fprintln(stderr, "cancel requested: stopping the current step, then saving outputs and state")
			cancel(signalCause{s})
		case <-done:
			return
		}
		select {
		case <-sigs:
			_, _ = fmt.Fprintln(stderr, "hard interrupt received, bye!")
			procexec.KillOrphans() // the step's commands too: nothing is left running
			os.Exit(exitUsage)
		case <-done:
		}
	}()
	return ctx, func() {
		signal.Stop(sigs)
		close(done)
		cancel(nil)
	}
}
