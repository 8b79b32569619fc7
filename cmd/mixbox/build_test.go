package main

import (
	"bytes"
	"crypto/sha256"
	"debug/elf"
	"encoding/hex"
	"errors"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/stretchr/testify/require"

	"github.com/mixbox/mixbox/host"
	"github.com/mixbox/mixbox/internal/testutil"
	"github.com/mixbox/mixbox/mixins/exec/builtin"
)

// hostPlatform is the platform the tests build for and run.
func hostPlatform() string { return "linux/" + runtime.GOARCH }

// buildEnv is the environment of the tests' builds: their precompiled
// caches are kept beside the tests' binaries, so one compile serves all.
func buildEnv(t *testing.T) []string {
	return []string{"PATH=/usr/bin:/bin", "HOME=" + t.TempDir(), "XDG_CACHE_HOME=" + filepath.Join(filepath.Dir(cacheDir), "xdg")}
}

// buildHello runs the tests' static mixbox binary to build examples/hello
// onto base (it puts itself in the image: no --runtime for this host's
// platform) and returns the exit code, stdout and stderr. A process, not
// run(): outside the race detector, hashing and compressing the layers is
// ten times faster; TestBuild_badInput builds through run().
func buildHello(t *testing.T, base string, args ...string) (int, string, string) {
	t.Helper()
	all := append([]string{"build", "--dir", filepath.Join(testutil.ModuleRoot(t), "examples", "hello", "bundle"), "--base", base}, args...)
	cmd := exec.Command(builds.Binary(t, "./cmd/mixbox", "mixbox"), all...)
	cmd.Env = buildEnv(t)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		require.NoError(t, err)
	}
	return cmd.ProcessState.ExitCode(), stdout.String(), stderr.String()
}

// lastLine is the digest mixbox build prints last.
func lastLine(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return lines[len(lines)-1]
}

// driverEnv is what a CNAB driver sets for examples/hello's install: the
// action, the CNAB names and the parameters' env vars; nothing else.
func driverEnv(name, token string) []string {
	return []string{
		"CNAB_ACTION=install",
		"CNAB_INSTALLATION_NAME=hello-test",
		"CNAB_BUNDLE_NAME=hello",
		"CNAB_BUNDLE_VERSION=0.1.0",
		"CNAB_REVISION=01JTESTREVISION",
		"NAME=" + name,
		"TOKEN=" + token,
	}
}

