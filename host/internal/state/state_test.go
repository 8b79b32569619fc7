package state

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/mixbox/mixbox/internal/testutil"
)

func TestPack_roundTrip(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	a := filepath.Join(dir, "a.txt")
	require.NoError(t, os.WriteFile(a, []byte("magic is real\n"), 0o644))
	vars := []Var{{Name: "a", Path: a}, {Name: "missing", Path: filepath.Join(dir, "nope")}}
	bagPath := filepath.Join(dir, "outputs", "porter-state")
	require.NoError(t, Pack(bagPath, dir, vars))

	bag, err := os.ReadFile(bagPath)
	require.NoError(t, err)
	got, err := Entries(bag)
	require.NoError(t, err)
	require.Equal(t, map[string][]byte{"porter-state/a": []byte("magic is real\n")}, got)
	left, err := filepath.Glob(filepath.Join(dir, "outputs", "*"))
	require.NoError(t, err)
	require.Equal(t, []string{bagPath}, left, "no temporary file is left")

	// Unpack into a new place, through the base64 form cnab-go delivers.
	dst := filepath.Join(dir, "new", "deep", "a.txt")
	raw, err := Decode([]byte(base64.StdEncoding.EncodeToString(bag)))
	require.NoError(t, err)
	names, err := Unpack(bytes.NewReader(raw), dir, []Var{{Name: "a", Path: dst}})
	require.NoError(t, err)
	require.Equal(t, []string{"a"}, names)
	data, err := os.ReadFile(dst)
	require.NoError(t, err)
	require.Equal(t, "magic is real\n", string(data))
}

func TestPack_empty(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	p := filepath.Join(dir, "porter-state")
	require.NoError(t, Pack(p, dir, nil))
	bag, err := os.ReadFile(p)
	require.NoError(t, err)
	got, err := Entries(bag)
	require.NoError(t, err)
	require.Empty(t, got)
}

func TestDecode(t *testing.T) {
	t.Parallel()
	bag := makeBag(t, map[string]string{"a": "x"})
	b64 := base64.StdEncoding.EncodeToString(bag)
	tests := []struct {
		name    string
		in      string
		wantNil bool
		wantErr error
	}{
		{"null", "null", true, nil},
		{"empty", "", true, nil},
		{"null with newline", "null\n", true, nil},
		{"spaces", "  \n", true, nil},
		{"base64 of null", base64.StdEncoding.EncodeToString([]byte("null")), true, nil},
		{"raw tar.gz", string(bag), false, nil},
		{"base64", b64, false, nil},
		{"base64 in lines", b64[:10] + "\n" + b64[10:] + "\n", false, nil},
		{"garbage", "!!not base64!!", false, ErrCorrupt},
		{"base64 of something else", base64.StdEncoding.EncodeToString([]byte("hello there")), false, ErrCorrupt},
		{"nullx", "nullx", false, ErrCorrupt},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := Decode([]byte(tc.in))
			if tc.wantErr != nil {
				require.ErrorIs(t, err, tc.wantErr)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.wantNil, got == nil)
			if !tc.wantNil {
				require.Equal(t, bag, got)
			}
		})
	}
}

func TestOpen(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	bag := makeBag(t, map[string]string{"a": "x"})
	p := filepath.Join(root, "porter", "state.tgz")
	_, err := Open(root, p)
	require.ErrorIs(t, err, os.ErrNotExist)
	require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
	require.NoError(t, os.WriteFile(p, []byte(base64.StdEncoding.EncodeToString(bag)), 0o644))
	r, err := Open(root, p)
	require.NoError(t, err)
	got, err := io.ReadAll(r)
	require.NoError(t, err)
	require.NoError(t, r.Close())
	require.Equal(t, bag, got)

	require.NoError(t, os.WriteFile(p, []byte("null"), 0o644))
	r, err = Open(root, p)
	require.NoError(t, err)
	require.Nil(t, r)

	require.NoError(t, os.Remove(p))
	require.NoError(t, syscall.Mkfifo(p, 0o644))
	_, err = Open(root, p)
	require.ErrorContains(t, err, "not a regular file", "a FIFO is refused, not waited on")
}

func TestUnpack_fixture(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile(testutil.PorterCompatFile(t, "state-upgrade", "files", "porter", "state.tgz"))
	require.NoError(t, err)
	bag, err := Decode(data)
	require.NoError(t, err)
	dir := t.TempDir()
	dst := filepath.Join(dir, "some_state")
	names, err := Unpack(bytes.NewReader(bag), dir, []Var{{Name: "some_state", Path: dst}})
	require.NoError(t, err)
	require.Equal(t, []string{"some_state"}, names)
}

