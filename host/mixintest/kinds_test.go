package mixintest_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/mixbox/mixbox/host"
	"github.com/mixbox/mixbox/host/mixintest"
	"github.com/mixbox/mixbox/internal/testutil"
	"github.com/mixbox/mixbox/mixins/exec/builtin"
	"github.com/mixbox/mixbox/wasmabi"
)

// TestTester_commandAndReactor_compiler runs the same cases on the exec mixin built
// as a command module (a fresh instance and _start per step) and on the
// embedded reactor (builtin.Wasm()), on both engines: one source, two kinds of
// module.
func TestTester_commandAndReactor_compiler(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the exec mixin")
	}
	t.Parallel()
	out := testutil.NewBuilds(t.TempDir()).Binary(t, "./mixins/exec/cmd/exec-runtime", "exec-runtime.wasm", "GOOS=wasip1", "GOARCH=wasm")
	command, err := os.ReadFile(out)
	require.NoError(t, err)

	suite, err := mixintest.LoadCases(filepath.Join("testdata", "pass.yaml"))
	require.NoError(t, err)
	ctx := context.Background()
	for kind, bin := range map[string][]byte{wasmabi.KindCommand: command, wasmabi.KindReactor: builtin.Wasm()} {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			info, err := host.Inspect(ctx, bin)
			require.NoError(t, err)
			require.Equal(t, kind, info.Kind)
			tester, err := mixintest.New(ctx, bin, mixintest.Options{Name: "exec", Engine: mixintest.Both, CacheDir: cacheDir})
			require.NoError(t, err)
			t.Cleanup(func() { require.NoError(t, tester.Close(ctx)) })
			for _, c := range suite.Cases {
				res, err := tester.Run(ctx, c)
				require.NoError(t, err, c.Name)
				require.True(t, res.Passed(), "%s: %s\nstdout:\n%s\nstderr:\n%s", c.Name, strings.Join(res.Failures, "\n"), res.Stdout, res.Stderr)
			}
		})
	}
}
