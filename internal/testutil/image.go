package testutil

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/stretchr/testify/require"
)

// RequireChroot skips unless this process may unshare a mount namespace and
// chroot (root, or CI's machine).
func RequireChroot(t testing.TB) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("the chroot tests need root (CI runs as root)")
	}
	for _, tool := range []string{"unshare", "chroot", "mount"} {
		if _, err := LookTool(tool); err != nil {
			t.Skipf("the chroot tests need %s: %v", tool, err)
		}
	}
}

// LookTool finds a system tool on the PATH or in the sbin and bin
// directories.
func LookTool(name string) (string, error) {
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	for _, dir := range []string{"/usr/sbin", "/sbin", "/usr/bin", "/bin"} {
		p := filepath.Join(dir, name)
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("%s not found", name)
}

// BusyboxBase writes the busybox-only base image of scripts/busybox-base.sh
// (what make hello-image builds on) as an OCI layout and returns its path.
func BusyboxBase(t testing.TB) string {
	t.Helper()
	if _, err := os.Stat("/bin/busybox"); err != nil {
		t.Skip("the image tests need Debian's busybox-static (/bin/busybox): run make deps")
	}
	out := filepath.Join(t.TempDir(), "busybox")
	cmd := exec.Command(filepath.Join(ModuleRoot(t), "scripts", "busybox-base.sh"), out)
	msg, err := cmd.CombinedOutput()
	require.NoError(t, err, "scripts/busybox-base.sh: %s", msg)
	return out
}

// LayoutImage returns the image of an OCI layout with one image in it, or
// the image for platform (os/arch) of a layout holding an index.
func LayoutImage(t testing.TB, dir, platform string) v1.Image {
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

// Unpack writes the image's file system into a new directory, as a
// container runtime does: each layer in order, its whiteouts first (a
// .wh.NAME file deletes NAME of the layers below, .wh..wh..opq empties its
// directory), then its files with GNU tar, modes, owners and times kept.
// tar, not Go, decompresses: under the race detector that is ten times
// faster.
func Unpack(t testing.TB, img v1.Image) string {
	t.Helper()
	root := t.TempDir()
	layers, err := img.Layers()
	require.NoError(t, err)
	blob := filepath.Join(t.TempDir(), "layer")
	for _, l := range layers {
		rc, err := l.Compressed()
		require.NoError(t, err)
		f, err := os.Create(blob)
		require.NoError(t, err)
		_, err = io.Copy(f, rc)
		require.NoError(t, err)
		require.NoError(t, errors.Join(f.Close(), rc.Close()))
		list, err := exec.Command("tar", "-tf", blob).Output()
		require.NoError(t, err, "tar -tf a layer")
		for _, name := range strings.Split(strings.TrimSpace(string(list)), "\n") {
			name = filepath.Clean(name)
			require.False(t, name == ".." || strings.HasPrefix(name, "../") || filepath.IsAbs(name), "layer entry %q leaves the root", name)
			dir, base := filepath.Split(name)
			switch {
			case base == ".wh..wh..opq":
				entries, _ := os.ReadDir(filepath.Join(root, dir))
				for _, e := range entries {
					require.NoError(t, os.RemoveAll(filepath.Join(root, dir, e.Name())))
				}
			case strings.HasPrefix(base, ".wh."):
				require.NoError(t, os.RemoveAll(filepath.Join(root, dir, strings.TrimPrefix(base, ".wh."))))
			}
		}
		out, err := exec.Command("tar", "-xf", blob, "-C", root, "--numeric-owner", "--same-permissions",
			"--exclude=.wh.*", "--exclude=*/.wh.*").CombinedOutput()
		require.NoError(t, err, "tar -xf a layer: %s", out)
	}
	return root
}

// CopyRoot copies an unpacked image to a new directory, keeping modes,
// owners and times (cp -a): cheaper than unpacking it again.
func CopyRoot(t testing.TB, src string) string {
	t.Helper()
	dst := t.TempDir()
	out, err := exec.Command("cp", "-a", src+"/.", dst).CombinedOutput()
	require.NoError(t, err, "cp -a %s %s: %s", src, dst, out)
	return dst
}

// RunImage runs the image unpacked at root the way a container runtime does:
// in the config's working directory, as user ("" for root), with the
// config's environment plus env, running the entrypoint.
func RunImage(t testing.TB, root string, cfg *v1.ConfigFile, user string, env []string) (int, string, string) {
	t.Helper()
	c := Container{Root: root, User: user, Dir: cfg.Config.WorkingDir, Env: append(append([]string{}, cfg.Config.Env...), env...)}
	return c.Run(t, append(append([]string{}, cfg.Config.Entrypoint...), cfg.Config.Cmd...)...)
}

// Container is a process run the way a container runtime runs one: in new
// mount and pid namespaces, chroot'ed into Root with /dev, /proc and Mounts
// mounted and nothing else of the host.
type Container struct {
	Root string
	// User is uid:gid; "" runs as root.
	User string
	// Dir is the working directory; "" is /. The root's /bin/sh changes to it.
	Dir string
	// Env is the whole environment.
	Env []string
	// Mounts bind-mounts host directories (values) at paths in the root (keys).
	Mounts map[string]string
}

// Run runs argv in c and returns its exit code, stdout and stderr.
func (c Container) Run(t testing.TB, argv ...string) (int, string, string) {
	t.Helper()
	RequireChroot(t)
	unshare, _ := LookTool("unshare")
	chroot, _ := LookTool("chroot")
	mount, _ := LookTool("mount")
	userspec := ""
	if c.User != "" {
		userspec = "--userspec=" + c.User
	}
	// Arguments: the root, then TARGET SOURCE pairs up to "--", then argv.
	script := `set -e
R="$1"; shift
mkdir -p "$R/dev" "$R/proc"
` + mount + ` --bind /dev "$R/dev"
` + mount + ` -t proc proc "$R/proc"
while [ "$1" != -- ]; do mkdir -p "$R$1"; ` + mount + ` --bind "$2" "$R$1"; shift 2; done
shift
exec ` + chroot + ` ` + userspec + ` "$R" "$@"
`
	dir := c.Dir
	if dir == "" {
		dir = "/"
	}
	args := []string{"--mount", "--pid", "--fork", "--propagation", "private", "/bin/sh", "-c", script, "sh", c.Root}
	targets := make([]string, 0, len(c.Mounts))
	for target := range c.Mounts {
		targets = append(targets, target)
	}
	sort.Strings(targets) // parents first
	for _, target := range targets {
		args = append(args, target, c.Mounts[target])
	}
	args = append(append(args, "--", "/bin/sh", "-c", `cd "$1" && shift && exec "$@"`, "sh", dir), argv...)
	cmd := exec.Command(unshare, args...)
	cmd.Env = append([]string{}, c.Env...) // exactly Env, never the test's
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

// CacheState is the precompiled cache of an unpacked image: each file's
// size and modification time, by path.
func CacheState(t testing.TB, root string) map[string]string {
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
