package mixintest_test

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/mixbox/mixbox/host/internal/policy"
	"github.com/mixbox/mixbox/host/mixintest"
)

func TestParseCases(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		in       string
		want     *mixintest.Suite
		wantLine int
		wantMsg  string
	}{
		{
			name: "a full case",
			in: `mixin: ./m.wasm
cases:
  - name: one
    action: status
    input: "status: []\n"
    env: {PORTER_DEBUG: false}
    files: {a/b.txt: hi}
    strict: false
    policy:
      exec: [{command: helm, args: ['upgrade|status']}]
      env: [KUBECONFIG]
      mount: false
      memory: 64Mi
      stepTimeout: 90s
    exec:
      - command: helm
        args_regex: ['\d+']
        stdout: out
        stderr: err
        exit_code: 3
        timed_out: true
    want:
      exit_code: 1
      outputs: {a: "1"}
      stdout_contains: [x]
      stderr_contains: [y]
      denied: [kubectl]
`,
			want: &mixintest.Suite{Path: "cases.yaml", Mixin: "./m.wasm", Cases: []mixintest.Case{{
				Name: "one", Action: "status", Input: "status: []\n", Line: 3,
				Env: map[string]string{"PORTER_DEBUG": "false"}, Files: map[string]string{"a/b.txt": "hi"},
				Loose: true,
				Policy: &mixintest.Policy{
					Exec: []mixintest.Grant{{Command: "helm", Args: []string{"upgrade|status"}}},
					Env:  []string{"KUBECONFIG"}, Mount: false,
					Limits: limitsOr(mixintest.Limits{Memory: 64 << 20, StepTimeout: 90e9}, policy.Builtin()),
				},
				Exec: []mixintest.Exec{{Command: "helm", ArgsRegex: []string{`\d+`}, Stdout: "out", Stderr: "err", ExitCode: 3, TimedOut: true, Line: 16}},
				Want: mixintest.Want{ExitCode: 1, Outputs: map[string]string{"a": "1"}, StdoutContains: []string{"x"}, StderrContains: []string{"y"}, Denied: []string{"kubectl"}},
			}}},
		},
		{name: "an unknown key", in: "cases:\n  - name: a\n    action: install\n    exec:\n      - command: helm\n        arguments: [x]\n", wantLine: 6, wantMsg: `case "a": unknown key "arguments"`},
		{name: "bad yaml", in: "cases:\n  - name: a\n\taction: install\n", wantLine: 2, wantMsg: "tab character"},
		{name: "not a mapping", in: "- a\n", wantLine: 1, wantMsg: "the file: want a mapping, got a list"},
		{name: "a missing name", in: "cases:\n  - action: install\n", wantLine: 2, wantMsg: "case: name is required"},
		{name: "a missing action", in: "cases:\n  - name: a\n", wantLine: 2, wantMsg: `case "a": action is required`},
		{name: "a duplicate name", in: "cases:\n  - {name: a, action: install}\n  - {name: a, action: install}\n", wantLine: 3, wantMsg: "already used at line 2"},
		{name: "a bad regex", in: "cases:\n  - name: a\n    action: install\n    exec: [{command: x, args_regex: ['(']}]\n", wantLine: 4, wantMsg: "bad regex"},
		{name: "args and args_regex", in: "cases:\n  - name: a\n    action: install\n    exec:\n      - {command: x, args: [a], args_regex: [a]}\n", wantLine: 5, wantMsg: "not both"},
		{name: "a wrong type", in: "cases:\n  - name: a\n    action: install\n    want:\n      exit_code: zero\n", wantLine: 5, wantMsg: `want.exit_code: want an integer, got the string "zero"`},
		{name: "a file outside the mount", in: "cases:\n  - name: a\n    action: install\n    files: {../x: y}\n", wantLine: 4, wantMsg: "not a relative path"},
		{name: "a bad policy size", in: "cases:\n  - name: a\n    action: install\n    policy: {memory: lots}\n", wantLine: 4, wantMsg: "policy.memory"},
		{name: "a duplicate key", in: "cases:\n  - name: a\n    action: install\n    name: b\n", wantLine: 4, wantMsg: `case "a": name: duplicate key (first at line 2)`},
		{name: "the second exec entry", in: "cases:\n  - name: a\n    action: install\n    exec:\n      - command: x\n      - args: [y]\n", wantLine: 6, wantMsg: `case "a": exec[1]: command is required`},
		{name: "an unknown key is at its line", in: "cases:\n  - name: a\n    action: install\n    want:\n      nope:\n        - x\n", wantLine: 5, wantMsg: `case "a": unknown key "nope" (want one of: exit_code,`},
		{name: "a list item", in: "cases:\n  - name: a\n    action: install\n    want:\n      denied: [x, [y]]\n", wantLine: 5, wantMsg: `want.denied[1]: want a string, got a list`},
		{name: "a null case", in: "cases:\n  - ~\n", wantLine: 2, wantMsg: `case: want a mapping, got nothing`},
		{name: "an unknown policy key", in: "cases:\n  - name: a\n    action: install\n    policy:\n      exec: []\n      nope: 1\n", wantLine: 6, wantMsg: `unknown key "nope"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := mixintest.ParseCases("cases.yaml", []byte(tc.in))
			if tc.want == nil {
				require.ErrorIs(t, err, mixintest.ErrCases)
				var ce *mixintest.CasesError
				require.True(t, errors.As(err, &ce))
				require.Equal(t, tc.wantLine, ce.Line, err.Error())
				require.Contains(t, err.Error(), tc.wantMsg)
				return
			}
			require.NoError(t, err)
			for i := range got.Cases {
				got.Cases[i] = stripNode(got.Cases[i])
			}
			got = &mixintest.Suite{Path: got.Path, Mixin: got.Mixin, Cases: got.Cases}
			require.Equal(t, tc.want, got)
		})
	}
}

func TestLoadCases_file(t *testing.T) {
	t.Parallel()
	_, err := mixintest.LoadCases("testdata/bad.yaml")
	require.ErrorIs(t, err, mixintest.ErrCases)
	require.EqualError(t, err, `invalid cases file: testdata/bad.yaml:6: case "fine": unknown key "arguments" (want one of: command, args, args_regex, stdout, stderr, exit_code, timed_out)`)

	s, err := mixintest.LoadCases("testdata/pass.yaml")
	require.NoError(t, err)
	require.Equal(t, "", s.MixinPath())
}

// limitsOr is l with its zero fields taken from the host's base.
func limitsOr(l mixintest.Limits, base policy.Limits) mixintest.Limits {
	return mixintest.Limits(policy.Limits(l).Or(base))
}

// stripNode drops the unexported yaml node of a parsed case, to compare it.
func stripNode(c mixintest.Case) mixintest.Case {
	return mixintest.Case{
		Name: c.Name, Action: c.Action, Input: c.Input, Env: c.Env, Files: c.Files, Exec: c.Exec,
		Loose: c.Loose, Policy: c.Policy, Want: c.Want, Line: c.Line,
	}
}

func TestParseCases_noCasesKey(t *testing.T) {
	t.Parallel()
	_, err := mixintest.ParseCases("nocases.yaml", []byte("mixin: x.wasm\n"))
	require.ErrorIs(t, err, mixintest.ErrCases)
	require.Contains(t, err.Error(), "nocases.yaml:1: no cases: key")
}

func TestSuite_MixinPath(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "beside.wasm"), nil, 0o644))
	s := &mixintest.Suite{Path: filepath.Join(dir, "cases.yaml"), Mixin: "beside.wasm"}
	require.Equal(t, filepath.Join(dir, "beside.wasm"), s.MixinPath(), "beside the cases file first")
	s = &mixintest.Suite{Path: filepath.Join(dir, "cases.yaml"), Mixin: "cases_test.go"}
	require.Equal(t, "cases_test.go", s.MixinPath(), "else from the working directory")
}
