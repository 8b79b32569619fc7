package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

const failingManifest = `schemaVersion: 1.0.1
name: seven
version: 0.1.0
registry: localhost:5000
mixins:
  - exec
install:
  - exec:
      description: First
      command: ./ok.sh
  - exec:
      description: Fail
      command: ./fail.sh
upgrade:
  - exec:
      description: Not executable
      command: ./noexec.sh
uninstall:
  - exec: {command: "true"}
`

// TestRun_failureMessages: what a failing step prints, once each: the
// mixin's own lines (twice, as Porter's mixins print them), then mixbox's
// final line naming the command and its own exit code, and a summary that
// says which step failed. A bundle script without the execute bit says to
// chmod +x it.
func TestRun_failureMessages(t *testing.T) {
	t.Parallel()
	files := map[string]string{
		"cnab/app/ok.sh":   "#!/bin/sh\necho ok\n",
		"cnab/app/fail.sh": "#!/bin/sh\necho failing >&2\nexit 3\n",
	}
	tests := []struct {
		name       string
		action     string
		native     bool
		wantStdout []string
		wantStderr []string // whole lines, in order
	}{
		{name: "a failing script", action: "install",
			wantStdout: []string{"step 2/2 failed: exec (wasm, built-in)", "failed at step 2 of 2 in "},
			wantStderr: []string{
				"failing",
				"Error: error running command /cnab/app ./fail.sh: exit status 3",
				"error running command /cnab/app ./fail.sh: exit status 3",
				"error: install step 2 failed (exec, wasm, built-in): ./fail.sh exited with code 3 (exec exited with code 1)",
			}},
		{name: "a failing script, native", action: "install", native: true,
			wantStdout: []string{"step 2/2 failed: exec (native, unsandboxed)", "failed at step 2 of 2 in "},
			wantStderr: []string{
				"failing",
				"Error: error running command /cnab/app ./fail.sh: exit status 3",
				"error running command /cnab/app ./fail.sh: exit status 3",
				"error: install step 2 failed (exec, native, unsandboxed): mixin failed: exec-runtime install exited with code 1",
			}},
		{name: "a script without the execute bit", action: "upgrade",
			wantStdout: []string{"failed at step 1 of 1 in "},
			wantStderr: []string{
				"Error: couldn't run command /cnab/app ./noexec.sh: /cnab/app/noexec.sh: permission denied: it is not executable; run chmod +x noexec.sh in the bundle directory",
				"error: upgrade step 1 failed (exec, wasm, built-in): ./noexec.sh could not start: /cnab/app/noexec.sh: permission denied: it is not executable; run chmod +x noexec.sh in the bundle directory (exec exited with code 1)",
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			root := newRoot(t, failingManifest, files)
			require.NoError(t, os.WriteFile(filepath.Join(root, "cnab/app/noexec.sh"), []byte("#!/bin/sh\necho hi\n"), 0o644))
			args := []string{"run", "--cnab-root", root, "--action", tc.action}
			if tc.native {
				installNativeExec(t, root)
				args = append(args, "--prefer", "native")
			}
			code, stdout, stderr := runCLI(t, nil, args...)
			require.Equal(t, 1, code, "Porter's exit code for a failed step, whatever the command's")
			requireInOrder(t, stdout, tc.wantStdout)
			require.NotContains(t, stdout, "ran 2 of 2 steps")
			requireLinesInOrder(t, stderr, tc.wantStderr)
			require.Equal(t, 1, strings.Count(stderr, "\nerror: "), "one final line:\n%s", stderr)
			require.LessOrEqual(t, strings.Count(stderr, "error running command"), 2, "the mixin's lines are not repeated:\n%s", stderr)
			require.NotContains(t, stdout+stderr, root, "the host path of the bundle is not shown")
		})
	}
}

// TestRun_localRunWithoutRoot: running in a bundle directory on a machine
// that is not an invocation image, without --cnab-root, says so and what to
// do, and writes nothing under /cnab.
func TestRun_localRunWithoutRoot(t *testing.T) {
	t.Parallel()
	if _, err := os.Stat("/cnab/app"); err == nil {
		t.Skip("this machine has /cnab/app: it is an invocation image")
	}
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "porter.yaml"), []byte(failingManifest), 0o644))
	code, stdout, stderr := runCLI(t, nil, "run", "-f", filepath.Join(dir, "porter.yaml"), "--action", "install")
	require.Equal(t, 2, code, stdout+stderr)
	require.Equal(t, "error: this looks like a local run: /cnab/app does not exist, and without a CNAB root mixbox runs the bundle there, as in an invocation image\n"+
		"hint: pass --cnab-root ROOT (or set MIXBOX_CNAB_ROOT) with the bundle at ROOT/cnab/app\n", stderr)
	require.Empty(t, stdout)
	require.NoDirExists(t, "/cnab/app")
}