// TestBuild_hello builds examples/hello onto a busybox-only base, unpacks
// the image and runs its entrypoint as a driver would: with only the CNAB
// variables and the parameters set, the install succeeds, writes its
// outputs, masks the token, and compiles nothing (the cache came in the
// image). A second build gives the same digest, and the image pushed to a
// registry comes back with it.
func TestBuild_hello(t *testing.T) {
	if testing.Short() {
		t.Skip("seconds of real processes: make test runs it")
	}
	t.Parallel()
	base := testutil.BusyboxBase(t)
	out := filepath.Join(t.TempDir(), "hello")
	code, stdout, stderr := buildHello(t, "oci:"+base, "-o", "oci:"+out)
	require.Equal(t, 0, code, "stdout:\n%s\nstderr:\n%s", stdout, stderr)
	digest := lastLine(stdout)
	require.Regexp(t, `^sha256:[0-9a-f]{64}$`, digest)
	require.Contains(t, stdout, "precompiled 1 wasm module(s) into /cnab/.mixbox/cache")

	img := testutil.LayoutImage(t, out, hostPlatform())
	got, err := img.Digest()
	require.NoError(t, err)
	require.Equal(t, digest, got.String(), "the printed digest is the image's")
	cfg, err := img.ConfigFile()
	require.NoError(t, err)
	require.Equal(t, []string{"/cnab/app/run"}, cfg.Config.Entrypoint)
	require.Equal(t, []string{host.ImageEntrypoint}, cfg.Config.Entrypoint)
	require.Empty(t, cfg.Config.Cmd)
	require.Equal(t, "/cnab/app", cfg.Config.WorkingDir)
	require.Equal(t, host.ImageWorkingDir, cfg.Config.WorkingDir)
	require.Equal(t, "hello", cfg.Config.Labels["io.mixbox.bundle.name"])
	require.Equal(t, "0.1.0", cfg.Config.Labels["io.mixbox.bundle.version"])
	require.NotEmpty(t, cfg.Config.Labels["io.mixbox.version"])
	require.Equal(t, runtime.GOARCH, cfg.Architecture)
	require.Equal(t, int64(0), cfg.Created.Unix(), "a fixed creation time")
	baseImg := testutil.LayoutImage(t, base, hostPlatform())
	baseLayers, err := baseImg.Layers()
	require.NoError(t, err)
	layers, err := img.Layers()
	require.NoError(t, err)
	require.Len(t, layers, len(baseLayers)+1, "the base's layers and one more")

	pristine := testutil.Unpack(t, img)
	root := pristine
	for p, want := range map[string]os.FileMode{
		"cnab/app/run":                     0o775,
		"cnab/app/runtimes/porter-runtime": 0o775,
		"cnab/app/porter.yaml":             0o664,
		"cnab/app/helpers.sh":              0o775, // the bundle's 0755, with g=u as in Porter's images
	} {
		fi, err := os.Stat(filepath.Join(root, p))
		require.NoError(t, err, p)
		require.Equal(t, want, fi.Mode().Perm(), p)
	}
	run, err := os.ReadFile(filepath.Join(root, "cnab", "app", "run"))
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(string(run), "#!/bin/sh\n"), "a POSIX sh script:\n%s", run)
	self, err := os.ReadFile(builds.Binary(t, "./cmd/mixbox", "mixbox"))
	require.NoError(t, err)
	inImage, err := os.ReadFile(filepath.Join(root, "cnab", "app", "runtimes", "porter-runtime"))
	require.NoError(t, err)
	require.Equal(t, sha256.Sum256(self), sha256.Sum256(inImage), "porter-runtime is the --runtime mixbox")

	// The cache holds the built-in exec mixin the image's mixbox embeds
	// (the same source as builtin.Wasm()), compiled for this host.
	sum := sha256.Sum256(builtin.Wasm())
	marker := filepath.Join(root, "cnab", ".mixbox", "cache", "mixbox-"+hex.EncodeToString(sum[:])+".compiled")
	require.FileExists(t, marker)
	compiled, err := filepath.Glob(filepath.Join(root, "cnab", ".mixbox", "cache", "mixbox1-wazero-*", "*"))
	require.NoError(t, err)
	require.NotEmpty(t, compiled, "wazero's compiled code is in the image")

	t.Run("the run script execs the runtime as Porter's does", func(t *testing.T) { checkRunScript(t, pristine) })
	t.Run("Porter's template snippet gives the same layout", func(t *testing.T) { checkPorterSnippet(t, base, pristine) })

	t.Run("install as a driver runs it", func(t *testing.T) {
		root := testutil.CopyRoot(t, pristine)
		before := testutil.CacheState(t, root)
		start := time.Now()
		code, stdout, stderr := testutil.RunImage(t, root, cfg, "", driverEnv("driver-user", "s3cret-from-the-driver"))
		t.Logf("install with the precompiled cache: %s", time.Since(start))
		require.Equal(t, 0, code, "stdout:\n%s\nstderr:\n%s", stdout, stderr)
		require.Contains(t, stdout, "executing install action from hello (installation: hello-test)")
		require.Contains(t, stdout, "Hello, driver-user!")
		require.Contains(t, stdout, "exec (wasm, built-in)")
		for _, s := range []string{stdout, stderr} {
			require.NotContains(t, s, "s3cret-from-the-driver", "the sensitive parameter was printed")
		}
		require.Contains(t, stdout, "token=*******")
		greeting, err := os.ReadFile(filepath.Join(root, "cnab", "app", "outputs", "greeting"))
		require.NoError(t, err)
		require.Equal(t, "Hello, driver-user", string(greeting))
		require.FileExists(t, filepath.Join(root, "cnab", "app", "outputs", "porter-state"))
		// Nothing was compiled: the run used the cache as the image has it
		// (a compile would add or rewrite a file, with today's time).
		require.Equal(t, before, testutil.CacheState(t, root), "the run changed the precompiled cache")
	})

	t.Run("docker run -e CNAB_ACTION=install", func(t *testing.T) {
		root := testutil.CopyRoot(t, pristine)
		code, stdout, stderr := testutil.RunImage(t, root, cfg, "", []string{"CNAB_ACTION=install"})
		require.Equal(t, 0, code, "stdout:\n%s\nstderr:\n%s", stdout, stderr)
		require.Contains(t, stdout, "Hello, mixbox!", "the parameter's default")
		require.NotContains(t, stdout+stderr, "not-a-real-secret", "the sensitive default was printed")
		greeting, err := os.ReadFile(filepath.Join(root, "cnab", "app", "outputs", "greeting"))
		require.NoError(t, err)
		require.Equal(t, "Hello, mixbox", string(greeting))
	})

	t.Run("a driver that passes no PATH", func(t *testing.T) {
		root := testutil.CopyRoot(t, pristine)
		c := testutil.Container{Root: root, Dir: cfg.Config.WorkingDir, Env: driverEnv("nopath", "s3cret")}
		code, stdout, stderr := c.Run(t, cfg.Config.Entrypoint...)
		require.Equal(t, 0, code, "stdout:\n%s\nstderr:\n%s", stdout, stderr)
		require.Contains(t, stdout, "Hello, nopath!")
	})

	t.Run("as Porter's non-root user in group 0", func(t *testing.T) {
		root := testutil.CopyRoot(t, pristine)
		before := testutil.CacheState(t, root)
		code, stdout, stderr := testutil.RunImage(t, root, cfg, "65532:0", driverEnv("nonroot", "s3cret"))
		require.Equal(t, 0, code, "stdout:\n%s\nstderr:\n%s", stdout, stderr)
		require.Contains(t, stdout, "Hello, nonroot!")
		require.FileExists(t, filepath.Join(root, "cnab", "app", "outputs", "greeting"))
		require.Equal(t, before, testutil.CacheState(t, root), "the run changed the precompiled cache")
	})

	t.Run("without the compiled code the run compiles (the cache check can fail)", func(t *testing.T) {
		root := testutil.CopyRoot(t, pristine)
		compiled, err := filepath.Glob(filepath.Join(root, "cnab", ".mixbox", "cache", "mixbox1-wazero-*", "*"))
		require.NoError(t, err)
		for _, f := range compiled {
			require.NoError(t, os.Remove(f))
		}
		before := testutil.CacheState(t, root)
		start := time.Now()
		code, stdout, stderr := testutil.RunImage(t, root, cfg, "", driverEnv("cold", "s3cret"))
		t.Logf("install without the compiled code: %s", time.Since(start))
		require.Equal(t, 0, code, "stdout:\n%s\nstderr:\n%s", stdout, stderr)
		require.NotEqual(t, before, testutil.CacheState(t, root), "a run that compiled left the cache as it was")
	})

	t.Run("same inputs, same digest; pushed and pulled", func(t *testing.T) {
		srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
		defer srv.Close()
		tag := strings.TrimPrefix(srv.URL, "http://") + "/bundles/hello:0.1.0"
		out2 := filepath.Join(t.TempDir(), "hello")
		code, stdout, stderr := buildHello(t, "oci:"+base, "-o", "oci:"+out2, "--tag", tag, "--push")
		require.Equal(t, 0, code, "stdout:\n%s\nstderr:\n%s", stdout, stderr)
		require.Equal(t, digest, lastLine(stdout), "two builds of the same inputs differ")
		ref, err := name.ParseReference(tag)
		require.NoError(t, err)
		desc, err := remote.Get(ref)
		require.NoError(t, err)
		require.Equal(t, digest, desc.Digest.String(), "the pushed image's digest")
		pulled, err := desc.Image()
		require.NoError(t, err)
		pulledDigest, err := pulled.Digest()
		require.NoError(t, err)
		require.Equal(t, digest, pulledDigest.String())
		pulledLayers, err := pulled.Layers()
		require.NoError(t, err)
		require.Len(t, pulledLayers, len(layers))
	})

	t.Run("a tarball for docker load", func(t *testing.T) {
		file := filepath.Join(t.TempDir(), "hello.tar")
		code, stdout, stderr := buildHello(t, "oci:"+base, "-o", "tar:"+file, "--tag", "hello:test")
		require.Equal(t, 0, code, "stdout:\n%s\nstderr:\n%s", stdout, stderr)
		tag, err := name.NewTag("hello:test")
		require.NoError(t, err)
		loaded, err := tarball.ImageFromPath(file, &tag)
		require.NoError(t, err)
		gotCfg, err := loaded.ConfigName()
		require.NoError(t, err)
		wantCfg, err := img.ConfigName()
		require.NoError(t, err)
		require.Equal(t, wantCfg, gotCfg, "the tarball holds the same image config")
		m, err := loaded.Manifest()
		require.NoError(t, err)
		require.Len(t, m.Layers, len(layers))
	})
}

