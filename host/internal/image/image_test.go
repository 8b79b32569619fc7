package image

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"debug/elf"
	"encoding/binary"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/mixbox/mixbox/host/internal/errkind"
	"github.com/mixbox/mixbox/host/internal/manifest"
)

func TestParsePlatform(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		want    Platform
		wantErr bool
	}{
		{"linux/amd64", Platform{OS: "linux", Arch: "amd64"}, false},
		{"linux/arm64/v8", Platform{OS: "linux", Arch: "arm64"}, false},
		{" linux/arm64 ", Platform{OS: "linux", Arch: "arm64"}, false},
		{"linux/arm", Platform{OS: "linux", Arch: "arm", Variant: "v7"}, false},
		{"linux/arm/v6", Platform{OS: "linux", Arch: "arm", Variant: "v6"}, false},
		{"linux/arm/v9", Platform{}, true},
		{"linux/amd65", Platform{}, true},
		{"windows/amd64", Platform{}, true},
		{"amd64", Platform{}, true},
		{"linux/", Platform{}, true},
		{"linux/amd64/v2/x", Platform{}, true},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, err := ParsePlatform(tc.in)
			if tc.wantErr {
				require.ErrorIs(t, err, ErrInput)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.want, got)
		})
	}
}

func TestMatches(t *testing.T) {
	t.Parallel()
	arm64 := Platform{OS: "linux", Arch: "arm64"}
	require.True(t, matches(Platform{OS: "linux", Arch: "arm64", Variant: "v8"}, arm64))
	require.True(t, matches(Platform{OS: "linux", Arch: "arm"}, Platform{OS: "linux", Arch: "arm", Variant: "v7"}))
	require.False(t, matches(Platform{OS: "linux", Arch: "arm", Variant: "v6"}, Platform{OS: "linux", Arch: "arm", Variant: "v7"}))
	require.False(t, matches(Platform{OS: "linux", Arch: "amd64"}, arm64))
	require.False(t, matches(Platform{OS: "unknown", Arch: "unknown"}, arm64))
}

// TestWriteLayer: the same files give the same bytes, whatever their times
// and owners on disk; entries are sorted, owned by root, at the epoch, with
// parents.
func TestWriteLayer(t *testing.T) {
	t.Parallel()
	src := filepath.Join(t.TempDir(), "helpers.sh")
	require.NoError(t, os.WriteFile(src, []byte("#!/bin/sh\n"), 0o755))
	fs := files{}
	fs.add(entry{name: "/cnab/app/run", mode: 0o755, data: []byte(Run)})
	fs.add(entry{name: "cnab/app/helpers.sh", mode: 0o755, src: src})
	fs.add(entry{name: "cnab/app/link", mode: 0o777, link: "helpers.sh"})
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.tar.gz"), filepath.Join(dir, "b.tar.gz")
	require.NoError(t, writeLayer(fs, a))
	require.NoError(t, os.Chtimes(src, epoch().AddDate(30, 0, 0), epoch().AddDate(30, 0, 0)))
	require.NoError(t, writeLayer(fs, b))
	da, err := os.ReadFile(a)
	require.NoError(t, err)
	db, err := os.ReadFile(b)
	require.NoError(t, err)
	require.Equal(t, da, db, "the same files gave different layers")

	zr, err := gzip.NewReader(bytes.NewReader(da))
	require.NoError(t, err)
	tr := tar.NewReader(zr)
	var names []string
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		require.NoError(t, err)
		names = append(names, hdr.Name)
		require.Equal(t, 0, hdr.Uid, hdr.Name)
		require.Equal(t, 0, hdr.Gid, hdr.Name)
		require.Empty(t, hdr.Uname, hdr.Name)
		require.True(t, hdr.ModTime.Equal(epoch()), "%s: %s", hdr.Name, hdr.ModTime)
	}
	require.Equal(t, []string{"cnab/", "cnab/app/", "cnab/app/helpers.sh", "cnab/app/link", "cnab/app/run"}, names)
}

