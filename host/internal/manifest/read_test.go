package manifest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestLoad_tooLarge: a porter.yaml or bundle.json over MaxFileBytes fails
// loudly, naming the limit, before it is read; one at the limit is read.
func TestLoad_tooLarge(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	big := filepath.Join(dir, "porter.yaml")
	f, err := os.Create(big)
	require.NoError(t, err)
	require.NoError(t, f.Truncate(MaxFileBytes+1))
	require.NoError(t, f.Close())
	_, err = Load(big)
	require.ErrorIs(t, err, ErrTooLarge)
	require.ErrorContains(t, err, "read manifest: "+big+" is 16.0 MiB, over the 16 MiB limit of a bundle definition file")
	_, err = LoadBundle(big)
	require.ErrorIs(t, err, ErrTooLarge)

	ok := filepath.Join(dir, "ok.yaml")
	body := "schemaVersion: 1.0.1\nname: x\nversion: 0.1.0\nregistry: r\nmixins: [exec]\ninstall:\n  - exec:\n      command: \"true\"\n"
	require.NoError(t, os.WriteFile(ok, []byte(body+"#"+strings.Repeat("x", MaxFileBytes-len(body)-2)+"\n"), 0o644))
	_, err = Load(ok)
	require.NoError(t, err, "a file of exactly the limit is read")
}
