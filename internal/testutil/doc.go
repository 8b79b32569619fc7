// Package testutil holds helpers shared by mixbox's tests: finding the
// shared fixtures beside the checkout, building mixbox's binaries once per
// test process, and running invocation images with no container runtime
// (a busybox base image, unpacking an image, running a process in a chroot
// the way a container runtime would). It is imported only from _test.go
// files.
package testutil
