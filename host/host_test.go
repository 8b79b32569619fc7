package host_test

import (
	"context"
	"fmt"
	"io"
	"os"
	"testing"

	"github.com/mixbox/mixbox/host"
	"github.com/mixbox/mixbox/internal/testutil"
	"github.com/mixbox/mixbox/mixins/exec/builtin"
)

// testCtx is the tests' context (wazero's pattern: not Background).
var testCtx = context.WithValue(context.Background(), testCtxKey{}, "host")

// testCtxKey marks the tests' context.
type testCtxKey struct{}

// cacheDir is the compiled-module cache every test of the package shares,
// holding the built-in exec mixin compiled (testutil.SharedCache).
var cacheDir string

func TestMain(m *testing.M) {
	dir, fill, cleanup, err := testutil.SharedCache()
	if err != nil {
		fmt.Fprintln(os.Stderr, "make the test cache:", err)
		os.Exit(2)
	}
	cacheDir = dir
	if fill {
		if err := host.Precompile(testCtx, host.PrecompileOptions{CacheDir: dir, BuiltIns: builtins(), Stdout: io.Discard}); err != nil {
			fmt.Fprintln(os.Stderr, "precompile the built-in exec mixin:", err)
			os.Exit(2)
		}
	}
	code := m.Run()
	cleanup()
	os.Exit(code)
}

func builtins() map[string][]byte { return map[string][]byte{"exec": builtin.Wasm()} }
