package hostexec

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/mixbox/mixbox/host/internal/policy"
	"github.com/mixbox/mixbox/host/internal/yamlnode"
	"github.com/mixbox/mixbox/internal/testutil"
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
			require.Equal(t, compiled(t, tc.want), got, "the parser compiles the regexes")
		})
	}
}

// compiled returns entries as Compile returns them, as the parser does.
func compiled(t *testing.T, entries []Entry) []Entry {
	t.Helper()
	var out []Entry
	for _, e := range entries {
		c, err := e.Compile()
		require.NoError(t, err)
		out = append(out, c)
	}
	return out
}

// TestParseEntries_errors pins the messages and lines of the parser that
// --replay-exec files and mixin-test cases share.
func TestParseEntries_errors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in string
		wantLine int
		want     string // the error after "invalid exec list: "
	}{
		{"an unknown key", "exec:\n  - command: echo\n    exitcode: 1\n", 3,
			`line 3: unknown key "exitcode" (want one of: command, args, args_regex, stdout, stderr, exit_code, timed_out)`},
		{"no command", "exec:\n  - command: a\n  - args: [x]\n", 3, "line 3: exec[1]: command is required"},
		{"a bad regex", "exec:\n  - command: x\n    args_regex:\n      - ok\n      - '('\n", 5,
			"line 5: exec[0].args_regex[1]: bad regex \"(\": error parsing regexp: missing closing ): `^(?:()$`"},
		{"args and args_regex", "- {command: x, args: [a], args_regex: [a]}\n", 1, "line 1: exec[0]: give args or args_regex, not both"},
		{"a quoted exit code", "exec:\n  - command: x\n    exit_code: \"1\"\n", 3, `line 3: exec[0].exit_code: want an integer, got the string "1"`},
		{"timed_out yes", "exec:\n  - command: x\n    timed_out: yes\n", 3, `line 3: exec[0].timed_out: want true or false, got the string "yes"`},
		{"a null stdout", "exec:\n  - command: x\n    stdout:\n", 3, "line 3: exec[0].stdout: want a string, got nothing"},
		{"an entry that is a string", "exec: [echo]\n", 1, `line 1: exec[0]: want a mapping, got the string "echo"`},
		{"exec not a list", "exec: {command: x}\n", 1, "line 1: exec: want a list, got a mapping"},
		{"another top-level key", "exec: []\nentries: []\n", 2, `line 2: unknown key "entries" (want one of: exec)`},
		{"a scalar document", "hello\n", 1, "line 1: want `exec:` with a list of entries, or a list of entries, got the string \"hello\""},
		{"a duplicate key", "- command: a\n  command: b\n", 2, "line 2: exec[0].command: duplicate key (first at line 1); keep one"},
		{"not yaml", "exec: [\n", 1, "line 1: did not find expected node content"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := ParseEntries([]byte(tc.in))
			require.ErrorIs(t, err, ErrInvalid)
			var ye *yamlnode.Error
			require.ErrorAs(t, err, &ye)
			require.Equal(t, tc.wantLine, ye.Line)
			require.EqualError(t, err, "invalid exec list: "+tc.want)
		})
	}
}

func TestParseEntries_files(t *testing.T) {
	t.Parallel()
	tests := []struct {
		file string
		want []Entry
	}{
		{"testdata/record.exec.yaml", []Entry{
			{Command: "helm", Args: []string{"upgrade", "--install", "mysql", "bitnami/mysql", "--set", "auth.rootPassword=*******"}, Stdout: "Release \"mysql\" has been upgraded.\n"},
			{Command: "kubectl", ArgsRegex: []string{"get|describe", "pods?", `-n\s*\w+`}, Stdout: "pod/mysql-0 Running\n"},
			{Command: "sh", Args: []string{"-c", "head -c 4 /dev/urandom"}, Stdout: "\xde\xad\xbe\xef"},
			{Command: "sleep", Args: []string{"600"}, ExitCode: -1, TimedOut: true},
		}},
		{"testdata/bare.exec.yaml", []Entry{
			{Command: "echo", Args: []string{"hello", "world"}, Stdout: "hello world\n"},
			{Command: "false", ExitCode: 1},
		}},
		{"testdata/anchors.exec.yaml", []Entry{
			{Command: "helm", Args: []string{"version"}, Stdout: "v3.14.0"},
			{Command: "helm", Args: []string{"version"}, Stdout: "v3.14.0"},
		}},
	}
	for _, tc := range tests {
		t.Run(filepath.Base(tc.file), func(t *testing.T) {
			t.Parallel()
			data, err := os.ReadFile(tc.file)
			require.NoError(t, err)
			got, err := ParseEntries(data)
			require.NoError(t, err)
			require.Equal(t, compiled(t, tc.want), got)
		})
	}
}

func TestParseEntryList_line(t *testing.T) {
	t.Parallel()
	doc, err := yamlnode.Parse([]byte("exec:\n  - command: a\n\n  - command: b\n    args_regex: [x]\n"))
	require.NoError(t, err)
	got, err := ParseEntryList(yamlnode.Get(doc.Content[0], "exec"), "exec")
	require.NoError(t, err)
	require.Equal(t, []int{2, 4}, []int{got[0].Line, got[1].Line}, "a cases file reports entries by line")
	require.Len(t, got[1].argsRx, 1, "the regexes are compiled at parse time")
	got, err = ParseEntryList(nil, "exec")
	require.NoError(t, err)
	require.Nil(t, got, "no list is no entries")
}