// TestUnpack_confined: a state path that leads out of the root through a
// symbolic link fails with ErrOutside and writes nothing outside; a link at
// the file's own path is replaced, not followed; entries that are links,
// that climb out with .., or that are absolute are skipped.
func TestUnpack_confined(t *testing.T) {
	t.Parallel()
	top := t.TempDir()
	root := filepath.Join(top, "root")
	outside := filepath.Join(top, "outside")
	require.NoError(t, os.MkdirAll(filepath.Join(root, "app"), 0o755))
	require.NoError(t, os.MkdirAll(outside, 0o755))
	require.NoError(t, os.Symlink(outside, filepath.Join(root, "app", "abs")))
	require.NoError(t, os.Symlink("../../outside", filepath.Join(root, "app", "rel")))
	require.NoError(t, os.Symlink(filepath.Join(outside, "target"), filepath.Join(root, "app", "file-link")))
	bag := makeBag(t, map[string]string{"k": "from-the-bag"})

	for _, dir := range []string{"abs", "rel"} {
		_, err := Unpack(bytes.NewReader(bag), root, []Var{{Name: "k", Path: filepath.Join(root, "app", dir, "k")}})
		require.ErrorIs(t, err, ErrOutside, dir)
		require.ErrorContains(t, err, "unpack state k to /app/"+dir+"/k")
	}
	_, err := Unpack(bytes.NewReader(bag), root, []Var{{Name: "k", Path: filepath.Join(root, "app", "file-link")}})
	require.NoError(t, err)
	fi, err := os.Lstat(filepath.Join(root, "app", "file-link"))
	require.NoError(t, err)
	require.True(t, fi.Mode().IsRegular(), "the link itself was replaced")
	entries, err := os.ReadDir(outside)
	require.NoError(t, err)
	require.Empty(t, entries, "nothing was written outside the root")

	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	for _, h := range []*tar.Header{
		{Name: "porter-state/../../escape", Typeflag: tar.TypeReg, Size: 1, Mode: 0o644},
		{Name: "/porter-state/abs", Typeflag: tar.TypeReg, Size: 1, Mode: 0o644},
		{Name: "porter-state/link", Typeflag: tar.TypeSymlink, Linkname: outside},
	} {
		require.NoError(t, tw.WriteHeader(h))
		if h.Size > 0 {
			_, err := tw.Write([]byte("x"))
			require.NoError(t, err)
		}
	}
	require.NoError(t, tw.Close())
	require.NoError(t, zw.Close())
	vars := []Var{{Name: "../../escape", Path: filepath.Join(root, "a")}, {Name: "abs", Path: filepath.Join(root, "b")}, {Name: "link", Path: filepath.Join(root, "c")}}
	names, err := Unpack(&buf, root, vars)
	require.NoError(t, err)
	require.Empty(t, names)
}

// TestPack_confined: a state path that leads out of the root is not read
// into the bag.
func TestPack_confined(t *testing.T) {
	t.Parallel()
	top := t.TempDir()
	root := filepath.Join(top, "root")
	require.NoError(t, os.MkdirAll(root, 0o755))
	secret := filepath.Join(top, "secret")
	require.NoError(t, os.WriteFile(secret, []byte("outside-secret"), 0o644))
	require.NoError(t, os.Symlink(secret, filepath.Join(root, "k")))
	err := Pack(filepath.Join(root, "outputs", "porter-state"), root, []Var{{Name: "k", Path: filepath.Join(root, "k")}})
	require.ErrorIs(t, err, ErrOutside)
	require.NoFileExists(t, filepath.Join(root, "outputs", "porter-state"))
}

// TestUnpack_limits: an entry over the file limit and a bag over the
// unpacked limit fail loudly, naming the limit; nothing is cut short.
func TestUnpack_limits(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	vars := []Var{{Name: "big", Path: filepath.Join(root, "big")}, {Name: "small", Path: filepath.Join(root, "small")}}
	bag := makeBag(t, map[string]string{"big": strings.Repeat("x", 1000)})
	_, err := unpack(bytes.NewReader(bag), root, vars, 999, 1<<20)
	require.ErrorIs(t, err, ErrLimit)
	require.ErrorContains(t, err, "unpack state big: state over its limit: the entry is 1000 bytes, over the 999 bytes limit of one state file")
	require.NoFileExists(t, filepath.Join(root, "big"))

	bag = makeBag(t, map[string]string{"other": strings.Repeat("x", 5000), "small": "x"})
	_, err = unpack(bytes.NewReader(bag), root, vars, 1<<20, 4096)
	require.ErrorIs(t, err, ErrLimit)
	require.ErrorContains(t, err, "the bag unpacks to more than 4096 bytes, the limit of a state bag")

	// The header alone of an entry over MaxFile is enough to refuse it.
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	require.NoError(t, tw.WriteHeader(&tar.Header{Name: "porter-state/big", Typeflag: tar.TypeReg, Size: MaxFile + 1, Mode: 0o644}))
	require.NoError(t, zw.Close()) // the header is written; its data never is
	_, err = Unpack(&buf, root, vars)
	require.ErrorIs(t, err, ErrLimit)
	require.ErrorContains(t, err, "over the 1 GiB limit of one state file")
}

// makeBag is a tar.gz of porter-state/NAME entries.
func makeBag(t testing.TB, entries map[string]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	for name, body := range entries {
		require.NoError(t, tw.WriteHeader(&tar.Header{Name: Prefix + name, Mode: 0o644, Size: int64(len(body)), Typeflag: tar.TypeReg}))
		_, err := io.WriteString(tw, body)
		require.NoError(t, err)
	}
	require.NoError(t, tw.Close())
	require.NoError(t, zw.Close())
	return buf.Bytes()
}
