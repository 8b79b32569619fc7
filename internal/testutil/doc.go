// Package testutil holds helpers shared by mixbox's tests: finding the
// shared fixtures beside the checkout and building mixbox's binaries once
// per test process, seeding fuzz targets from testdata. It is imported only
// from _test.go files.
package testutil
