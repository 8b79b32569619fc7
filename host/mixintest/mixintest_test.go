package mixintest_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/mixbox/mixbox/host"
	"github.com/mixbox/mixbox/host/mixintest"
	"github.com/mixbox/mixbox/internal/testutil"
	"github.com/mixbox/mixbox/mixins/exec/builtin"
)

// testCtx is the context of the tests (wazero's pattern: not Background).
var testCtx = context.WithValue(context.Background(), testCtxKey{}, "mixintest")

// testCtxKey marks the tests\' context.
type testCtxKey struct{}

// cacheDir is the compiled-module cache the package's tests share: the
// built-in exec mixin compiled once (testutil.SharedCache).
var cacheDir string

func TestMain(m *testing.M) {
	dir, fill, cleanup, err := testutil.SharedCache()
	if err != nil {
		fmt.Fprintln(os.Stderr, "make the test cache:", err)
		os.Exit(2)
	}
	cacheDir = dir
	if fill {
		err := host.Precompile(testCtx, host.PrecompileOptions{CacheDir: dir, BuiltIns: map[string][]byte{"exec": builtin.Wasm()}})
		if err != nil {
			fmt.Fprintln(os.Stderr, "precompile the built-in exec mixin:", err)
			os.Exit(2)
		}
	}
	code := m.Run()
	cleanup()
	os.Exit(code)
}

// buildExecMixin returns the built-in exec mixin, the module mixbox embeds.
func buildExecMixin(t *testing.T) []byte {
	t.Helper()
	return builtin.Wasm()
}

func TestRunSuite(t *testing.T) {
	t.Parallel()
	bin := buildExecMixin(t)
	tester, err := mixintest.New(testCtx, bin, mixintest.Options{Name: "exec", CacheDir: cacheDir})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, tester.Close(testCtx)) })

	tests := []struct {
		name       string
		file       string
		run        string
		wantPassed int
		wantFailed int
		wantLines  []string // regexes, each matching a whole line of the report, in order
	}{
		{
			name: "passing cases", file: "testdata/pass.yaml", wantPassed: 6,
			wantLines: []string{
				`PASS install runs helm upgrade --install \(\d+ms\)`,
				`PASS args_regex matches each arg \(\d+ms\)`,
				`PASS a custom action is invoked with --action \(\d+ms\)`,
				`PASS a failing command fails the step \(\d+ms\)`,
				`PASS the policy refuses a command \(\d+ms\)`,
				`PASS the policy checks args \(\d+ms\)`,
				`6 passed, 0 failed`,
			},
		},
		{
			name: "--run selects cases", file: "testdata/pass.yaml", run: "custom|failing", wantPassed: 2,
			wantLines: []string{`PASS a custom action .*`, `PASS a failing command .*`, `2 passed, 0 failed`},
		},
		{
			name: "an exec table that does not match", file: "testdata/mismatch.yaml", wantFailed: 1,
			wantLines: []string{
				`FAIL upgrade keeps the release name \(\d+ms\)`,
				regexp.QuoteMeta(`    exec call 1: want helm [upgrade --install mysql bitnami/mysql]`),
				regexp.QuoteMeta(`                  got helm [upgrade --install mysql-2 bitnami/mysql]`),
				`0 passed, 1 failed`,
			},
		},
		{
			name: "strict mode", file: "testdata/strict.yaml", wantPassed: 1, wantFailed: 2,
			wantLines: []string{
				`FAIL an unexpected call fails a strict case \(\d+ms\)`,
				regexp.QuoteMeta(`    exec call 1: want no call`),
				regexp.QuoteMeta(`                  got helm [version]`),
				`FAIL an unused entry fails a strict case \(\d+ms\)`,
				regexp.QuoteMeta(`    exec call 2: want kubectl [get pods]`),
				regexp.QuoteMeta(`                  got no call`),
				`PASS a loose case allows unused entries \(\d+ms\)`,
				`1 passed, 2 failed`,
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			suite, err := mixintest.LoadCases(tc.file)
			require.NoError(t, err)
			var opts mixintest.SuiteOptions
			if tc.run != "" {
				opts.Run = regexp.MustCompile(tc.run)
			}
			var out bytes.Buffer
			sum, err := tester.RunSuite(testCtx, suite, &out, opts)
			require.NoError(t, err)
			t.Logf("report:\n%s", out.String())
			requireLines(t, out.String(), tc.wantLines)
			require.Equal(t, tc.wantPassed, sum.Passed)
			require.Equal(t, tc.wantFailed, sum.Failed)
		})
	}

	t.Run("files are the read-only bundle mount", func(t *testing.T) {
		t.Parallel()
		res, err := tester.Run(testCtx, mixintest.Case{
			Name: "helper script", Action: "install", Loose: true,
			Input: "install:\n  - exec:\n      command: helpers.sh\n      arguments: [hi]\n",
			Files: map[string]string{"helpers.sh": "#!/bin/sh\necho $1\n"},
			Exec:  []mixintest.Exec{{Command: "./helpers.sh", Args: []string{"hi"}, Stdout: "hi\n"}},
			Want:  mixintest.Want{StdoutContains: []string{"hi"}},
		})
		require.NoError(t, err)
		require.Empty(t, res.Failures, res.Stderr)
		require.Equal(t, "./helpers.sh", res.Calls[len(res.Calls)-1].Command)
	})
}

