package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

type testCtxKey struct{}

// testCtx is a non-Background context, as in wazero's tests.
var testCtx = context.WithValue(context.Background(), testCtxKey{}, "testfmt") //nolint:gochecknoglobals // test context

// TestMain lets the test binary stand in for `go` (the re-exec trick): with
// TESTFMT_FAKE_GO set it prints that file as go test's stdout, writes its
// arguments to TESTFMT_FAKE_ARGS and exits with TESTFMT_FAKE_EXIT.
func TestMain(m *testing.M) {
	if stream := os.Getenv("TESTFMT_FAKE_GO"); stream != "" {
		data, err := os.ReadFile(stream)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(99)
		}
		_ = os.WriteFile(os.Getenv("TESTFMT_FAKE_ARGS"), []byte(strings.Join(os.Args[1:], " ")), 0o644)
		_, _ = os.Stdout.Write(data)
		fmt.Fprint(os.Stderr, os.Getenv("TESTFMT_FAKE_STDERR"))
		code, _ := strconv.Atoi(os.Getenv("TESTFMT_FAKE_EXIT"))
		os.Exit(code)
	}
	os.Exit(m.Run())
}

func TestRun(t *testing.T) {
	self, err := os.Executable()
	require.NoError(t, err)
	tests := []struct {
		name     string
		args     []string // after "testfmt"
		stdin    string
		stream   string // what the fake go prints
		stderr   string // what it prints on stderr
		exit     int    // and its exit status
		want     int
		wantLast string
		wantErr  string // on testfmt's stderr
	}{
		{name: "passing packages", args: []string{"-go", self, "--", "-race", "./..."}, stream: passA + noTestsD, want: exitOK, wantLast: "1 packages ok, 0 failed"},
		{name: "a failing test", args: []string{"-go", self, "--", "./..."}, stream: passA + failB, exit: 1, want: exitFailed, wantLast: "1 packages ok, 1 failed: TestBad/sub (m/b)"},
		{name: "a build failure", args: []string{"-go", self, "--", "./..."}, stream: buildFailC, exit: 1, want: exitFailed, wantLast: "0 packages ok, 1 failed: build failed (m/c)"},
		{name: "go test fails with passing events", args: []string{"-go", self, "--", "./..."}, stream: passA, exit: 2, want: exitFailed, wantLast: "1 packages ok, 0 failed: go test: exit status 2 (above)"},
		{name: "stderr outside the events", args: []string{"-go", self, "--", "./nope"}, stderr: "pattern ./nope: no matching packages\n", exit: 1, want: exitFailed, wantLast: "0 packages ok, 0 failed: 1 lines that are not test events (above)"},
		{name: "stdin", args: nil, stdin: passA + failB, want: exitFailed, wantLast: "1 packages ok, 1 failed: TestBad/sub (m/b)"},
		{name: "stdin passing", args: nil, stdin: passA, want: exitOK, wantLast: "1 packages ok, 0 failed"},
		{name: "an unknown flag", args: []string{"-nope"}, want: exitUsage, wantErr: "flag provided but not defined: -nope"},
		{name: "no go command", args: []string{"-go", filepath.Join(t.TempDir(), "nogo"), "--", "./..."}, want: exitFailed, wantErr: "error: run go test: "},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			stream := filepath.Join(dir, "stream")
			require.NoError(t, os.WriteFile(stream, []byte(tc.stream), 0o644))
			argsFile := filepath.Join(dir, "args")
			t.Setenv("TESTFMT_FAKE_GO", stream)
			t.Setenv("TESTFMT_FAKE_ARGS", argsFile)
			t.Setenv("TESTFMT_FAKE_STDERR", tc.stderr)
			t.Setenv("TESTFMT_FAKE_EXIT", strconv.Itoa(tc.exit))
			var stdout, stderr bytes.Buffer
			got := run(testCtx, append([]string{"testfmt"}, tc.args...), strings.NewReader(tc.stdin), &stdout, &stderr)
			require.Equal(t, tc.want, got, "stdout:\n%s\nstderr:\n%s", stdout.String(), stderr.String())
			if tc.wantErr != "" {
				require.Contains(t, stderr.String(), tc.wantErr)
				return
			}
			lines := strings.Split(strings.TrimSuffix(stdout.String(), "\n"), "\n")
			require.Equal(t, tc.wantLast, lines[len(lines)-1], stdout.String())
			if len(tc.args) > 0 {
				gotArgs, err := os.ReadFile(argsFile)
				require.NoError(t, err)
				require.Equal(t, "test -json "+strings.Join(tc.args[3:], " "), string(gotArgs))
			}
		})
	}
}

// TestRun_compilesRealGoTest runs the real `go test -json` on a small
// module with a passing, a failing and a non-compiling package, so the
// formatter is checked against the events of the toolchain in use.
func TestRun_compilesRealGoTest(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles three test binaries")
	}
	dir := t.TempDir()
	files := map[string]string{
		"go.mod":          "module tfx\n\ngo 1.24\n",
		"ok/ok_test.go":   "package ok\n\nimport \"testing\"\n\nfunc TestFine(t *testing.T) { t.Log(\"quiet\") }\n",
		"bad/bad_test.go": "package bad\n\nimport \"testing\"\n\nfunc TestBroken(t *testing.T) {\n\tt.Run(\"case\", func(t *testing.T) { t.Fatal(\"the failure message\") })\n}\n",
		"nc/nc_test.go":   "package nc\n\nimport \"testing\"\n\nfunc TestX(t *testing.T) { undefinedThing() }\n",
	}
	for name, src := range files {
		p := filepath.Join(dir, name)
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte(src), 0o644))
	}
	t.Chdir(dir)
	var stdout, stderr bytes.Buffer
	got := run(testCtx, []string{"testfmt", "--", "-count=1", "./..."}, nil, &stdout, &stderr)
	out := stdout.String()
	require.Equal(t, exitFailed, got, "stdout:\n%s\nstderr:\n%s", out, stderr.String())
	require.Contains(t, out, "ok    tfx/ok  ")
	require.Contains(t, out, "FAIL  tfx/bad  ")
	require.Contains(t, out, "the failure message")
	require.Contains(t, out, "FAIL  tfx/nc  [build failed]")
	require.Contains(t, out, "undefined: undefinedThing")
	require.NotContains(t, out, "quiet", "a passing test's log is printed")
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	require.Equal(t, "1 packages ok, 2 failed: TestBroken/case (tfx/bad), build failed (tfx/nc)", lines[len(lines)-1], out)
}
