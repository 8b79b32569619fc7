//go:build !linux

package procexec

import (
	"errors"
	"fmt"
)

// BecomeSubreaper is Linux only: elsewhere an orphan goes to init, and only
// the command's process group is stopped.
func BecomeSubreaper() error {
	return fmt.Errorf("become child subreaper: %w", errors.ErrUnsupported)
}

// KillOrphans does nothing without a subreaper: there are no orphans of
// this process to find.
func KillOrphans() int { return 0 }
