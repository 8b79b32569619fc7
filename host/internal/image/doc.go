// Package image builds a bundle's invocation image with no container
// daemon, on go-containerregistry: the base image's layers (from an OCI
// layout, a `docker save` tarball or a registry), then one layer holding
// /cnab/app (the bundle directory, porter.yaml, the run script, mixbox as
// /cnab/app/runtimes/porter-runtime, each declared mixin) and
// /cnab/.mixbox/cache precompiled for a platform this host can compile for.
// It writes the image (an index for several platforms) as an OCI layout or
// a tarball, or pushes it.
//
//	digest, err := image.Build(ctx, image.Options{
//		Dir:       "examples/hello/bundle",
//		Base:      "oci:busybox",
//		Platforms: []image.Platform{image.HostPlatform()},
//		Output:    "oci:hello-image",
//	})
//
// # Notes
//
// The same inputs give the same digest: the layer's entries are sorted,
// owned by root, timed at the Unix epoch; the config's creation time is the
// epoch too, and nothing of the building host goes in but the compiled
// code, which wazero keys by its version, the architecture and the CPU
// features it compiled for. The cache is made by running the image's own
// mixbox (`mixbox precompile`), so it matches the wazero and the built-in
// mixins the container runs; it is kept in the user's cache directory and
// reused by the next build of the same runtime and mixins.
//
// It does not generate bundle.json (a CNAB driver injects it), sign,
// or run anything of the image but `mixbox precompile`.
package image
