package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// stateManifest keeps one state variable at /cnab/app/st/kubeconfig.
const stateManifest = `schemaVersion: 1.0.1
name: st
version: 0.1.0
registry: x
mixins: [exec]
state:
  - name: kubeconfig
    path: /cnab/app/st/kubeconfig
install:
  - exec:
      description: "Look"
      command: "true"
`

// writeBag writes a state bag with the entries (name: content) to
// ROOT/porter/state.tgz.
func writeBag(t *testing.T, root string, entries map[string]string) {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	for name, body := range entries {
		require.NoError(t, tw.WriteHeader(&tar.Header{Name: "porter-state/" + name, Mode: 0o644, Size: int64(len(body)), Typeflag: tar.TypeReg}))
		_, err := io.WriteString(tw, body)
		require.NoError(t, err)
	}
	require.NoError(t, tw.Close())
	require.NoError(t, zw.Close())
	require.NoError(t, os.MkdirAll(filepath.Join(root, "porter"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(root, "porter", "state.tgz"), buf.Bytes(), 0o644))
}

// TestRun_stateSymlink: a state path that leads out of --cnab-root through
// a symbolic link shipped in the bundle is refused, loudly, when the state
// is unpacked and when it is packed: nothing is written outside the root,
// and nothing outside it is read into porter-state.
func TestRun_stateSymlink(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		target func(outside string) string // what st points at
	}{
		{"an absolute link", func(outside string) string { return outside }},
		{"a relative link", func(string) string { return "../../../outside" }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			top := t.TempDir()
			root := filepath.Join(top, "root")
			require.NoError(t, os.MkdirAll(filepath.Join(root, "cnab", "app"), 0o755))
			require.NoError(t, os.WriteFile(filepath.Join(root, "cnab", "app", "porter.yaml"), []byte(stateManifest), 0o644))
			outside := filepath.Join(top, "outside")
			require.NoError(t, os.MkdirAll(outside, 0o755))
			require.NoError(t, os.Symlink(tc.target(outside), filepath.Join(root, "cnab", "app", "st")))

			writeBag(t, root, map[string]string{"kubeconfig": "from-the-bag"})
			code, stdout, stderr := runCLI(t, nil, "run", "--cnab-root", root, "--action", "install")
			require.Equal(t, 1, code, stdout+stderr)
			require.Contains(t, stderr, "state kubeconfig")
			require.Contains(t, stderr, "/cnab/app/st/kubeconfig")
			require.NoFileExists(t, filepath.Join(outside, "kubeconfig"), "the bag was unpacked outside the root")

			// Packing: a secret outside the root must not end up in porter-state.
			require.NoError(t, os.Remove(filepath.Join(root, "porter", "state.tgz")))
			require.NoError(t, os.WriteFile(filepath.Join(outside, "kubeconfig"), []byte("outside-secret"), 0o644))
			code, stdout, stderr = runCLI(t, nil, "run", "--cnab-root", root, "--action", "install")
			require.Equal(t, 1, code, stdout+stderr)
			require.Contains(t, stderr, "state kubeconfig")
			bag, err := os.ReadFile(filepath.Join(root, "cnab", "app", "outputs", "porter-state"))
			if err == nil {
				entries, err := tarEntries(bag)
				require.NoError(t, err)
				require.NotContains(t, string(entries["porter-state/kubeconfig"]), "outside-secret")
			}
		})
	}
}

// TestRun_stateInsideLink: a symbolic link that stays inside the root is
// followed, as before.
func TestRun_stateInsideLink(t *testing.T) {
	t.Parallel()
	root := newRoot(t, stateManifest, map[string]string{"cnab/app/real/.keep": ""})
	require.NoError(t, os.Symlink("real", filepath.Join(root, "cnab", "app", "st")))
	writeBag(t, root, map[string]string{"kubeconfig": "from-the-bag"})
	code, stdout, stderr := runCLI(t, nil, "run", "--cnab-root", root, "--action", "install")
	require.Equal(t, 0, code, stdout+stderr)
	got, err := os.ReadFile(filepath.Join(root, "cnab", "app", "real", "kubeconfig"))
	require.NoError(t, err)
	require.Equal(t, "from-the-bag", string(got))
	bag, err := os.ReadFile(filepath.Join(root, "cnab", "app", "outputs", "porter-state"))
	require.NoError(t, err)
	entries, err := tarEntries(bag)
	require.NoError(t, err)
	require.Equal(t, "from-the-bag", string(entries["porter-state/kubeconfig"]))
}