// TestBuild_platforms: two platforms make an index whose entry for this
// host runs, and whose other entry holds a mixbox for its architecture and
// no compiled code (this host cannot compile for it).
func TestBuild_platforms(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("builds mixbox for a second architecture: skipped with -short")
	}
	other := map[string]string{"amd64": "arm64", "arm64": "amd64"}[runtime.GOARCH]
	if other == "" {
		t.Skipf("the two-platform test pairs amd64 and arm64; this host is %s", runtime.GOARCH)
	}
	otherPlatform := "linux/" + other
	busybox := testutil.LayoutImage(t, testutil.BusyboxBase(t), hostPlatform())
	scratch := scratchImage(t, other) // the other platform's base
	base := filepath.Join(t.TempDir(), "base")
	p, err := layout.Write(base, empty.Index)
	require.NoError(t, err)
	require.NoError(t, p.AppendImage(busybox, layout.WithPlatform(v1.Platform{OS: "linux", Architecture: runtime.GOARCH})))
	require.NoError(t, p.AppendImage(scratch, layout.WithPlatform(v1.Platform{OS: "linux", Architecture: other})))

	otherMixbox := builds.Binary(t, "./cmd/mixbox", "mixbox-linux-"+other, "GOOS=linux", "GOARCH="+other)
	out := filepath.Join(t.TempDir(), "hello")
	code, stdout, stderr := buildHello(t, "oci:"+base, "--platform", hostPlatform()+","+otherPlatform,
		"--runtime", otherPlatform+"="+otherMixbox, "-o", "oci:"+out)
	require.Equal(t, 0, code, "stdout:\n%s\nstderr:\n%s", stdout, stderr)
	require.Contains(t, stdout, otherPlatform+": not precompiled: wazero compiles only for the host's architecture")

	idx, err := layout.ImageIndexFromPath(out)
	require.NoError(t, err)
	m, err := idx.IndexManifest()
	require.NoError(t, err)
	require.Len(t, m.Manifests, 1)
	require.True(t, m.Manifests[0].MediaType.IsIndex(), "two platforms make an index")
	require.Equal(t, lastLine(stdout), m.Manifests[0].Digest.String(), "the printed digest is the index's")
	inner, err := idx.ImageIndex(m.Manifests[0].Digest)
	require.NoError(t, err)
	im, err := inner.IndexManifest()
	require.NoError(t, err)
	var platforms []string
	for _, d := range im.Manifests {
		platforms = append(platforms, d.Platform.OS+"/"+d.Platform.Architecture)
	}
	sort.Strings(platforms)
	want := []string{hostPlatform(), otherPlatform}
	sort.Strings(want)
	require.Equal(t, want, platforms)

	t.Run(hostPlatform()+" runs", func(t *testing.T) {
		img := testutil.LayoutImage(t, out, hostPlatform())
		cfg, err := img.ConfigFile()
		require.NoError(t, err)
		root := testutil.Unpack(t, img)
		before := testutil.CacheState(t, root)
		code, stdout, stderr := testutil.RunImage(t, root, cfg, "", driverEnv("index", "s3cret"))
		require.Equal(t, 0, code, "stdout:\n%s\nstderr:\n%s", stdout, stderr)
		require.Contains(t, stdout, "Hello, index!")
		require.Equal(t, before, testutil.CacheState(t, root))
	})

	t.Run(otherPlatform+" holds its mixbox", func(t *testing.T) {
		img := testutil.LayoutImage(t, out, otherPlatform)
		cfg, err := img.ConfigFile()
		require.NoError(t, err)
		require.Equal(t, other, cfg.Architecture)
		require.Contains(t, cfg.Config.Env, "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "a base with no PATH gets the default one")
		require.Equal(t, []string{"/cnab/app/run"}, cfg.Config.Entrypoint)
		root := testutil.Unpack(t, img)
		f, err := elf.Open(filepath.Join(root, "cnab", "app", "runtimes", "porter-runtime"))
		require.NoError(t, err)
		defer func() { _ = f.Close() }()
		wantMachine := map[string]elf.Machine{"amd64": elf.EM_X86_64, "arm64": elf.EM_AARCH64}[other]
		require.Equal(t, wantMachine, f.Machine)
		for _, prog := range f.Progs {
			require.NotEqual(t, elf.PT_INTERP, prog.Type, "the %s mixbox is not static", other)
		}
		require.Empty(t, testutil.CacheState(t, root), "compiled code for another architecture")
		require.DirExists(t, filepath.Join(root, "cnab", ".mixbox", "cache"), "the cache dir, for the container to fill")
	})
}

