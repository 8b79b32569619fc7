package guest

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/mixbox/mixbox/wasmabi"
)

type testCtxKey struct{}

var testCtx = context.WithValue(context.Background(), testCtxKey{}, "guest")

func TestParseArgs(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		args     []string
		want     Invocation
		wantFile string
		wantErr  error
	}{
		{"install", []string{"exec", "install"}, Invocation{Command: "install", Action: "install"}, "", nil},
		{"uninstall with file", []string{"exec", "uninstall", "-f", "in.yaml"}, Invocation{Command: "uninstall", Action: "uninstall"}, "in.yaml", nil},
		{"invoke", []string{"exec", "invoke", "--action", "status"}, Invocation{Command: "invoke", Action: "status"}, "", nil},
		{"invoke with =", []string{"exec", "invoke", "--action=dry-run", "--debug"}, Invocation{Command: "invoke", Action: "dry-run"}, "", nil},
		{"invoke without action", []string{"exec", "invoke"}, Invocation{}, "", ErrUsage},
		{"flag without value", []string{"exec", "invoke", "--action"}, Invocation{}, "", ErrUsage},
		{"client command", []string{"exec", "version", "-o", "json"}, Invocation{Command: "version", Args: []string{"-o", "json"}}, "", nil},
		{"no command", []string{"exec"}, Invocation{}, "", ErrUsage},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, file, err := parseArgs(tc.args)
			if tc.wantErr != nil {
				require.ErrorIs(t, err, tc.wantErr)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.want, got)
			require.Equal(t, tc.wantFile, file)
		})
	}
}

func TestRun(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		args       []string
		fnErr      error
		wantCode   int
		wantStderr string
		wantInput  string
	}{
		{"success reads stdin", []string{"m", "install"}, nil, 0, "", "install: []\n"},
		{"failure prints porter's two lines", []string{"m", "upgrade"}, errors.New("boom"), 1, "Error: boom\nboom\n", "install: []\n"},
		{"usage error", []string{"m"}, nil, 1, "", ""},
		{"version does not read stdin", []string{"m", "version"}, nil, 0, "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var stderr bytes.Buffer
			var gotInput string
			code := Run(testCtx, nil, RunOptions{
				Args:   tc.args,
				Stdin:  strings.NewReader("install: []\n"),
				Stderr: &stderr,
			}, func(_ context.Context, _ Host, inv Invocation) error {
				gotInput = string(inv.Input)
				return tc.fnErr
			})
			require.Equal(t, tc.wantCode, code)
			if tc.wantStderr != "" {
				require.Equal(t, tc.wantStderr, stderr.String())
			}
			require.Equal(t, tc.wantInput, gotInput)
		})
	}
}

func TestExecError_Is(t *testing.T) {
	t.Parallel()
	cause := errors.New(`exec: "x": executable file not found in $PATH`)
	err := error(&ExecError{Status: wasmabi.ENotFound, Err: cause})
	require.ErrorIs(t, err, wasmabi.ENotFound)
	require.ErrorIs(t, err, cause)
	require.NotErrorIs(t, err, wasmabi.EDenied)
	require.EqualError(t, err, cause.Error())
	require.EqualError(t, &ExecError{Status: wasmabi.EDenied}, "E_DENIED: denied by policy")
}
