package testutil

import "os"

// TestCacheEnv names the compiled-module cache `make test` fills once, with
// the built-in mixins compiled outside the race detector, for every test
// package of the run.
const TestCacheEnv = "MIXBOX_TEST_CACHE"

// SharedCache returns the compiled-module cache a test package's TestMain
// shares among its tests: $MIXBOX_TEST_CACHE when set (fill is false), else a
// new temporary directory that the package must fill itself, once (fill is
// true). cleanup removes what SharedCache made.
func SharedCache() (dir string, fill bool, cleanup func(), err error) {
	if dir := os.Getenv(TestCacheEnv); dir != "" {
		return dir, false, func() {}, nil
	}
	dir, err = os.MkdirTemp("", "mixbox-test-cache-")
	if err != nil {
		return "", false, nil, err
	}
	return dir, true, func() { _ = os.RemoveAll(dir) }, nil // a temp dir: nothing to keep
}
