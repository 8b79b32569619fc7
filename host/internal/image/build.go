package image

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/mixbox/mixbox/host/internal/manifest"
)

// Paths of the image layout (shared/reference/porter-runtime.md §1.1).
const (
	AppDir      = "/cnab/app"
	RunScript   = "/cnab/app/run"
	RuntimePath = "/cnab/app/runtimes/porter-runtime"
	MixinsDir   = "/cnab/app/mixins"
	CacheDir    = "/cnab/.mixbox/cache"
)

// Labels the image carries.
const (
	LabelBundleName    = "io.mixbox.bundle.name"
	LabelBundleVersion = "io.mixbox.bundle.version"
	LabelVersion       = "io.mixbox.version"
)

// Run is the run script, /cnab/app/run: Porter's (reference §1.2) in POSIX
// sh, so a base with only busybox runs it. The action comes from
// CNAB_ACTION, read by the runtime as by Porter's.
const Run = `#!/bin/sh
# The entrypoint of this CNAB invocation image, written by mixbox build.
export PORTER_HOME=/cnab/app
export PATH="${PATH:-` + DefaultPath + `}"
exec /cnab/app/runtimes/porter-runtime run -f /cnab/app/porter.yaml
`

// DefaultPath is the PATH of an image whose base sets none, and of a run
// whose driver passes none: what container runtimes default to.
const DefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// Options configure Build.
type Options struct {
	// Dir is the bundle directory, with porter.yaml.
	Dir string
	// Base is oci:PATH, tar:PATH or a registry reference.
	Base string
	// Tag names the image in -o and is what Push pushes; empty means the
	// invocation image name Porter derives from the manifest.
	Tag string
	// Platforms to build, at least one.
	Platforms []Platform
	// MixinsDir is where installed mixins are (NAME/runtimes/NAME-runtime[.wasm]).
	MixinsDir string
	// Runtimes are the mixbox binaries put in the images, by platform.
	Runtimes map[Platform]string
	// Executable is the running mixbox, used for the host's platform when
	// Runtimes has none and it is a static build.
	Executable string
	// Output is oci:PATH, tar:PATH or empty.
	Output string
	// Push pushes Tag to its registry.
	Push bool
	// BuiltIns names the wasm mixins built into mixbox.
	BuiltIns []string
	// Env is the environment registry credentials are found from.
	Env []string
	// Log receives the build log; nil discards it.
	Log io.Writer
}

// Build builds the invocation image of the bundle in opts.Dir and returns
// its digest (the index's with more than one platform).
func Build(ctx context.Context, opts Options) (digest string, err error) {
	b, err := newBuilder(opts)
	if err != nil {
		return "", err
	}
	defer b.cleanup()
	return b.build(ctx)
}

// builder is one Build.
type builder struct {
	opts    Options
	log     io.Writer
	m       *manifest.Manifest
	tag     name.Tag
	out     *output
	kc      authn.Keychain
	staging string // layers and caches, removed at the end
	skip    map[string]bool
}

