package testutil

import (
	"archive/tar"
	"bytes"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/stretchr/testify/require"
)

// TestUnpack_whiteouts: a layer's .wh.NAME deletes NAME below it, and
// .wh..wh..opq empties its directory of what the layers below put there.
func TestUnpack_whiteouts(t *testing.T) {
	t.Parallel()
	if os.Geteuid() != 0 {
		t.Skip("Unpack keeps owners: it needs root (CI runs as root)")
	}
	layer := func(files map[string]string) []byte {
		var buf bytes.Buffer
		tw := tar.NewWriter(&buf)
		for name, body := range files {
			require.NoError(t, tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(body)), Typeflag: tar.TypeReg}))
			_, err := tw.Write([]byte(body))
			require.NoError(t, err)
		}
		require.NoError(t, tw.Close())
		return buf.Bytes()
	}
	img := empty.Image
	for _, files := range []map[string]string{
		{"a/x": "x", "a/y": "y", "b/z": "z"},
		{"a/.wh.x": "", "b/.wh..wh..opq": "", "b/new": "new"},
	} {
		data := layer(files)
		l, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil })
		require.NoError(t, err)
		img, err = mutate.AppendLayers(img, l)
		require.NoError(t, err)
	}
	root := Unpack(t, img)
	require.FileExists(t, filepath.Join(root, "a", "y"))
	require.NoFileExists(t, filepath.Join(root, "a", "x"))
	require.NoFileExists(t, filepath.Join(root, "a", ".wh.x"))
	require.NoFileExists(t, filepath.Join(root, "b", "z"))
	require.FileExists(t, filepath.Join(root, "b", "new"))
	require.NoFileExists(t, filepath.Join(root, "b", ".wh..wh..opq"))
}
