//go:build !unix

package compcache

import (
	"fmt"
	"os"
)

// checkDir only checks that dir is a directory: there is no owner or mode
// to read here.
func checkDir(dir string) error {
	fi, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("check %s: %w", dir, err)
	}
	if !fi.IsDir() {
		return fmt.Errorf("check %s: not a directory", dir)
	}
	return nil
}