func newBuilder(opts Options) (*builder, error) {
	b := &builder{opts: opts, log: opts.Log, kc: &envKeychain{env: opts.Env}, skip: map[string]bool{}}
	if b.log == nil {
		b.log = io.Discard
	}
	if len(opts.Platforms) == 0 {
		return nil, bad(errors.New("no platform to build"))
	}
	seen := map[Platform]bool{}
	for _, p := range opts.Platforms {
		if seen[p] {
			return nil, bad(fmt.Errorf("platform %s is given twice", p))
		}
		seen[p] = true
	}
	for p := range opts.Runtimes {
		if !seen[p] {
			return nil, hint(bad(fmt.Errorf("runtime %s=%s: %s is not a platform being built", p, opts.Runtimes[p], p)),
				"build for "+p.String()+" too, or drop its runtime")
		}
	}
	if opts.Output == "" && !opts.Push {
		return nil, hint(bad(errors.New("nothing to write the image to")),
			"write the image to oci:DIR or tar:FILE, or push it to a tag")
	}
	if opts.Push && opts.Tag == "" {
		return nil, hint(bad(errors.New("a push needs a tag: the reference to push to")),
			"tag it REGISTRY/REPOSITORY:TAG")
	}
	dir := opts.Dir
	if dir == "" {
		dir = "."
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, bad(fmt.Errorf("bundle dir %s: %w", dir, err))
	}
	b.opts.Dir = abs
	if fi, err := os.Stat(abs); err != nil || !fi.IsDir() {
		return nil, bad(fmt.Errorf("bundle dir %s is not a directory", dir))
	}
	if b.m, err = manifest.Load(filepath.Join(abs, "porter.yaml")); err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, hint(bad(fmt.Errorf("bundle dir %s has no porter.yaml", dir)), "build from the bundle directory, the one with porter.yaml")
		}
		return nil, fmt.Errorf("load the bundle: %w", err)
	}
	tag := opts.Tag
	if tag == "" {
		if tag, err = b.m.ComputedInstallerImage(); err != nil {
			tag = b.m.Name + ":" + strings.ReplaceAll(b.m.Version, "+", "_")
		}
	}
	if b.tag, err = name.NewTag(tag); err != nil {
		return nil, hint(bad(fmt.Errorf("tag %q: %w", tag, err)), "tag it REGISTRY/REPOSITORY:TAG")
	}
	if opts.Output != "" {
		if b.out, err = prepareOutput(opts.Output, len(opts.Platforms)); err != nil {
			return nil, err
		}
		b.skip[b.out.dest], b.skip[b.out.staging] = true, true
	}
	return b, nil
}

func (b *builder) cleanup() {
	b.out.abort()
	if b.staging != "" {
		_ = os.RemoveAll(b.staging) // our temporary files
	}
}

func (b *builder) logf(format string, args ...any) {
	_, _ = fmt.Fprintf(b.log, format+"\n", args...)
}

func (b *builder) build(ctx context.Context) (string, error) {
	start := time.Now()
	var err error
	mixins := map[Platform][]mixin{}
	for _, p := range b.opts.Platforms {
		if mixins[p], err = b.resolveMixins(p); err != nil {
			return "", err
		}
	}
	runtimes := map[Platform]string{}
	versions := map[Platform]string{}
	for _, p := range b.opts.Platforms {
		if runtimes[p], versions[p], err = b.runtime(p); err != nil {
			return "", err
		}
	}
	if b.opts.Push {
		// Before the build, not after it: a refused push fails in a second.
		if err := remote.CheckPushPermission(b.tag, b.kc, remote.DefaultTransport); err != nil {
			return "", b.pushErr(err)
		}
	}
	bundle, err := b.bundleFiles()
	if err != nil {
		return "", err
	}
	src, err := openBase(ctx, b.opts.Base, b.kc)
	if err != nil {
		return "", err
	}
	bases := map[Platform]v1.Image{}
	for _, p := range b.opts.Platforms {
		if bases[p], err = src.image(p); err != nil {
			return "", err
		}
	}
	if b.staging, err = os.MkdirTemp("", "mixbox-build-"); err != nil {
		return "", fmt.Errorf("create a staging directory: %w", err)
	}
	b.logf("bundle %s %s from %s; base %s", b.m.Name, b.m.Version, b.opts.Dir, b.opts.Base)

	var images []v1.Image
	for _, p := range b.opts.Platforms {
		img, err := b.image(ctx, p, bases[p], bundle, runtimes[p], versions[p], mixins[p])
		if err != nil {
			return "", err
		}
		images = append(images, img)
	}
	img, idx := images[0], v1.ImageIndex(nil)
	var d v1.Hash
	if len(images) > 1 {
		idx, err = b.index(images)
		if err == nil {
			d, err = idx.Digest()
		}
	} else {
		d, err = img.Digest()
	}
	if err != nil {
		return "", fmt.Errorf("compute the digest: %w", err)
	}
	if b.out != nil {
		if err := b.out.commit(img, idx, b.tag); err != nil {
			return "", err
		}
		b.logf("wrote %s (%s)", b.opts.Output, b.tag)
	}
	if b.opts.Push {
		if err := b.push(ctx, img, idx); err != nil {
			return "", err
		}
		b.logf("pushed %s", b.tag)
	}
	b.logf("built in %s", time.Since(start).Round(time.Millisecond))
	return d.String(), nil
}

