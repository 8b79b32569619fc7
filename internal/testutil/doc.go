// Package testutil holds helpers shared by mixbox's tests: finding the
// porter-compat cases under testdata/ (failing, never skipping, when they
// are missing), comparing and rewriting mixbox's own golden files (never
// the Porter-made ones), and building mixbox's binaries once per test
// process, seeding fuzz targets from testdata, and sharing one compiled-module
// cache per test package (SharedCache), and running invocation images with no
// container runtime (a busybox base image, unpacking an image, running a
// process in a chroot the way a container runtime would). It is imported only
// from _test.go files.
//
// # Golden files
//
// Golden compares output with a file under a test's testdata/<TestName>/.
// A missing golden fails; `go test ... -update` rewrites it. The files under
// testdata/porter-compat are what the real Porter produced: they are
// read-only inputs, and WriteGolden, the only writer, refuses any path that
// resolves into that directory, symlinks and ".." included.
package testutil