func TestEntry_Compile(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		e       Entry
		wantErr string
	}{
		{"exact args", Entry{Command: "helm", Args: []string{"x"}}, ""},
		{"regexes", Entry{Command: "helm", ArgsRegex: []string{"a|b", ".*"}}, ""},
		{"no command", Entry{Args: []string{"x"}}, "command is required"},
		{"both", Entry{Command: "x", Args: []string{}, ArgsRegex: []string{}}, "give args or args_regex, not both"},
		{"a bad regex", Entry{Command: "x", ArgsRegex: []string{"ok", "[z-a]"}}, "args_regex[1]: bad regex \"[z-a]\": error parsing regexp: invalid character class range: `z-a`"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := tc.e.Compile()
			if tc.wantErr != "" {
				require.EqualError(t, err, tc.wantErr)
				return
			}
			require.NoError(t, err)
			require.Len(t, got.argsRx, len(tc.e.ArgsRegex))
			require.Nil(t, tc.e.argsRx, "Compile returns a copy")
		})
	}
}

// TestEntry_Match_compiled checks that a compiled entry matches as the
// uncompiled one does (the path BenchmarkEntry_Match measures), and that
// a compiled entry whose ArgsRegex was cleared matches its Args.
func TestEntry_Match_compiled(t *testing.T) {
	t.Parallel()
	raw := Entry{Command: "kubectl", ArgsRegex: []string{"get|describe", "pods?", `-n\s*\w+`}}
	c, err := raw.Compile()
	require.NoError(t, err)
	for _, args := range [][]string{{"get", "pods", "-n db"}, {"describe", "pod", "-ndb"}, {"get", "pods"}, {"delete", "pods", "-n db"}, {"get", "pods", "-n"}} {
		require.Equal(t, raw.Match("kubectl", args), c.Match("kubectl", args), "args %q", args)
	}
	require.True(t, c.Match("kubectl", []string{"get", "pods", "-n db"}))
	c.Args, c.ArgsRegex = []string{"version"}, nil
	require.True(t, c.Match("kubectl", []string{"version"}), "Args rule once ArgsRegex is nil")
	require.False(t, Entry{Command: "x", ArgsRegex: []string{"("}}.Match("x", []string{"("}), "a bad regex matches nothing")
}

func BenchmarkEntry_Match(b *testing.B) {
	raw := Entry{Command: "kubectl", ArgsRegex: []string{"get|describe", "pods?", `-n\s*\w+`}}
	c, err := raw.Compile()
	if err != nil {
		b.Fatal(err)
	}
	args := []string{"get", "pods", "-n db"}
	for _, bc := range []struct {
		name string
		e    Entry
	}{{"compiled", c}, {"uncompiled", raw}} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if !bc.e.Match("kubectl", args) {
					b.Fatal("no match")
				}
			}
		})
	}
}

// TestMarshalEntries_roundTrip checks outputs that yaml.v3 would not read
// back as written if left to choose the style: "\n" (echo with no args)
// came back "", "\t\n" did not parse, and bytes that are not UTF-8.
func TestMarshalEntries_roundTrip(t *testing.T) {
	t.Parallel()
	entries := []Entry{
		{Command: "echo", Stdout: "\n"},
		{Command: "printf", Args: []string{"\t\n"}, Stdout: "\t\n", Stderr: "\n\nwarning\n"},
		{Command: "head", Args: []string{"-c", "2", "/dev/urandom"}, Stdout: "\xff\xfe", Stderr: "ok\n"},
	}
	out, err := MarshalEntries(entries)
	require.NoError(t, err)
	got, err := ParseEntries(out)
	require.NoError(t, err, "%s", out)
	require.Equal(t, entries, got, "written:\n%s", out)
}

// FuzzParseEntries checks that ParseEntries never panics, that its errors
// wrap ErrInvalid and carry a *yamlnode.Error, and that what it accepts
// reads back the same once MarshalEntries writes it.
func FuzzParseEntries(f *testing.F) {
	testutil.AddSeeds(f, "testdata/*.exec.yaml")
	f.Add([]byte("exec:\n  - command: x\n    args_regex: ['(']\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := ParseEntries(data)
		if err != nil {
			var ye *yamlnode.Error
			if !errors.Is(err, ErrInvalid) || !errors.As(err, &ye) {
				t.Fatalf("error %v is not an ErrInvalid with a *yamlnode.Error", err)
			}
			return
		}
		out, err := MarshalEntries(got)
		require.NoError(t, err)
		back, err := ParseEntries(out)
		require.NoError(t, err, "written:\n%s", out)
		require.Equal(t, exported(got), exported(back), "written:\n%s", out)
	})
}

// exported returns the entries' fields of the format, an empty args or
// args_regex as none (MarshalEntries leaves them out).
func exported(entries []Entry) []Entry {
	out := make([]Entry, 0, len(entries))
	for _, e := range entries {
		if len(e.Args) == 0 {
			e.Args = nil
		}
		if len(e.ArgsRegex) == 0 {
			e.ArgsRegex = nil
		}
		e.argsRx = nil
		out = append(out, e)
	}
	return out
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