// fakeELF writes an ELF64 header for machine, with a PT_INTERP program
// header when dynamic.
func fakeELF(t *testing.T, machine elf.Machine, dynamic bool) string {
	t.Helper()
	h := make([]byte, 64+56)
	copy(h, elf.ELFMAG)
	h[4], h[5], h[6] = byte(elf.ELFCLASS64), byte(elf.ELFDATA2LSB), byte(elf.EV_CURRENT)
	binary.LittleEndian.PutUint16(h[16:], uint16(elf.ET_EXEC))
	binary.LittleEndian.PutUint16(h[18:], uint16(machine))
	binary.LittleEndian.PutUint32(h[20:], uint32(elf.EV_CURRENT))
	binary.LittleEndian.PutUint16(h[52:], 64) // e_ehsize
	if dynamic {
		binary.LittleEndian.PutUint64(h[32:], 64) // e_phoff
		binary.LittleEndian.PutUint16(h[54:], 56) // e_phentsize
		binary.LittleEndian.PutUint16(h[56:], 1)  // e_phnum
		binary.LittleEndian.PutUint32(h[64:], uint32(elf.PT_INTERP))
	}
	p := filepath.Join(t.TempDir(), "elf")
	require.NoError(t, os.WriteFile(p, h, 0o755))
	return p
}

func TestCheckExecutable(t *testing.T) {
	t.Parallel()
	amd64 := Platform{OS: "linux", Arch: "amd64"}
	script := filepath.Join(t.TempDir(), "run.sh")
	require.NoError(t, os.WriteFile(script, []byte("#!/bin/sh\n"), 0o755))
	text := filepath.Join(t.TempDir(), "notes.txt")
	require.NoError(t, os.WriteFile(text, []byte("not a program"), 0o644))
	tests := []struct {
		name    string
		path    string
		want    executable
		wantErr bool
	}{
		{"a script runs anywhere", script, executable{script: true}, false},
		{"static x86-64", fakeELF(t, elf.EM_X86_64, false), executable{static: true, arch: "amd64"}, false},
		{"dynamic x86-64", fakeELF(t, elf.EM_X86_64, true), executable{arch: "amd64"}, false},
		{"aarch64 is not for amd64", fakeELF(t, elf.EM_AARCH64, false), executable{}, true},
		{"not a program", text, executable{}, true},
		{"missing", filepath.Join(t.TempDir(), "nope"), executable{}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := checkExecutable(tc.path, amd64, tc.path)
			if tc.wantErr {
				require.Error(t, err)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.want, got)
		})
	}
	_, err := checkRuntime(fakeELF(t, elf.EM_X86_64, true), amd64, "--runtime")
	require.ErrorIs(t, err, ErrInput)
	require.Contains(t, err.Error(), "dynamically linked")
	_, err = checkRuntime(fakeELF(t, elf.EM_X86_64, false), amd64, "--runtime")
	require.ErrorIs(t, err, ErrInput)
	require.Contains(t, err.Error(), "not a Go binary")
	require.Contains(t, errkind.Hint(err), "make build-all")
}

func TestPrepareOutput(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	layoutDir := filepath.Join(dir, "old")
	require.NoError(t, os.MkdirAll(layoutDir, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(layoutDir, "oci-layout"), []byte("{}"), 0o644))
	other := filepath.Join(dir, "other")
	require.NoError(t, os.MkdirAll(other, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(other, "keep.txt"), nil, 0o644))
	aFile := filepath.Join(dir, "file")
	require.NoError(t, os.WriteFile(aFile, nil, 0o644))
	tests := []struct {
		name      string
		spec      string
		platforms int
		wantErr   error // nil: ok; ErrInput, or errAny for a write failure
	}{
		{"new layout", "oci:" + filepath.Join(dir, "new"), 1, nil},
		{"an earlier layout is replaced", "oci:" + layoutDir, 1, nil},
		{"an empty directory is replaced", "oci:" + t.TempDir(), 1, nil},
		{"a tarball", "tar:" + filepath.Join(dir, "x.tar"), 1, nil},
		{"a directory with other files", "oci:" + other, 1, ErrInput},
		{"a tarball over a directory", "tar:" + other, 1, ErrInput},
		{"a tarball of two platforms", "tar:" + filepath.Join(dir, "y.tar"), 2, ErrInput},
		{"no scheme", filepath.Join(dir, "z"), 1, ErrInput},
		{"an unknown scheme", "docker:x", 1, ErrInput},
		{"a parent that is a file", "oci:" + filepath.Join(aFile, "x"), 1, errAny},
		{"a missing parent", "oci:" + filepath.Join(dir, "no", "such", "dir"), 1, errAny},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o, err := prepareOutput(tc.spec, tc.platforms)
			switch {
			case tc.wantErr == errAny:
				require.Error(t, err)
				require.NotErrorIs(t, err, ErrInput)
				return
			case tc.wantErr != nil:
				require.ErrorIs(t, err, tc.wantErr)
				return
			}
			require.NoError(t, err)
			staging := o.staging
			require.Equal(t, filepath.Dir(o.dest), filepath.Dir(staging), "the temporary copy is a sibling of the destination")
			_, err = os.Stat(staging)
			require.NoError(t, err)
			o.abort()
			_, err = os.Stat(staging)
			require.ErrorIs(t, err, os.ErrNotExist, "abort left the temporary copy")
		})
	}
	require.FileExists(t, filepath.Join(other, "keep.txt"), "a refused -o touched the directory")
}

