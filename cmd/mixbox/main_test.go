package main

import (
	"bytes"
	"context"
	"os"
	"testing"

	"github.com/mixbox/mixbox/internal/testutil"
)

// builds holds the binaries the end-to-end tests run, built once.
var builds *testutil.Builds

// cacheDir is the compiled-module cache the tests share, so the built-in
// exec mixin compiles once per test process.
var cacheDir string

// testCtx is the context of tests (wazero's pattern: not Background).
var testCtx = context.WithValue(context.Background(), testCtxKey{}, "test")

// testCtxKey marks the tests\' context.
type testCtxKey struct{}

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "mixbox-bin-")
	if err != nil {
		panic(err)
	}
	builds = testutil.NewBuilds(dir)
	cache, fill, cleanup, err := testutil.SharedCache()
	if err != nil {
		panic(err)
	}
	cacheDir = cache
	if fill {
		// Fill the cache once, so the tests run the built-in exec mixin compiled.
		var out bytes.Buffer
		if code := run(testCtx, []string{"mixbox", "precompile", "--cache-dir", cacheDir}, nil, &out, &out); code != 0 {
			panic("precompile: " + out.String())
		}
	}
	code := m.Run()
	cleanup()
	_ = os.RemoveAll(dir) // a temp dir: nothing to keep
	os.Exit(code)
}
