package state

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/mixbox/mixbox/internal/testutil"
)

// FuzzUnpack: whatever a state bag holds, Unpack never panics, writes only
// the files of its variables, each whole or over a limit that fails the
// call, and nothing outside its root. The input is a tar.gz, or a tar the
// harness compresses (so that the fuzzer works on the tar format itself).
func FuzzUnpack(f *testing.F) {
	tarOf := func(hdrs ...*tar.Header) []byte {
		var buf bytes.Buffer
		tw := tar.NewWriter(&buf)
		for _, h := range hdrs {
			_ = tw.WriteHeader(h)
			if h.Typeflag == tar.TypeReg {
				_, _ = tw.Write(bytes.Repeat([]byte("s"), int(h.Size)))
			}
		}
		_ = tw.Close()
		return buf.Bytes()
	}
	f.Add(makeBag(f, map[string]string{"a": "one", "b": "two"}))
	f.Add(tarOf(&tar.Header{Name: "porter-state/a", Typeflag: tar.TypeReg, Size: 3, Mode: 0o644}))
	f.Add(tarOf(&tar.Header{Name: "porter-state/../a", Typeflag: tar.TypeReg, Size: 3, Mode: 0o644}))
	f.Add(tarOf(&tar.Header{Name: "/porter-state/a", Typeflag: tar.TypeReg, Size: 3, Mode: 0o644}))
	f.Add(tarOf(&tar.Header{Name: "porter-state/a", Typeflag: tar.TypeSymlink, Linkname: "/etc/passwd"}))
	f.Add(tarOf(&tar.Header{Name: "porter-state/a", Typeflag: tar.TypeLink, Linkname: "porter-state/b"}))
	f.Add(tarOf(&tar.Header{Name: "porter-state/big", Typeflag: tar.TypeReg, Size: 5000, Mode: 0o644}))
	f.Add([]byte{0x1f, 0x8b})
	fixture, err := os.ReadFile(testutil.PorterCompatFile(f, "state-upgrade", "files", "porter", "state.tgz"))
	require.NoError(f, err)
	f.Add(fixture)
	top := f.TempDir()
	root := filepath.Join(top, "root")
	outside := filepath.Join(top, "outside")
	app := filepath.Join(root, "app")
	require.NoError(f, os.MkdirAll(app, 0o755))
	require.NoError(f, os.MkdirAll(outside, 0o755))
	require.NoError(f, os.Symlink(outside, filepath.Join(app, "out")))
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, name := range []string{"a", "sub", "big"} {
			require.NoError(t, os.RemoveAll(filepath.Join(app, name)))
		}
		if !bytes.HasPrefix(data, []byte{0x1f, 0x8b}) {
			buf.Reset()
			zw.Reset(&buf)
			_, _ = zw.Write(data)
			_ = zw.Close()
			data = buf.Bytes()
		}
		vars := []Var{
			{Name: "a", Path: filepath.Join(root, "app", "a")},
			{Name: "b", Path: filepath.Join(root, "app", "sub", "b")},
			{Name: "big", Path: filepath.Join(root, "app", "big")},
			{Name: "o", Path: filepath.Join(root, "app", "out", "o")},
		}
		names, _ := unpack(bytes.NewReader(data), root, vars, 4096, 1<<16) // most inputs are corrupt
		for _, n := range names {
			require.True(t, slices.ContainsFunc(vars, func(v Var) bool { return v.Name == n }), "wrote %q, no variable's name", n)
		}
		left, rerr := os.ReadDir(app)
		require.NoError(t, rerr)
		for _, e := range left {
			require.Contains(t, []string{"a", "sub", "big", "out"}, e.Name(), "a temporary file was left")
		}
		entries, rerr := os.ReadDir(outside)
		require.NoError(t, rerr)
		require.Empty(t, entries, "wrote outside the root")
		for _, v := range vars {
			if fi, serr := os.Stat(v.Path); serr == nil && fi.Mode().IsRegular() {
				require.LessOrEqual(t, fi.Size(), int64(4096), "%s over the file limit", v.Name)
			}
		}
	})
}
