// Command testfmt runs `go test -json` (or reads its output on stdin) and
// prints one line per package as each finishes (ok or FAIL, and its time),
// the output of the tests that failed, and a last line that names them:
//
//	12 packages ok, 1 failed: TestRun/two_steps (github.com/mixbox/mixbox/host)
//
// It exits 1 when anything failed: a test, a package outside any test
// (TestMain, a timeout), a build or vet failure (build-fail events, or the
// "[build failed]" package result), a package that never finished, output
// that is not a test event, or `go test` itself exiting non-zero. The
// Makefile's test and test-short targets run it:
//
//	testfmt -go go -- -race -timeout 900s ./...
//	go test -json ./... 2>&1 | testfmt
//
// # Notes
//
// Passing tests' output is dropped; `go test -v` shows it. Lines that are
// not JSON are printed as they come and make the run fail, except the
// toolchain's "go: downloading" progress lines: go test -json writes
// nothing else outside its events unless something went wrong.
package main
