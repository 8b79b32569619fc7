package main

import (
	"context"
	"os"
	"testing"

	"github.com/mixbox/mixbox/internal/testutil"
)

// builds holds the binaries the end-to-end tests run, built once.
var builds *testutil.Builds

// testCtx is the context of tests (wazero's pattern: not Background).
var testCtx = context.WithValue(context.Background(), struct{}{}, "test")

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "mixbox-bin-")
	if err != nil {
		panic(err)
	}
	builds = testutil.NewBuilds(dir)
	code := m.Run()
	_ = os.RemoveAll(dir) // a temp dir: nothing to keep
	os.Exit(code)
}