// TestCLI_firstHourErrors: the other errors of the first hour, each with
// what to do.
func TestCLI_firstHourErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	notWasm := filepath.Join(dir, "porter.yaml")
	require.NoError(t, os.WriteFile(notWasm, []byte(failingManifest), 0o644))
	native := builds.Binary(t, "./mixins/exec/cmd/exec-runtime", "exec-runtime")
	typo := strings.Replace(failingManifest, "command: ./ok.sh", "command: ./ok.sh\n  - exca: {command: echo}", 1)
	typoBoth := strings.NewReplacer("  - exec\n", "  - exce\n", "  - exec:", "  - exce:", "  - exec: {", "  - exce: {").Replace(failingManifest)
	tests := []struct {
		name       string
		manifest   string // a bundle to run install of, or "" for args alone
		args       []string
		wantCode   int
		wantStdout string
		wantStderr []string // substrings
	}{
		{name: "--version", args: []string{"--version"}, wantStdout: "mixbox "},
		{name: "-v", args: []string{"-v"}, wantStdout: " (ABI mixbox_v1, "},
		{name: "a typo'd step mixin", manifest: typo, wantCode: 1,
			wantStderr: []string{`step 2 of install uses mixin "exca", which is not declared; did you mean exec? Else add exca to the mixins list`}},
		{name: "a typo'd mixin everywhere", manifest: typoBoth, wantCode: 1,
			wantStderr: []string{"error: mixin exce is not installed: looked in ", "; did you mean exec?\n"}},
		{name: "inspect a manifest", args: []string{"mixin", "inspect", notWasm}, wantCode: 3,
			wantStderr: []string{"error: incompatible mixin: " + notWasm + " is not a WebAssembly module: it does not start with the bytes 00 61 73 6d"}},
		{name: "inspect a native runtime", args: []string{"mixin", "inspect", native}, wantCode: 3,
			wantStderr: []string{" is not a WebAssembly module: it is a native executable (a NAME-runtime for Porter?); inspect its wasm build, NAME-runtime.wasm\n"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			args := tc.args
			if tc.manifest != "" {
				args = []string{"run", "--cnab-root", newRoot(t, tc.manifest, nil), "--action", "install"}
			}
			code, stdout, stderr := runCLI(t, nil, args...)
			require.Equal(t, tc.wantCode, code, "stdout:\n%s\nstderr:\n%s", stdout, stderr)
			if tc.wantStdout != "" {
				require.Contains(t, stdout, tc.wantStdout)
			}
			for _, w := range tc.wantStderr {
				require.Contains(t, stderr, w)
			}
			if tc.wantCode == 3 {
				require.Empty(t, stdout, "nothing is described before saying it is not a module")
			}
		})
	}
}

// TestMixinTest_updateFailing: --update that records a failing run reports
// it as a failure; the recorded case then passes on its own.
func TestMixinTest_updateFailing(t *testing.T) {
	t.Parallel()
	wasm := execMixinWasm(t)
	file := filepath.Join(t.TempDir(), "cases.yaml")
	require.NoError(t, os.WriteFile(file, []byte(`cases:
  - name: helm status fails
    action: install
    input: |
      install:
        - exec:
            command: helm
            arguments: [status]
    exec:
      - command: helm
        args: [status]
        stderr: "Error: release: not found\n"
        exit_code: 1
`), 0o644))
	code, stdout, stderr := runMixinCLI(t, nil, "mixin", "test", wasm, "--cases", file, "--update")
	require.Equal(t, 1, code, stdout+stderr)
	requireLinesInOrder(t, stdout, []string{
		"    recorded a failing run: the mixin exited with code 1, which the case now wants; if the failure is what the case tests, run it again without --update",
		"      | Error: release: not found",
		"0 passed, 1 failed",
	})
	require.Contains(t, stdout, "FAIL helm status fails (")
	got, err := os.ReadFile(file)
	require.NoError(t, err)
	require.Contains(t, string(got), "    want:\n      exit_code: 1\n")
	code, stdout, stderr = runMixinCLI(t, nil, "mixin", "test", wasm, "--cases", file)
	require.Equal(t, 0, code, stdout+stderr)
	require.Contains(t, stdout, "1 passed, 0 failed")
}
