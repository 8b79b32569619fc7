//go:build !unix && !wasip1

package guest

import "os/exec"

// setProcessGroup only sets a plain kill on cancel where process groups are
// not available.
func setProcessGroup(*exec.Cmd) {}

// exitCode is the exit status of the process.
func exitCode(e *exec.ExitError) int { return e.ExitCode() }