func TestTester_Run_engines_interpreter(t *testing.T) {
	t.Parallel()
	bin := buildExecMixin(t)
	suite, err := mixintest.LoadCases("testdata/pass.yaml")
	require.NoError(t, err)
	tester, err := mixintest.New(testCtx, bin, mixintest.Options{Engine: mixintest.Both, Name: "exec", CacheDir: cacheDir})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, tester.Close(testCtx)) })
	res, err := tester.Run(testCtx, suite.Cases[0])
	require.NoError(t, err)
	require.Empty(t, res.Failures)
	require.Equal(t, map[string]string{"release": "mysql"}, res.Outputs)
	require.Len(t, res.Calls, 1)
	require.Equal(t, "helm [upgrade --install mysql bitnami/mysql]", res.Calls[0].String())
}

func TestRunSuite_update_interpreter(t *testing.T) {
	t.Parallel()
	bin := buildExecMixin(t)
	file := filepath.Join(t.TempDir(), "cases.yaml")
	src, err := os.ReadFile("testdata/update.yaml")
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(file, src, 0o644))

	tester, err := mixintest.New(testCtx, bin, mixintest.Options{Engine: mixintest.Interpreter, Name: "exec"})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, tester.Close(testCtx)) })

	suite, err := mixintest.LoadCases(file)
	require.NoError(t, err)
	var out bytes.Buffer
	sum, err := tester.RunSuite(testCtx, suite, &out, mixintest.SuiteOptions{Update: true})
	require.NoError(t, err)
	require.Equal(t, 2, sum.Passed, out.String())

	got, err := os.ReadFile(file)
	require.NoError(t, err)
	t.Logf("updated:\n%s", got)
	for _, want := range []string{
		"# A new case: --update fills in exec and want.",
		"# The helm step.",
		"stdout_contains: [] # kept",
		"command: helm # this comment stays",
		"args: [install, mysql-3]",
		`stdout: "NOTES: hi\n"`,
		"notes: NOTES",
	} {
		require.Contains(t, string(got), want)
	}

	suite, err = mixintest.LoadCases(file)
	require.NoError(t, err)
	require.Equal(t, []mixintest.Exec{{Command: "helm", Args: []string{"install", "mysql"}, Line: suite.Cases[0].Exec[0].Line}}, suite.Cases[0].Exec)
	require.Equal(t, map[string]string{"notes": ""}, suite.Cases[0].Want.Outputs)
	require.Equal(t, map[string]string{"notes": "NOTES"}, suite.Cases[1].Want.Outputs)
	out.Reset()
	sum, err = tester.RunSuite(testCtx, suite, &out, mixintest.SuiteOptions{})
	require.NoError(t, err)
	require.Equal(t, 2, sum.Passed, out.String())
}

func TestNew_incompatible(t *testing.T) {
	t.Parallel()
	_, err := mixintest.New(testCtx, []byte("not wasm"), mixintest.Options{Engine: mixintest.Interpreter})
	require.ErrorIs(t, err, mixintest.ErrIncompatible)
}

