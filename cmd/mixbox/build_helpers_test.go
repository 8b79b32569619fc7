package main

import (
	"archive/tar"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/stretchr/testify/require"

	"github.com/mixbox/mixbox/internal/testutil"
)

// busyboxBase writes the busybox-only base image of scripts/busybox-base.sh
// (what make hello-image builds on) as an OCI layout and returns its path.
func busyboxBase(t *testing.T) string {
	t.Helper()
	if _, err := os.Stat("/bin/busybox"); err != nil {
		t.Skip("the image tests need Debian's busybox-static (/bin/busybox): run make deps")
	}
	out := filepath.Join(t.TempDir(), "busybox")
	cmd := exec.Command(filepath.Join(testutil.ModuleRoot(t), "scripts", "busybox-base.sh"), out)
	msg, err := cmd.CombinedOutput()
	require.NoError(t, err, "scripts/busybox-base.sh: %s", msg)
	return out
}

// layoutImage returns the image of an OCI layout with one image in it, or
// the image for platform (os/arch) of a layout holding an index.
func layoutImage(t *testing.T, dir, platform string) v1.Image {
	t.Helper()
	idx, err := layout.ImageIndexFromPath(dir)
	require.NoError(t, err)
	m, err := idx.IndexManifest()
	require.NoError(t, err)
	require.Len(t, m.Manifests, 1, "the layout %s holds one image or one index", dir)
	d := m.Manifests[0]
	if d.MediaType.IsImage() {
		img, err := idx.Image(d.Digest)
		require.NoError(t, err)
		return img
	}
	inner, err := idx.ImageIndex(d.Digest)
	require.NoError(t, err)
	im, err := inner.IndexManifest()
	require.NoError(t, err)
	for _, d := range im.Manifests {
		if d.Platform != nil && d.Platform.OS+"/"+d.Platform.Architecture == platform {
			img, err := inner.Image(d.Digest)
			require.NoError(t, err)
			return img
		}
	}
	t.Fatalf("the index in %s has no image for %s", dir, platform)
	return nil
}

// unpack writes the image's file system into a new directory, as a
// container runtime does: layers in order, whiteouts honoured (ggcr's
// mutate.Extract flattens them), modes, owners and times kept.
func unpack(t *testing.T, img v1.Image) string {
	t.Helper()
	root := t.TempDir()
	rc := mutate.Extract(img)
	defer func() { _ = rc.Close() }() // read only
	tr := tar.NewReader(rc)
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		require.NoError(t, err)
		name := filepath.Clean(hdr.Name)
		require.False(t, strings.HasPrefix(name, ".."), "layer entry %q leaves the root", hdr.Name)
		p := filepath.Join(root, name)
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		mode := os.FileMode(hdr.Mode & 0o777)
		if hdr.Mode&0o1000 != 0 {
			mode |= os.ModeSticky
		}
		switch hdr.Typeflag {
		case tar.TypeDir:
			require.NoError(t, os.MkdirAll(p, mode))
			require.NoError(t, os.Chmod(p, mode))
		case tar.TypeReg:
			f, err := os.OpenFile(p, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, mode)
			require.NoError(t, err)
			_, err = io.Copy(f, tr)
			require.NoError(t, err)
			require.NoError(t, f.Close())
			require.NoError(t, os.Chmod(p, mode))
		case tar.TypeSymlink:
			_ = os.Remove(p)
			require.NoError(t, os.Symlink(hdr.Linkname, p))
		case tar.TypeLink:
			_ = os.Remove(p)
			require.NoError(t, os.Link(filepath.Join(root, filepath.Clean(hdr.Linkname)), p))
		default:
			continue // devices and fifos: a container runtime provides /dev
		}
		_ = os.Lchown(p, hdr.Uid, hdr.Gid) // root in CI; elsewhere the owner is ours
		if hdr.Typeflag != tar.TypeSymlink {
			require.NoError(t, os.Chtimes(p, hdr.ModTime, hdr.ModTime))
		}
	}
	return root
}

// runImage runs the image unpacked at root the way a container runtime does:
// in the config's working directory, as user ("" for root), with the
// config's environment plus env, running the entrypoint.
func runImage(t *testing.T, root string, cfg *v1.ConfigFile, user string, env []string) (int, string, string) {
	t.Helper()
	argv := append(append([]string{}, cfg.Config.Entrypoint...), cfg.Config.Cmd...)
	return chrootRun(t, root, user, cfg.Config.WorkingDir, append(append([]string{}, cfg.Config.Env...), env...), argv...)
}

// chrootRun runs argv in new mount and pid namespaces, chroot'ed into root
// with /dev and /proc mounted and nothing else of the host, in dir, as user
// ("" for root), with exactly env. The root's own /bin/sh changes to dir.
func chrootRun(t *testing.T, root, user, dir string, env []string, argv ...string) (int, string, string) {
	t.Helper()
	requireChroot(t)
	unshare, _ := lookTool("unshare")
	chroot, _ := lookTool("chroot")
	mount, _ := lookTool("mount")
	userspec := ""
	if user != "" {
		userspec = "--userspec=" + user
	}
	script := `set -e
R="$1"; shift
mkdir -p "$R/dev" "$R/proc"
` + mount + ` --bind /dev "$R/dev"
` + mount + ` -t proc proc "$R/proc"
exec ` + chroot + ` ` + userspec + ` "$R" "$@"
`
	if dir == "" {
		dir = "/"
	}
	inner := append([]string{"/bin/sh", "-c", `cd "$1" && shift && exec "$@"`, "sh", dir}, argv...)
	cmd := exec.Command(unshare, append([]string{"--mount", "--pid", "--fork", "--propagation", "private", "/bin/sh", "-c", script, "sh", root}, inner...)...)
	cmd.Env = append([]string{}, env...) // exactly env, never the test's
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else {
		require.NoError(t, err)
	}
	return code, stdout.String(), stderr.String()
}

// cacheState is the precompiled cache of an unpacked image: each file's
// size and modification time, by path.
func cacheState(t *testing.T, root string) map[string]string {
	t.Helper()
	dir := filepath.Join(root, "cnab", ".mixbox", "cache")
	out := map[string]string{}
	require.NoError(t, filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err != nil || fi.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		out[rel] = fmt.Sprintf("%d bytes, modified %s", fi.Size(), fi.ModTime().UTC().Format(time.RFC3339))
		return nil
	}))
	return out
}

// fakeELF writes the 64-byte header of a little-endian ELF64 executable for
// machine: enough for debug/elf, not to run.
func fakeELF(t *testing.T, machine uint16) string {
	t.Helper()
	h := make([]byte, 64)
	copy(h, "\x7fELF")
	h[4], h[5], h[6] = 2, 1, 1               // ELFCLASS64, little-endian, version 1
	binary.LittleEndian.PutUint16(h[16:], 2) // ET_EXEC
	binary.LittleEndian.PutUint16(h[18:], machine)
	binary.LittleEndian.PutUint32(h[20:], 1)
	binary.LittleEndian.PutUint16(h[52:], 64) // e_ehsize
	p := filepath.Join(t.TempDir(), "fake-elf")
	require.NoError(t, os.WriteFile(p, h, 0o755))
	return p
}
