package host

import (
	"context"
	"fmt"
	"io"
	"maps"
	"slices"
	"sort"

	"github.com/mixbox/mixbox/host/internal/image"
)

// DefaultBase is the base image of Build when BuildOptions.Base is empty:
// Porter's default.
const DefaultBase = "debian:stable-slim"

// The invocation image's layout, as Build writes it and Porter's images have
// it: what a driver or a Kubernetes Job that runs the image names.
const (
	// ImageEntrypoint is the image's entrypoint, the run script.
	ImageEntrypoint = image.RunScript
	// ImageWorkingDir is its working directory, the bundle directory.
	ImageWorkingDir = image.AppDir
	// ImageOutputsDir is where a run writes the bundle's outputs, for the
	// driver to collect.
	ImageOutputsDir = image.AppDir + "/outputs"
)

// BuildOptions configure Build. Dir, Platforms and one of Output or Push
// are what a build needs; every other field has a default.
type BuildOptions struct {
	// Dir is the bundle directory, with porter.yaml. Default ".".
	Dir string
	// Base is the image to build on: oci:PATH (an OCI image layout),
	// tar:PATH (a `docker save` tarball) or a registry reference. Default
	// DefaultBase.
	Base string
	// Tag names the image in Output and is the reference Push pushes to.
	// Default: the invocation image name Porter derives from porter.yaml.
	Tag string
	// Platforms are os/arch[/variant] names; more than one builds an image
	// index. Default: this host's.
	Platforms []string
	// MixinsDir is where installed mixins are, as NAME/runtimes/NAME-runtime.wasm
	// or NAME/runtimes/NAME-runtime (native; NAME-runtime-linux-ARCH for
	// another architecture). The bundle's own mixins/ directory is looked
	// in too.
	MixinsDir string
	// Runtimes are static mixbox binaries by platform, put in the image as
	// /cnab/app/runtimes/porter-runtime.
	Runtimes map[string]string
	// Executable is the running mixbox; it serves this host's platform when
	// Runtimes has none for it, if it is a static build.
	Executable string
	// Output is oci:PATH or tar:PATH (one platform only).
	Output string
	// Push pushes the image (or index) to Tag's registry.
	Push bool
	// BuiltIns are the wasm mixins built into mixbox, by name.
	BuiltIns map[string][]byte
	// Env is where registry credentials are found (DOCKER_CONFIG, HOME,
	// REGISTRY_AUTH_FILE, XDG_RUNTIME_DIR), as docker and podman find them.
	Env []string
	// Stdout receives the build log. Nil discards it.
	Stdout io.Writer
}

// Build builds the invocation image of a bundle with no container daemon:
// the base image's layers, then one layer with /cnab/app (the bundle
// directory, the run script /cnab/app/run, mixbox as
// /cnab/app/runtimes/porter-runtime, each declared mixin: wasm where there
// is a wasm build, else native) and /cnab/.mixbox/cache precompiled for a
// platform this host compiles for. The entrypoint is /cnab/app/run and the
// working directory /cnab/app, as in Porter's images. The same inputs give
// the same digest, which Build returns (the index's for several platforms).
//
// Errors about what the options name (an unknown platform, a missing or
// broken base, a --runtime for the wrong architecture) wrap ErrUsage.
func Build(ctx context.Context, opts BuildOptions) (digest string, err error) {
	o := image.Options{
		Dir:        opts.Dir,
		Base:       opts.Base,
		Tag:        opts.Tag,
		MixinsDir:  opts.MixinsDir,
		Executable: opts.Executable,
		Output:     opts.Output,
		Push:       opts.Push,
		Env:        opts.Env,
		Log:        opts.Stdout,
		Runtimes:   map[image.Platform]string{},
	}
	if o.Base == "" {
		o.Base = DefaultBase
	}
	for name := range opts.BuiltIns {
		o.BuiltIns = append(o.BuiltIns, name)
	}
	sort.Strings(o.BuiltIns)
	if len(opts.Platforms) == 0 {
		o.Platforms = []image.Platform{image.HostPlatform()}
	}
	for _, s := range opts.Platforms {
		p, err := image.ParsePlatform(s)
		if err != nil {
			return "", buildErr(err)
		}
		o.Platforms = append(o.Platforms, p)
	}
	for _, s := range slices.Sorted(maps.Keys(opts.Runtimes)) {
		p, err := image.ParsePlatform(s)
		if err != nil {
			return "", buildErr(fmt.Errorf("runtime %s=%s: %w", s, opts.Runtimes[s], err))
		}
		o.Runtimes[p] = opts.Runtimes[s]
	}
	d, err := image.Build(ctx, o)
	if err != nil {
		return "", buildErr(err)
	}
	return d, nil
}

// buildErr words a build failure; a bad input already matches ErrUsage and
// carries its hint.
func buildErr(err error) error {
	return fmt.Errorf("build the image: %w", err)
}
