package host_test

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/mixbox/mixbox/host"
)

// outputRoot lays out a bundle whose one exec step prints size bytes of
// text lines, its output suppressed (suppress) or streamed.
func outputRoot(tb testing.TB, size int, suppress bool) string {
	tb.Helper()
	root := tb.TempDir()
	app := filepath.Join(root, "cnab", "app")
	require.NoError(tb, os.MkdirAll(app, 0o755))
	manifest := fmt.Sprintf(`schemaVersion: 1.0.1
name: output
version: 0.1.0
mixins:
  - exec
install:
  - exec:
      description: "print"
      command: sh
      arguments: ["-c", "yes 'a line of output, 32 bytes long.' | head -c %d"]
      suppress-output: %t
`, size, suppress)
	require.NoError(tb, os.WriteFile(filepath.Join(app, "porter.yaml"), []byte(manifest), 0o644))
	return root
}

// TestBenchmarkRun_output is BenchmarkRun_output's twin: the step runs, and
// what it printed reaches the log only when it is not suppressed.
func TestBenchmarkRun_output(t *testing.T) {
	t.Parallel()
	for _, suppress := range []bool{true, false} {
		root := outputRoot(t, 1<<20, suppress)
		var out bytes.Buffer
		rep, err := newBenchRuntime(t, root, false).Run(testCtx, benchRun(root, host.PreferWasm, &out))
		require.NoError(t, err, out.String())
		require.Equal(t, 1, rep.Ran)
		printed := bytes.Count(out.Bytes(), []byte("a line of output, 32 bytes long.\n"))
		if suppress {
			require.Zero(t, printed, "suppressed output is not printed")
		} else {
			require.Equal(t, 1<<20/33, printed, "every whole line of the command's output is printed")
		}
	}
}

// BenchmarkRun_output is the capture throughput of the wasm exec mixin: one
// step printing 16 MiB, suppressed (captured for the mixin, printed by
// nobody) or streamed to the log.
func BenchmarkRun_output(b *testing.B) {
	const size = 16 << 20
	for _, suppress := range []bool{true, false} {
		b.Run(fmt.Sprintf("suppressed=%t", suppress), func(b *testing.B) {
			root := outputRoot(b, size, suppress)
			rt := newBenchRuntime(b, root, false)
			opts := benchRun(root, host.PreferWasm, io.Discard)
			_, err := rt.Run(testCtx, opts) // load outside the loop
			require.NoError(b, err)
			b.SetBytes(size)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := rt.Run(testCtx, opts); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
