// Package kubernetes is an example: a Kubernetes Job that runs the
// invocation image `make hello-image` builds, the way Porter's Kubernetes
// driver runs one. The package holds only the test that checks the
// manifests against examples/hello's bundle and the image's layout; see
// README.md.
package kubernetes
