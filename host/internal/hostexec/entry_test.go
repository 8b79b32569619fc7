package hostexec

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/mixbox/mixbox/host/internal/policy"
	"github.com/mixbox/mixbox/wasmabi"
)

func TestEntry_Match(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		e       Entry
		command string
		args    []string
		want    bool
	}{
		{"exact args", Entry{Command: "helm", Args: []string{"upgrade", "x"}}, "helm", []string{"upgrade", "x"}, true},
		{"another command", Entry{Command: "helm", Args: []string{"upgrade"}}, "kubectl", []string{"upgrade"}, false},
		{"another arg", Entry{Command: "helm", Args: []string{"upgrade"}}, "helm", []string{"install"}, false},
		{"more args", Entry{Command: "helm", Args: []string{"upgrade"}}, "helm", []string{"upgrade", "x"}, false},
		{"no args and empty args", Entry{Command: "helm", Args: []string{}}, "helm", nil, true},
		{"regexes, anchored", Entry{Command: "helm", ArgsRegex: []string{"up.*", "x|y"}}, "helm", []string{"upgrade", "y"}, true},
		{"a regex is anchored", Entry{Command: "helm", ArgsRegex: []string{"grade"}}, "helm", []string{"upgrade"}, false},
		{"as many args as regexes", Entry{Command: "helm", ArgsRegex: []string{".*"}}, "helm", []string{"a", "b"}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tc.want, tc.e.Match(tc.command, tc.args))
		})
	}
}

func TestParseEntries(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		in      string
		want    []Entry
		wantErr error
	}{
		{
			name: "an exec document",
			in:   "exec:\n  - command: helm\n    args: [upgrade, --install]\n    stdout: \"ok\\n\"\n    exit_code: 0\n  - command: kubectl\n    args_regex: ['get|describe']\n    stderr: boom\n    exit_code: 1\n    timed_out: true\n",
			want: []Entry{
				{Command: "helm", Args: []string{"upgrade", "--install"}, Stdout: "ok\n"},
				{Command: "kubectl", ArgsRegex: []string{"get|describe"}, Stderr: "boom", ExitCode: 1, TimedOut: true},
			},
		},
		{name: "a bare list", in: "- command: echo\n", want: []Entry{{Command: "echo"}}},
		{name: "empty", in: "", want: nil},
		{name: "an unknown key", in: "exec:\n  - command: echo\n    exitcode: 1\n", wantErr: ErrInvalid},
		{name: "no command", in: "exec:\n  - args: [x]\n", wantErr: ErrInvalid},
		{name: "a bad regex", in: "exec:\n  - command: x\n    args_regex: ['(']\n", wantErr: ErrInvalid},
		{name: "not yaml", in: "exec: [\n", wantErr: ErrInvalid},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := ParseEntries([]byte(tc.in))
			if tc.wantErr != nil {
				require.ErrorIs(t, err, tc.wantErr)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.want, got)
		})
	}
}

