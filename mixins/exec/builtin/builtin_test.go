package builtin

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/mixbox/mixbox/internal/testutil"
)

// TestWasm_upToDate rebuilds the exec mixin for wasip1, as a reactor, and
// checks that the embedded module is what its source builds to.
func TestWasm_upToDate(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the exec mixin")
	}
	t.Parallel()
	out := filepath.Join(t.TempDir(), "exec-runtime.wasm")
	cmd := exec.Command("go", "build", "-trimpath", "-buildvcs=false", "-ldflags=-s -w",
		"-buildmode=c-shared", "-tags", "mixbox_reactor", "-o", out, "./mixins/exec/cmd/exec-runtime")
	cmd.Dir = testutil.ModuleRoot(t)
	cmd.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm")
	msg, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", msg)
	got, err := os.ReadFile(out)
	require.NoError(t, err)
	require.True(t, bytes.Equal(got, Wasm()),
		"mixins/exec/builtin/exec-runtime.wasm is stale: run 'make wasm' and commit it")
}
