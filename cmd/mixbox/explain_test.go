package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestExplainCLI drives `mixbox explain` as an author would: which form
// each mixin resolves to follows --prefer, --mixins-dir and $PORTER_HOME as
// `mixbox run` does.
func TestExplainCLI(t *testing.T) {
	t.Parallel()
	manifest := strings.Replace(lintHead, "helm3", "helm3@v3.1.0", 1) + `parameters:
  - {name: password, sensitive: true, default: s3cr3t-Q9}
install:
  - exec: {command: echo}
  - helm3: {chart: x}
`
	dir := writeLintBundle(t, manifest, map[string]string{"mixins/exec/runtimes/exec-runtime": "#!/bin/sh\n"})
	file := filepath.Join(dir, "porter.yaml")
	other := writeLintBundle(t, "unused: true\n", map[string]string{"mixins/helm3/runtimes/helm3-runtime": "#!/bin/sh\n"})
	env := func(extra ...string) []string {
		return append([]string{"PATH=/usr/bin:/bin", "HOME=" + t.TempDir()}, extra...)
	}
	mixin := func(t *testing.T, out, name string) map[string]any {
		t.Helper()
		var x struct{ Mixins []map[string]any }
		require.NoError(t, json.Unmarshal([]byte(out), &x), out)
		for _, m := range x.Mixins {
			if m["name"] == name {
				return m
			}
		}
		t.Fatalf("no mixin %s in %s", name, out)
		return nil
	}
	tests := []struct {
		name            string
		env             []string
		args            []string
		wantExec        string
		wantHelm        string
		wantHelmProblem string
	}{
		{"wasm first", env(), nil, "wasm, built-in", "", "not installed: looked in " + filepath.Join(dir, "mixins", "helm3")},
		{"prefer native", env(), []string{"--prefer", "native"}, "native, unsandboxed", "", "not installed"},
		{"mixins dir", env(), []string{"--mixins-dir", filepath.Join(other, "mixins")}, "wasm, built-in", "native, unsandboxed", ""},
		{"PORTER_HOME", env("PORTER_HOME=" + other), nil, "wasm, built-in", "native, unsandboxed", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			args := append([]string{"explain", "-f", file, "-o", "json"}, tc.args...)
			code, stdout, stderr := runCLI(t, tc.env, args...)
			require.Equal(t, 0, code, stderr)
			require.Equal(t, tc.wantExec, mixin(t, stdout, "exec")["form"])
			helm := mixin(t, stdout, "helm3")
			require.Equal(t, "v3.1.0", helm["version"])
			if tc.wantHelm != "" {
				require.Equal(t, tc.wantHelm, helm["form"])
			}
			if tc.wantHelmProblem != "" {
				require.Contains(t, helm["problem"], tc.wantHelmProblem)
			}
			require.NotContains(t, stdout, "s3cr3t-Q9", "a sensitive default is masked")
		})
	}

	code, stdout, stderr := runCLI(t, env(), "explain", "-f", file)
	require.Equal(t, 0, code, stderr)
	require.Contains(t, stdout, "Name:     b\nVersion:  0.1.0\n")
	require.Contains(t, stdout, "\n  install  core  2      yes       no\n")
	require.Contains(t, stdout, "  password  string  *******  no        yes        all actions  env PASSWORD\n")
	require.Contains(t, stdout, "  exec          1      wasm, built-in\n")
	require.NotContains(t, stdout, "s3cr3t-Q9")
}

// TestReviewCLI_usage: explain and lint refuse bad flags and arguments with
// exit 2, and a manifest that is not there with exit 1 and a hint.
func TestReviewCLI_usage(t *testing.T) {
	t.Parallel()
	dir := writeLintBundle(t, lintHead+"install: []\n", nil)
	file := filepath.Join(dir, "porter.yaml")
	for _, cmd := range []string{"explain", "lint"} {
		tests := []struct {
			name     string
			args     []string
			wantCode int
			wantErr  string
		}{
			{"bad output", []string{"-f", file, "-o", "yaml"}, 2, `error: -o must be text or json, got "yaml"`},
			{"bad prefer", []string{"-f", file, "--prefer", "both"}, 2, `error: --prefer must be wasm or native, got "both"`},
			{"an argument", []string{file}, 2, "takes no arguments"},
			{"an unknown flag", []string{"--cnab-root", dir}, 2, "flag provided but not defined: -cnab-root"},
			{"no manifest", []string{"-f", filepath.Join(dir, "nope.yaml")}, 1, "no such file or directory\nhint: name the manifest, or run from the bundle directory"},
		}
		for _, tc := range tests {
			t.Run(cmd+"/"+tc.name, func(t *testing.T) {
				t.Parallel()
				code, stdout, stderr := runCLI(t, nil, append([]string{cmd}, tc.args...)...)
				require.Equal(t, tc.wantCode, code, stdout+stderr)
				require.Contains(t, stderr, tc.wantErr)
				require.Empty(t, stdout)
			})
		}
	}
	// Flags may follow the command's other flags in any order.
	code, stdout, stderr := runCLI(t, nil, "lint", "-o", "json", "-f", file)
	require.Equal(t, 0, code, stderr)
	require.Contains(t, stdout, `"code": "mixbox-113"`)
}

// TestHelp_listsExplainAndLint: `mixbox help` names both commands.
func TestHelp_listsExplainAndLint(t *testing.T) {
	t.Parallel()
	code, stdout, stderr := runCLI(t, nil, "help")
	require.Equal(t, 0, code, stderr)
	require.Regexp(t, `(?m)^\s+explain\s+describe a bundle`, stdout)
	require.Regexp(t, `(?m)^\s+lint\s+check a bundle`, stdout)
	code, stdout, _ = runCLI(t, nil, "lint", "--help")
	require.Equal(t, 0, code)
	for _, flag := range []string{"--file value, -f value", "--output value, -o value", "--mixins-dir", "--prefer"} {
		require.Contains(t, stdout, flag)
	}
}
