package builtin

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/mixbox/mixbox/internal/testutil"
	"github.com/mixbox/mixbox/internal/wasmdata"
)

// TestWasm_sha256: the sum embedded beside the module is the module's.
func TestWasm_sha256(t *testing.T) {
	t.Parallel()
	got := sha256.Sum256(Module())
	require.Equal(t, hex.EncodeToString(got[:]), SHA256(), "run 'make wasm': exec-runtime.wasm.sha256 is stale")
	require.Equal(t, Wasm(), Module())
}

// TestWasm_merged: the embedded module's data segments are joined (make
// wasm's post-link step), so the host has nothing to decode one by one.
func TestWasm_merged(t *testing.T) {
	t.Parallel()
	res, err := wasmdata.Merge(Wasm())
	require.NoError(t, err)
	require.Equal(t, res.Before, res.After, "run 'make wasm': the module's data segments are not joined")
	require.Less(t, res.Before, 100)
}

// TestWasm_upToDate rebuilds the exec mixin for wasip1, as a reactor, runs
// make wasm's post-link step on it, and checks that the embedded module is
// what its source builds to.
func TestWasm_upToDate(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the exec mixin")
	}
	t.Parallel()
	out := filepath.Join(t.TempDir(), "exec-runtime.wasm")
	root := testutil.ModuleRoot(t)
	cmd := exec.Command("go", "build", "-trimpath", "-buildvcs=false", "-ldflags=-s -w",
		"-buildmode=c-shared", "-tags", "mixbox_reactor,mixbox_image", "-o", out, "./mixins/exec/cmd/exec-runtime")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm")
	msg, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", msg)
	cmd = exec.Command("go", "run", "./host/internal/cmd/postlink", out)
	cmd.Dir = root
	msg, err = cmd.CombinedOutput()
	require.NoError(t, err, "%s", msg)
	got, err := os.ReadFile(out)
	require.NoError(t, err)
	require.True(t, bytes.Equal(got, Wasm()),
		"mixins/exec/builtin/exec-runtime.wasm is stale: run 'make wasm' and commit it")
}