// errAny marks a case that fails for a reason other than ErrInput.
var errAny = errors.New("any error")

func TestResolveMixins(t *testing.T) {
	t.Parallel()
	amd64 := Platform{OS: "linux", Arch: "amd64"}
	arm64 := Platform{OS: "linux", Arch: "arm64"}
	wasm := []byte("\x00asm\x01\x00\x00\x00")
	script := []byte("#!/bin/sh\n")
	tests := []struct {
		name     string
		files    map[string][]byte // under mixins/ (installed) or bundle/mixins/
		platform Platform
		want     mixin // foo's
		wantErr  string
	}{
		{"installed wasm", map[string][]byte{"mixins/foo/runtimes/foo-runtime.wasm": wasm}, amd64,
			mixin{form: "wasm", src: "mixins/foo/runtimes/foo-runtime.wasm", image: "/cnab/app/mixins/foo/runtimes/foo-runtime.wasm"}, ""},
		{"wasm in the bundle is not copied twice", map[string][]byte{"bundle/mixins/foo/runtimes/foo-runtime.wasm": wasm}, arm64,
			mixin{form: "wasm", image: "/cnab/app/mixins/foo/runtimes/foo-runtime.wasm"}, ""},
		{"wasm wins over native", map[string][]byte{"mixins/foo/runtimes/foo-runtime.wasm": wasm, "mixins/foo/runtimes/foo-runtime": script}, amd64,
			mixin{form: "wasm", src: "mixins/foo/runtimes/foo-runtime.wasm", image: "/cnab/app/mixins/foo/runtimes/foo-runtime.wasm"}, ""},
		{"a native script runs anywhere", map[string][]byte{"mixins/foo/runtimes/foo-runtime": script}, arm64,
			mixin{form: "native", src: "mixins/foo/runtimes/foo-runtime", image: "/cnab/app/mixins/foo/runtimes/foo-runtime"}, ""},
		{"a native build per platform", map[string][]byte{"bundle/mixins/foo/runtimes/foo-runtime-linux-arm64": script}, arm64,
			mixin{form: "native", src: "bundle/mixins/foo/runtimes/foo-runtime-linux-arm64", image: "/cnab/app/mixins/foo/runtimes/foo-runtime"}, ""},
		{"not a wasm module", map[string][]byte{"mixins/foo/runtimes/foo-runtime.wasm": script}, amd64, mixin{}, "is not a wasm module"},
		{"nowhere", nil, amd64, mixin{}, "mixin foo has no build for linux/amd64: looked in"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			for name, body := range tc.files {
				p := filepath.Join(dir, name)
				require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
				require.NoError(t, os.WriteFile(p, body, 0o755))
			}
			b := &builder{
				opts: Options{Dir: filepath.Join(dir, "bundle"), MixinsDir: filepath.Join(dir, "mixins"), BuiltIns: []string{"exec"}},
				m:    &manifest.Manifest{Mixins: []manifest.MixinDecl{{Name: "exec"}, {Name: "foo"}}},
			}
			got, err := b.resolveMixins(tc.platform)
			if tc.wantErr != "" {
				require.ErrorContains(t, err, tc.wantErr)
				require.NotErrorIs(t, err, ErrInput, "a missing mixin is a failed build step, not bad flags")
				return
			}
			require.NoError(t, err)
			require.Len(t, got, 2)
			require.Equal(t, "built-in", got[0].form, "exec is built into mixbox")
			foo := got[1]
			if tc.want.src != "" {
				tc.want.src = filepath.Join(dir, tc.want.src)
			}
			require.Equal(t, tc.want.form, foo.form)
			require.Equal(t, tc.want.src, foo.src)
			require.Equal(t, tc.want.image, foo.image)
		})
	}
}
