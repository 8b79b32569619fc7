//go:build !unix && !wasip1

package guest

import "os/exec"

// setProcessGroup only sets a plain kill on cancel where process groups are
// not available.
func setProcessGroup(*exec.Cmd) {}

// signalName is "": signals are not reported here.
func signalName(*exec.ExitError) string { return "" }

// exitCode is the exit status of the process.
func exitCode(e *exec.ExitError) int { return e.ExitCode() }