// requireLines checks that each regex matches a whole line of out, in order.
func requireLines(t *testing.T, out string, wants []string) {
	t.Helper()
	lines := strings.Split(out, "\n")
	i := 0
	for _, w := range wants {
		re := regexp.MustCompile("^" + w + "$")
		for i < len(lines) && !re.MatchString(lines[i]) {
			i++
		}
		require.Less(t, i, len(lines), "no line matching %q (in order) in:\n%s", w, out)
		i++
	}
}

// TestTester_Run_defaultPolicy: a case without a policy runs under the
// policy `mixbox run` gives the mixin by default, so a case passes only if
// a run would too: the exec mixin may run what its step names, another
// mixin what its metadata declares.
func TestTester_Run_defaultPolicy(t *testing.T) {
	t.Parallel()
	guest, err := os.ReadFile("testdata/helmversion.wasm")
	require.NoError(t, err)
	declared, err := host.Pack(guest, []byte("name: helmversion\nabi: mixbox_v1\ncapabilities: {exec: [helm]}\n"))
	require.NoError(t, err)
	helm := []mixintest.Exec{{Command: "helm", Args: []string{"version", "--short"}, Stdout: "v3\n"}}
	tests := []struct {
		name       string
		bin        []byte
		mixin      string // Options.Name
		c          mixintest.Case
		wantDenied []string
	}{
		{"a mixin that declares nothing is denied", guest, "",
			mixintest.Case{Name: "c", Action: "install", Want: mixintest.Want{ExitCode: 1}}, []string{"helm"}},
		{"a mixin that declares helm may run it", declared, "",
			mixintest.Case{Name: "c", Action: "install", Exec: helm}, nil},
		{"a case's own policy wins", declared, "",
			mixintest.Case{Name: "c", Action: "install", Policy: &mixintest.Policy{Mount: true}, Want: mixintest.Want{ExitCode: 1}}, []string{"helm"}},
		{"the exec mixin may run what its step names", buildExecMixin(t), "exec",
			mixintest.Case{Name: "c", Action: "install", Input: "install:\n  - exec:\n      command: helm\n      arguments: [version, --short]\n", Exec: helm}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tester, err := mixintest.New(testCtx, tc.bin, mixintest.Options{Name: tc.mixin, CacheDir: cacheDir})
			require.NoError(t, err)
			t.Cleanup(func() { require.NoError(t, tester.Close(testCtx)) })
			res, err := tester.Run(testCtx, tc.c)
			require.NoError(t, err)
			require.Empty(t, res.Failures, "stderr:\n%s", res.Stderr)
			var denied []string
			for _, d := range res.Denied {
				denied = append(denied, d.Command)
			}
			require.Equal(t, tc.wantDenied, denied)
		})
	}
}

// TestNew_engines: Auto takes the compiler for a module the cache holds and
// the interpreter for one it does not, or with no cache; Compiler and
// Interpreter force one.
func TestNew_engines(t *testing.T) {
	t.Parallel()
	guest, err := os.ReadFile("testdata/helmversion.wasm")
	require.NoError(t, err)
	tests := []struct {
		name     string
		bin      []byte
		opts     mixintest.Options
		wantEngs string
	}{
		{"auto on a warm cache", buildExecMixin(t), mixintest.Options{CacheDir: cacheDir}, "compiler"},
		{"auto on a cold cache", guest, mixintest.Options{CacheDir: t.TempDir()}, "interpreter"},
		{"auto without a cache", buildExecMixin(t), mixintest.Options{}, "interpreter"},
		{"the compiler on a cold cache", guest, mixintest.Options{Engine: mixintest.Compiler, CacheDir: t.TempDir()}, "compiler"},
		{"the interpreter on a warm cache", buildExecMixin(t), mixintest.Options{Engine: mixintest.Interpreter, CacheDir: cacheDir}, "interpreter"},
		{"both", guest, mixintest.Options{Engine: mixintest.Both}, "compiler"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tester, err := mixintest.New(testCtx, tc.bin, tc.opts)
			require.NoError(t, err)
			t.Cleanup(func() { require.NoError(t, tester.Close(testCtx)) })
			res, err := tester.Run(testCtx, mixintest.Case{Name: "c", Action: "install", Loose: true})
			require.NoError(t, err)
			require.Equal(t, tc.wantEngs, res.Engine)
		})
	}
}