// TestBuild_badInput: each kind of bad input of issue 9 gets one clear
// error naming the culprit, exit 2 for the flags and 1 for a failed build
// step, and leaves nothing at -o that could pass for an image.
func TestBuild_badInput(t *testing.T) {
	t.Parallel()
	base := testutil.BusyboxBase(t)
	mixbox := builds.Binary(t, "./cmd/mixbox", "mixbox")
	hello := filepath.Join(testutil.ModuleRoot(t), "examples", "hello", "bundle")

	broken := filepath.Join(t.TempDir(), "broken")
	testutil.CopyTree(t, base, broken)
	baseImg := testutil.LayoutImage(t, broken, hostPlatform())
	bm, err := baseImg.Manifest()
	require.NoError(t, err)
	blob := filepath.Join(broken, "blobs", "sha256", bm.Layers[0].Digest.Hex)
	require.NoError(t, os.Truncate(blob, 100))

	notLayout := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(notLayout, "README"), []byte("not an image"), 0o644))

	helm := t.TempDir()
	testutil.CopyTree(t, hello, helm)
	manifest, err := os.ReadFile(filepath.Join(helm, "porter.yaml"))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(helm, "porter.yaml"),
		[]byte(strings.Replace(string(manifest), "  - exec\n", "  - exec\n  - helm3\n", 1)), 0o644))
	// helm3 installed natively for this host only.
	mixins := t.TempDir()
	native := filepath.Join(mixins, "helm3", "runtimes", "helm3-runtime")
	require.NoError(t, os.MkdirAll(filepath.Dir(native), 0o755))
	data, err := os.ReadFile(mixbox)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(native, data, 0o755))

	aFile := filepath.Join(t.TempDir(), "a-file")
	require.NoError(t, os.WriteFile(aFile, nil, 0o644))

	denied := httptest.NewServer(refusePushes(registry.New(registry.Logger(log.New(io.Discard, "", 0)))))
	t.Cleanup(denied.Close)
	deniedTag := strings.TrimPrefix(denied.URL, "http://") + "/bundles/hello:0.1.0"

	otherArch := map[string]uint16{"amd64": uint16(elf.EM_AARCH64), "arm64": uint16(elf.EM_X86_64)}[runtime.GOARCH]
	otherPlatform := map[string]string{"amd64": "linux/arm64", "arm64": "linux/amd64"}[runtime.GOARCH]
	dynamic := "/bin/ls" // dynamically linked on Debian
	otherBase := filepath.Join(t.TempDir(), "other")
	p, err := layout.Write(otherBase, empty.Index)
	require.NoError(t, err)
	require.NoError(t, p.AppendImage(scratchImage(t, strings.TrimPrefix(otherPlatform, "linux/"))))

	tests := []struct {
		name     string
		args     []string // after build; --dir hello unless given
		out      string   // the -o destination, checked to be absent after
		wantCode int
		wantErr  []string // substrings of stderr
	}{
		{"missing --base", []string{"--base", "oci:/nonexistent/base", "--runtime", hostPlatform() + "=" + mixbox}, "", 2,
			[]string{"base oci:/nonexistent/base", "does not exist", "hint:"}},
		{"--base that is not a layout", []string{"--base", "oci:" + notLayout, "--runtime", hostPlatform() + "=" + mixbox}, "", 2,
			[]string{"is not an OCI image layout", "hint:"}},
		{"broken --base", []string{"--base", "oci:" + broken, "--runtime", hostPlatform() + "=" + mixbox}, "", 2,
			[]string{"base oci:" + broken + " is broken", bm.Layers[0].Digest.String(), "hint:"}},
		{"--base tarball that is not one", []string{"--base", "tar:" + aFile, "--runtime", hostPlatform() + "=" + mixbox}, "", 2,
			[]string{"is not an image tarball"}},
		{"--base for another platform", []string{"--base", "oci:" + otherBase, "--runtime", hostPlatform() + "=" + mixbox}, "", 2,
			[]string{"base oci:" + otherBase + " is a " + otherPlatform + " image, not " + hostPlatform(), "hint:"}},
		{"unknown platform", []string{"--base", "oci:" + base, "--platform", "linux/amd65"}, "", 2,
			[]string{`unknown platform "linux/amd65"`, "linux/amd64", "hint:"}},
		{"not a linux platform", []string{"--base", "oci:" + base, "--platform", "windows/amd64"}, "", 2,
			[]string{`unknown platform "windows/amd64"`}},
		{"mixin with no build for the platform", []string{"--dir", helm, "--base", "oci:" + base, "--runtime", hostPlatform() + "=" + mixbox}, "", 1,
			[]string{"mixin helm3 has no build for " + hostPlatform(), "helm3-runtime.wasm", "hint:"}},
		{"native mixin for another architecture", []string{"--dir", helm, "--mixins-dir", mixins, "--base", "oci:" + base, "--platform", otherPlatform}, "", 1,
			[]string{"mixin helm3 has no build for " + otherPlatform, native + " is an ELF for " + runtime.GOARCH}},
		{"--runtime for the wrong architecture", []string{"--base", "oci:" + base, "--runtime", hostPlatform() + "=" + fakeELF(t, otherArch)}, "", 2,
			[]string{"is an ELF for " + strings.TrimPrefix(otherPlatform, "linux/"), "not for " + hostPlatform(), "make build-all"}},
		{"--runtime dynamically linked", []string{"--base", "oci:" + base, "--runtime", hostPlatform() + "=" + dynamic}, "", 2,
			[]string{dynamic + " is dynamically linked", "CGO_ENABLED=0"}},
		{"--runtime that is not mixbox", []string{"--base", "oci:" + base, "--runtime", hostPlatform() + "=/bin/busybox"}, "", 2,
			[]string{"/bin/busybox is not a Go binary"}},
		{"no static mixbox for this host", []string{"--base", "oci:" + base}, "", 2,
			[]string{"this mixbox", "runtime " + hostPlatform() + "=PATH"}},
		{"--runtime for a platform not built", []string{"--base", "oci:" + base, "--runtime", otherPlatform + "=" + mixbox}, "", 2,
			[]string{otherPlatform + " is not a platform being built"}},
		{"malformed --runtime", []string{"--base", "oci:" + base, "--runtime", mixbox}, "", 2,
			[]string{"PLATFORM=PATH"}},
		{"unwritable -o", []string{"--base", "oci:" + base, "--runtime", hostPlatform() + "=" + mixbox, "-o", "oci:" + aFile + "/image"}, aFile + "/image", 1,
			[]string{"write oci:" + aFile + "/image", "hint:"}},
		{"-o over something that is not a layout", []string{"--base", "oci:" + base, "--runtime", hostPlatform() + "=" + mixbox, "-o", "oci:" + notLayout}, "", 2,
			[]string{notLayout + " exists and is not an OCI image layout"}},
		{"-o without a scheme", []string{"--base", "oci:" + base, "-o", "image"}, "", 2,
			[]string{`output "image": want oci:PATH or tar:PATH`}},
		{"a tarball of two platforms", []string{"--base", "oci:" + base, "--platform", hostPlatform() + "," + otherPlatform, "-o", "tar:x.tar"}, "", 2,
			[]string{"a tarball holds one platform's image"}},
		{"nothing to write to", []string{"--base", "oci:" + base, "--runtime", hostPlatform() + "=" + mixbox, "-o", ""}, "", 2,
			[]string{"nothing to write the image to"}},
		{"--push without --tag", []string{"--base", "oci:" + base, "--push"}, "", 2,
			[]string{"a push needs a tag"}},
		{"a registry that refuses the push", []string{"--base", "oci:" + base, "--runtime", hostPlatform() + "=" + mixbox, "--tag", deniedTag, "--push"}, "", 1,
			[]string{"push " + deniedTag, "DENIED", "docker login"}},
		{"--dir without porter.yaml", []string{"--dir", t.TempDir(), "--base", "oci:" + base}, "", 2,
			[]string{"has no porter.yaml"}},
		{"an argument", []string{"examples/hello", "--base", "oci:" + base}, "", 2,
			[]string{`build takes no arguments, got ["examples/hello"]`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			outDir := t.TempDir()
			args := append([]string{"build"}, tc.args...)
			if !contains(args, "--dir") {
				args = append(args, "--dir", hello)
			}
			if !contains(args, "-o") && !contains(args, "--push") { // every case but one names -o
				args = append(args, "-o", "oci:"+filepath.Join(outDir, "image"))
			}
			code, stdout, stderr := runCLI(t, buildEnv(t), args...)
			t.Logf("exit %d, stderr:\n%s", code, stderr)
			require.Equal(t, tc.wantCode, code, "stdout:\n%s\nstderr:\n%s", stdout, stderr)
			for _, w := range tc.wantErr {
				require.Contains(t, stderr, w)
			}
			require.Equal(t, 1, strings.Count(stderr, "error: "), "one error line:\n%s", stderr)
			require.NotContains(t, stderr, "panic")
			left, err := os.ReadDir(outDir)
			require.NoError(t, err)
			require.Empty(t, left, "a failed build left files at -o")
			if tc.out != "" {
				require.NoFileExists(t, tc.out)
			}
		})
	}
}

