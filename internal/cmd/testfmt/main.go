package main

import (
	"context"
	"os"
	"os/signal"
)

func main() {
	// An interrupt reaches go test too (same process group): keep running
	// to print what finished. A caught signal is reset in the child.
	signal.Notify(make(chan os.Signal, 1), os.Interrupt)
	os.Exit(run(context.Background(), os.Args, os.Stdin, os.Stdout, os.Stderr))
}
