package wasm

import (
	"fmt"
	"os"
	"testing"

	"github.com/mixbox/mixbox/internal/testutil"
)

// cacheDir is the compiled-module cache the package's tests share
// (testutil.SharedCache): a test that compiles the 6.5 MB exec module with
// the compiler passes it, so the module compiles at most once per test run.
var cacheDir string

func TestMain(m *testing.M) {
	dir, _, cleanup, err := testutil.SharedCache()
	if err != nil {
		fmt.Fprintln(os.Stderr, "make the test cache:", err)
		os.Exit(2)
	}
	cacheDir = dir // filled by the first compile when SharedCache made it
	code := m.Run()
	cleanup()
	os.Exit(code)
}
