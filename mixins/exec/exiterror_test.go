package exec

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// TestExitError: a command a signal killed reads as os/exec words it, and
// ignoreError.exitCodes sees -1 for it, as under Porter.
func TestExitError(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		err      exitError
		wantText string
		wantCode int
	}{
		{"exit status", exitError{Code: 7}, "exit status 7", 7},
		{"killed by a signal", exitError{Code: 137, Signal: "killed"}, "signal: killed", -1},
		{"timed out", exitError{Code: 143, TimedOut: true, Signal: "terminated"}, "signal: terminated", -1},
		{"timed out, no signal reported", exitError{Code: 1, TimedOut: true}, "signal: killed", 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tc.wantText, tc.err.Error())
			require.Equal(t, tc.wantCode, tc.err.ExitCode())
		})
	}
	r := runner{}
	killed := &exitError{Code: 137, Signal: "killed"}
	require.Error(t, r.handleError(IgnoreError{ExitCodes: []int{137}}, killed, ""))
	require.NoError(t, r.handleError(IgnoreError{ExitCodes: []int{-1}}, killed, ""))
}