// TestInterspersed_build: build's flags may follow a stray argument, which
// is then reported alone.
func TestInterspersed_build(t *testing.T) {
	t.Parallel()
	got := interspersed(newApp(nil, io.Discard, io.Discard), []string{"mixbox", "build", "x", "--dir", "d", "-o", "oci:o", "--push", "--platform=linux/arm64"})
	require.Equal(t, []string{"mixbox", "build", "--dir", "d", "-o", "oci:o", "--push", "--platform=linux/arm64", "--", "x"}, got)
}

// scratchImage is an empty linux image for arch, as a scratch base is.
func scratchImage(t *testing.T, arch string) v1.Image {
	t.Helper()
	img, err := mutate.ConfigFile(mutate.ConfigMediaType(mutate.MediaType(empty.Image, types.OCIManifestSchema1), types.OCIConfigJSON),
		&v1.ConfigFile{OS: "linux", Architecture: arch, RootFS: v1.RootFS{Type: "layers"}})
	require.NoError(t, err)
	return img
}

// refusePushes is a registry that serves pulls and denies every upload, as
// one without write access does.
func refusePushes(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.Method {
		case http.MethodPost, http.MethodPut, http.MethodPatch:
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusForbidden)
			_, _ = io.WriteString(w, `{"errors":[{"code":"DENIED","message":"requested access to the resource is denied"}]}`)
		default:
			h.ServeHTTP(w, r)
		}
	})
}