// runtime returns the mixbox for p and its version: --runtime, else the
// running mixbox for the host's platform, checked to be a static mixbox
// for p.
func (b *builder) runtime(p Platform) (string, string, error) {
	if path := b.opts.Runtimes[p]; path != "" {
		v, err := checkRuntime(path, p, fmt.Sprintf("runtime %s=%s", p, path))
		return path, v, err
	}
	if p != HostPlatform() || b.opts.Executable == "" {
		return "", "", hint(bad(fmt.Errorf("no mixbox for %s: this mixbox runs on %s", p, HostPlatform())),
			fmt.Sprintf("give runtime %s=PATH, a static mixbox built for it (make build-all makes bin/%s_%s/mixbox)", p, p.OS, p.Arch))
	}
	v, err := checkRuntime(b.opts.Executable, p, "this mixbox ("+b.opts.Executable+")")
	if err != nil {
		return "", "", hint(err, fmt.Sprintf("build mixbox static with CGO_ENABLED=0 (make build), or give runtime %s=PATH, a static build", p))
	}
	return b.opts.Executable, v, nil
}

// bundleFiles are the bundle directory's files, under /cnab/app, with their
// modes; .git and .cnab (Porter's build output) are left out, and so is the
// -o destination when it is inside the bundle.
func (b *builder) bundleFiles() (files, error) {
	out := files{}
	err := filepath.WalkDir(b.opts.Dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(b.opts.Dir, p)
		if err != nil {
			return err
		}
		if rel != "." && (d.Name() == ".git" || d.Name() == ".cnab" || b.skip[p]) {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		e := entry{name: path.Join(strings.TrimPrefix(AppDir, "/"), filepath.ToSlash(rel)), mode: int64(fi.Mode().Perm())}
		switch {
		case fi.IsDir():
			e.dir = true
		case fi.Mode()&fs.ModeSymlink != 0:
			if e.link, err = os.Readlink(p); err != nil {
				return err
			}
		case fi.Mode().IsRegular():
			e.src = p
		default:
			return fmt.Errorf("%s is a %s: a bundle holds files, directories and symlinks", p, fi.Mode().Type())
		}
		out.add(e)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read the bundle directory: %w", err)
	}
	return out, nil
}

// image builds p's image: base, then one layer with /cnab/app and the cache.
func (b *builder) image(ctx context.Context, p Platform, base v1.Image, bundle files, runtime, version string, mixins []mixin) (v1.Image, error) {
	content := files{}
	for k, e := range bundle {
		content[k] = e
	}
	content.add(entry{name: AppDir, mode: 0o755, dir: true})
	for _, gen := range []string{RunScript, RuntimePath} {
		if _, ok := bundle[strings.TrimPrefix(gen, "/")]; ok {
			b.logf("%s: the bundle's %s is replaced by mixbox's", p, gen)
		}
	}
	content.add(entry{name: RunScript, mode: 0o755, data: []byte(Run)})
	content.add(entry{name: RuntimePath, mode: 0o755, src: runtime})
	b.logf("%s: runtime %s (mixbox %s, static) as %s", p, runtime, version, RuntimePath)
	var wasm []string
	builtin := false
	for _, mx := range mixins {
		if mx.src != "" {
			mode := int64(0o755)
			if mx.form == "wasm" {
				mode = 0o644
			}
			content.add(entry{name: mx.image, mode: mode, src: mx.src})
		}
		switch mx.form {
		case "wasm":
			wasm = append(wasm, mx.origin)
		case "built-in":
			builtin = true
		}
		where := mx.image
		if mx.form == "built-in" {
			where = RuntimePath
		}
		b.logf("%s: mixin %s (%s, %s) at %s", p, mx.name, mx.form, mx.origin, where)
	}
	content.add(entry{name: CacheDir, mode: 0o775, dir: true})
	switch {
	case len(wasm) == 0 && !builtin:
		b.logf("%s: no wasm mixin: nothing to precompile", p)
	case canPrecompile(p):
		if err := b.precompile(ctx, p, content, runtime, builtin, wasm); err != nil {
			return nil, err
		}
	default:
		b.logf("%s: not precompiled: wazero compiles only for the host's architecture (%s), so in a %s container each wasm mixin's first run starts cold (interpreted while it compiles into %s)",
			p, HostPlatform(), p, CacheDir)
	}
	// As Porter's image does (chmod -R g=u /cnab): a non-root user in group
	// 0 may write outputs and the cache.
	for k, e := range content {
		e.mode |= (e.mode & 0o700) >> 3
		content[k] = e
	}
	manifestType, err := base.MediaType()
	if err != nil {
		return nil, fmt.Errorf("read the base's manifest: %w", err)
	}
	layerType := types.OCILayer
	if manifestType == types.DockerManifestSchema2 {
		layerType = types.DockerLayer
	}
	file := filepath.Join(b.staging, fmt.Sprintf("layer-%s-%s%s.tar.gz", p.OS, p.Arch, p.Variant))
	if err := writeLayer(content, file); err != nil {
		return nil, err
	}
	layer, err := tarball.LayerFromFile(file, tarball.WithMediaType(layerType))
	if err != nil {
		return nil, fmt.Errorf("read layer: %w", err)
	}
	if size, err := layer.Size(); err == nil {
		b.logf("%s: layer of %d entries, %.1f MB compressed", p, len(content), float64(size)/1e6)
	}
	img, err := mutate.Append(base, mutate.Addendum{
		Layer:     layer,
		MediaType: layerType,
		History:   v1.History{Created: v1.Time{Time: epoch()}, CreatedBy: "mixbox build", Comment: "the bundle, its runtime and mixins, precompiled"},
	})
	if err != nil {
		return nil, fmt.Errorf("add the layer: %w", err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, fmt.Errorf("read the image config: %w", err)
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture, cf.Variant = p.OS, p.Arch, p.Variant
	cf.Created = v1.Time{Time: epoch()}
	cf.Config.Entrypoint = []string{RunScript}
	cf.Config.Cmd = nil
	cf.Config.WorkingDir = AppDir
	if !hasPath(cf.Config.Env) {
		cf.Config.Env = append(cf.Config.Env, "PATH="+DefaultPath)
	}
	if cf.Config.Labels == nil {
		cf.Config.Labels = map[string]string{}
	}
	cf.Config.Labels[LabelBundleName] = b.m.Name
	cf.Config.Labels[LabelBundleVersion] = b.m.Version
	cf.Config.Labels[LabelVersion] = version
	cf.Config.Labels["org.opencontainers.image.title"] = b.m.Name
	cf.Config.Labels["org.opencontainers.image.version"] = b.m.Version
	if b.m.Description != "" {
		cf.Config.Labels["org.opencontainers.image.description"] = b.m.Description
	}
	img, err = mutate.ConfigFile(img, cf)
	if err != nil {
		return nil, fmt.Errorf("set the image config: %w", err)
	}
	return img, nil
}

// index makes the image index of a multi-platform build.
func (b *builder) index(images []v1.Image) (v1.ImageIndex, error) {
	var adds []mutate.IndexAddendum
	for i, img := range images {
		p := b.opts.Platforms[i]
		mt, err := img.MediaType()
		if err != nil {
			return nil, err
		}
		adds = append(adds, mutate.IndexAddendum{Add: img, Descriptor: v1.Descriptor{
			MediaType: mt,
			Platform:  &v1.Platform{OS: p.OS, Architecture: p.Arch, Variant: p.Variant},
		}})
	}
	mt := types.OCIImageIndex
	if first, err := images[0].MediaType(); err == nil && first == types.DockerManifestSchema2 {
		mt = types.DockerManifestList
	}
	return mutate.IndexMediaType(mutate.AppendManifests(empty.Index, adds...), mt), nil
}

func (b *builder) push(ctx context.Context, img v1.Image, idx v1.ImageIndex) error {
	opts := []remote.Option{remote.WithContext(ctx), remote.WithAuthFromKeychain(b.kc)}
	var err error
	if idx != nil {
		err = remote.WriteIndex(b.tag, idx, opts...)
	} else {
		err = remote.Write(b.tag, img, opts...)
	}
	if err != nil {
		return b.pushErr(err)
	}
	return nil
}

func (b *builder) pushErr(err error) error {
	return hint(fmt.Errorf("push %s: %w", b.tag, err),
		fmt.Sprintf("check that %s is reachable and accepts pushes to %s, and log in if it needs it (docker login %s)",
			b.tag.RegistryStr(), b.tag.RepositoryStr(), b.tag.RegistryStr()))
}

func hasPath(env []string) bool {
	for _, kv := range env {
		if strings.HasPrefix(kv, "PATH=") {
			return true
		}
	}
	return false
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