func TestRecorder_replay(t *testing.T) {
	t.Parallel()
	l, _ := newLocal(t, anyCommand())
	file := filepath.Join(t.TempDir(), "exec.yaml")
	rec := NewRecorder(RecorderOptions{Path: file, Mask: func(s string) string { return strings.ReplaceAll(s, "s3cr3t", "*******") }})
	exe := rec.Wrap(l)
	calls := []wasmabi.ExecRequest{
		{Command: "echo", Args: []string{"--password", "s3cr3t"}},
		{Command: "sh", Args: []string{"-c", "echo line 1; echo line 2; echo err >&2; exit 2"}},
		{Command: "true"},
		{Command: "curl"}, // refused by the wrapped executor: not recorded
	}
	var want []wasmabi.ExecResult
	for _, req := range calls[:3] {
		res, err := exe.Exec(testCtx, Call{Mixin: "m", Request: req})
		require.NoError(t, err)
		res.DurationMS = 0
		res.Path = "" // where a bare name was found is not part of the exec: list
		want = append(want, res)
	}
	_, err := Checked(policy.Mixin{}, exe).Exec(testCtx, Call{Mixin: "m", Request: calls[3]})
	require.ErrorIs(t, err, wasmabi.EDenied)
	require.NoError(t, rec.Flush())

	data, err := os.ReadFile(file)
	require.NoError(t, err)
	require.NotContains(t, string(data), "s3cr3t", "the record holds a secret")
	require.Contains(t, string(data), "exit_code: 2")
	entries, err := ParseEntries(data)
	require.NoError(t, err, "the record does not parse:\n%s", data)
	require.Len(t, entries, 3)
	require.Equal(t, Entry{Command: "echo", Args: []string{"--password", "*******"}, Stdout: "--password *******\n"}, entries[0])

	// Replay answers the same calls with the same results, masked, and
	// runs nothing (the Local is not used).
	entries[0].Args[1] = "s3cr3t" // what the operator does to a masked arg
	rep := NewReplayer(entries)
	var console syncBuffer
	for i, req := range calls[:3] {
		got, err := rep.Exec(context.Background(), Call{Mixin: "m", Request: req, Stdout: &console, Stderr: &console})
		require.NoError(t, err, "call %d", i+1)
		if i == 0 {
			want[0].Stdout = "--password *******\n"
		}
		require.Equal(t, want[i], got, "call %d", i+1)
	}
	require.NoError(t, rep.Err())
	require.Empty(t, rep.Unused())
	require.Contains(t, console.String(), "line 2\n")
}

func TestReplayer_Exec_mismatch(t *testing.T) {
	t.Parallel()
	rep := NewReplayer([]Entry{
		{Command: "helm", Args: []string{"version"}},
		{Command: "helm", Args: []string{"upgrade", "--install", "mysql", "bitnami/mysql"}},
		{Command: "kubectl", Args: []string{"get", "pods"}},
	})
	_, err := rep.Exec(testCtx, Call{Request: wasmabi.ExecRequest{Command: "helm", Args: []string{"version"}}})
	require.NoError(t, err)
	_, err = rep.Exec(testCtx, Call{Request: wasmabi.ExecRequest{Command: "helm", Args: []string{"install", "mysql-2", "bitnami/mysql"}}})
	require.ErrorIs(t, err, ErrMismatch)
	require.EqualError(t, err, "exec call 2: want helm [upgrade --install mysql bitnami/mysql]\n              got helm [install mysql-2 bitnami/mysql]")
	_, err = rep.Exec(testCtx, Call{Request: wasmabi.ExecRequest{Command: "kubectl", Args: []string{"get", "pods"}}})
	require.NoError(t, err, "a mismatch uses up its entry")
	_, err = rep.Exec(testCtx, Call{Request: wasmabi.ExecRequest{Command: "echo", Args: []string{"a b"}}})
	require.ErrorIs(t, err, ErrMismatch)
	require.EqualError(t, err, "exec call 4: want no call\n              got echo [\"a b\"]")
	require.ErrorIs(t, rep.Err(), ErrMismatch)
	require.Empty(t, rep.Unused())
}

func TestChecked(t *testing.T) {
	t.Parallel()
	rep := NewReplayer([]Entry{{Command: "helm", Stdout: "ok"}})
	exe := Checked(policy.Mixin{Exec: []policy.ExecGrant{{Command: "helm"}}}, rep)
	_, err := exe.Exec(testCtx, Call{Mixin: "h", Request: wasmabi.ExecRequest{Command: "curl"}})
	require.ErrorIs(t, err, wasmabi.EDenied)
	got, err := exe.Exec(testCtx, Call{Mixin: "h", Request: wasmabi.ExecRequest{Command: "helm", Stream: noStream()}})
	require.NoError(t, err)
	require.Equal(t, "ok", got.Stdout)
}

func TestMarshalEntries(t *testing.T) {
	t.Parallel()
	out, err := MarshalEntries(nil)
	require.NoError(t, err)
	require.Equal(t, "exec: []\n", string(out))
	entries := []Entry{{Command: "sh", Args: []string{"-c", "x"}, Stdout: "a\nb\n", ExitCode: 1, TimedOut: true}, {Command: "true", Args: []string{}}}
	out, err = MarshalEntries(entries)
	require.NoError(t, err)
	got, err := ParseEntries(out)
	require.NoError(t, err)
	entries[1].Args = nil
	require.Equal(t, entries, got)
}
