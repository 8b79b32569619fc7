package review

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/mixbox/mixbox/host/internal/wasm"
	"github.com/mixbox/mixbox/internal/suggest"
	"github.com/mixbox/mixbox/internal/testutil"
	"github.com/mixbox/mixbox/mixins/exec"
)

// testCtx is the tests' context (wazero's pattern: not Background).
var testCtx = context.WithValue(context.Background(), testCtxKey{}, "review")

type testCtxKey struct{}

// head is the first five lines of every manifest of the tests; a case's
// own lines start at line 6.
const head = "schemaVersion: 1.0.1\nname: b\nversion: 0.1.0\nregistry: localhost:5000\nmixins: [exec]\n"

// file is a file of a test bundle.
type file struct {
	data string
	mode os.FileMode
}

// writeBundle lays out a bundle directory: porter.yaml and files.
func writeBundle(t *testing.T, manifestText string, files map[string]file) string {
	t.Helper()
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "porter.yaml"), []byte(manifestText), 0o644))
	for name, f := range files {
		p := filepath.Join(dir, name)
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte(f.data), f.mode))
	}
	return dir
}

// execOptions are the options cmd/mixbox gives: the built-in exec mixin,
// its schema and its own lint.
func execOptions(dir string) Options {
	return Options{
		ManifestPath: filepath.Join(dir, "porter.yaml"),
		BuiltIns:     map[string][]byte{"exec": []byte("not read: built-ins are not inspected")},
		Version:      "test",
		Schemas:      map[string]string{"exec": exec.Schema()},
		Linters: map[string]Linter{"exec": func(in []byte) ([]byte, error) {
			var out bytes.Buffer
			err := exec.PrintLint(&out, in)
			return out.Bytes(), err
		}},
	}
}

// packed returns testdata/abi/exit0.wasm (an accepted module) with meta as
// its mixbox.mixin section; "" leaves it without one.
func packed(t *testing.T, meta string) string {
	t.Helper()
	bin, err := os.ReadFile(filepath.Join(testutil.ModuleRoot(t), "testdata", "abi", "exit0.wasm"))
	require.NoError(t, err)
	if meta == "" {
		return string(bin)
	}
	out, err := wasm.Pack(bin, []byte(meta))
	require.NoError(t, err)
	return string(out)
}

func TestLint(t *testing.T) {
	t.Parallel()
	const helm = "mixins/helm3/runtimes/helm3-runtime.wasm"
	tests := []struct {
		name     string
		manifest string
		files    map[string]file
		// want lists the findings as "LEVEL CODE LINE", in order.
		want []string
		// wantMsg is in the message of the first finding; wantHint in its hint.
		wantMsg, wantHint string
	}{
		{name: "clean", manifest: head + `parameters:
  - {name: who, default: you}
install:
  - exec:
      description: "Greet"
      command: ./greet.sh
      arguments: ["${ bundle.parameters.who }"]
      outputs:
        - {name: greeting, regex: "(.*)"}
  - exec:
      command: echo
      arguments: ["${ bundle.outputs.greeting } ${ installation.name } ${ env.HOME } ${ bundle.name }"]
uninstall:
  - exec: {command: echo, arguments: [bye]}
`, files: map[string]file{"greet.sh": {"#!/bin/sh\n", 0o755}}},
		{name: "a typo'd key", manifest: head + `install:
  - exec:
      command: ./greet.sh
      argumnets: [hi]
`, files: map[string]file{"greet.sh": {"#!/bin/sh\n", 0o755}},
			want: []string{"error mixbox-101 9"}, wantMsg: `install step 1: exec has no key "argumnets"; did you mean "arguments"?`,
			wantHint: "rename it to arguments"},
		{name: "a key in another case", manifest: head + `install:
  - exec:
      command: "false"
      ignoreError: {exitcodes: [1]}
`, want: []string{"error mixbox-101 9"}, wantMsg: `exec ignoreError has no key "exitcodes"; did you mean "exitCodes"?`},
		{name: "an unknown key", manifest: head + `install:
  - exec:
      command: echo
      outputs:
        - {name: o, regex: "(.*)", sensitive: false}
`, want: []string{"warning mixbox-102 10"}, wantMsg: `exec outputs[0] has no key "sensitive"`, wantHint: "jsonPath, name, path, regex"},
		{name: "a custom action's step", manifest: head + `install: []
status:
  - exec: {command: echo, flgas: {a: b}}
`, want: []string{"error mixbox-101 8"}, wantMsg: `status step 1: exec has no key "flgas"; did you mean "flags"?`},
		{name: "settings of the wrong type", manifest: head + `parameters: [{name: quiet, type: boolean, default: false}]
install:
  - exec:
      command: echo
      arguments: {a: b}
      suppress-output: "yes"
      ignoreError: {exitCodes: [1, "2"]}
      outputs: oops
  - exec: {command: echo, arguments: [1, true, ~], suppress-output: "${ bundle.parameters.quiet }"}
`, want: []string{"error mixbox-103 10", "error mixbox-103 11", "error mixbox-103 12", "error mixbox-103 13"},
			wantMsg: "install step 1: exec arguments must be a list, got a mapping", wantHint: "write it as a list"},
		{name: "flags and envs take any key", manifest: head + `install:
  - exec: {command: echo, flags: {anything: x}, envs: {ANY: y}}
`},
		{name: "an undeclared mixin", manifest: head + `install:
  - exce: {command: echo}
`, want: []string{"error mixbox-110 7"}, wantMsg: `install step 1 uses mixin "exce", which mixins: does not declare`, wantHint: `did you mean "exec"?`},
		{name: "a mixin not installed", manifest: strings.Replace(head, "[exec]", "[exec, helm3]", 1) + `install:
  - helm3: {chart: x}
  - helm3: {chart: y}
`, want: []string{"error mixbox-111 7"}, wantMsg: "install step 1: mixin helm3 is not installed: looked in", wantHint: "install it as"},
		{name: "a declared mixin no step uses", manifest: strings.Replace(head, "[exec]", "[exec, helm3]", 1) + "install: []\n",
			want: []string{"warning mixbox-113 5"}, wantMsg: "mixin helm3 is declared but no step uses it"},
		{name: "a refused module", manifest: strings.Replace(head, "[exec]", "[exec, helm3]", 1) + `install:
  - helm3: {chart: x}
`, files: map[string]file{helm: {"not wasm", 0o644}}, want: []string{"error mixbox-112 7"}, wantMsg: "wasm module"},
		{name: "grants the default policy withholds", manifest: strings.Replace(head, "[exec]", "[exec, helm3]", 1) + `credentials:
  - {name: token, env: TOKEN}
install:
  - helm3: {chart: x}
`, files: map[string]file{helm: {packed(t, "name: helm3\ncapabilities: {exec: [helm, '*'], env: [KUBECONFIG, TOKEN]}\n"), 0o644}},
			want: []string{"warning mixbox-140 9", "warning mixbox-140 9"}, wantMsg: `mixin helm3 declares exec "*", which the default policy does not grant`,
			wantHint: `mixins: {helm3: {exec: [{command: "*"}]}}`},
		{name: "grants the default policy gives", manifest: strings.Replace(head, "[exec]", "[exec, helm3]", 1) + `install:
  - helm3: {chart: x}
`, files: map[string]file{helm: {packed(t, "name: helm3\ncapabilities: {exec: [helm], env: [KUBECONFIG]}\n"), 0o644}}},
		{name: "no declaration", manifest: strings.Replace(head, "[exec]", "[exec, helm3]", 1) + `install:
  - helm3: {chart: x}
`, files: map[string]file{helm: {packed(t, ""), 0o644}}, want: []string{"warning mixbox-141 7"}, wantMsg: "declares no capabilities"},
		{name: "a template naming nothing", manifest: head + `parameters:
  - {name: who, default: you}
credentials:
  - {name: token, env: TOKEN}
install:
  - exec:
      command: echo
      arguments:
        - "${ bundle.parameters.whom }"
        - "${ bundle.credentials.tokn }"
        - "${ bundle.nmae }"
        - "${ installation.nme } ${ bundle.custom.x } ${ bundel.name }"
`, want: []string{"error mixbox-120 14", "error mixbox-120 15", "error mixbox-120 16", "error mixbox-120 17", "error mixbox-120 17", "error mixbox-120 17"},
			wantMsg: `the template names bundle.parameters.whom, which does not exist: the manifest declares no parameter whom (did you mean "who"?)`},
		{name: "a parameter of another action", manifest: head + `parameters:
  - {name: only, default: x, applyTo: [upgrade]}
install:
  - exec: {command: echo, arguments: ["${ bundle.parameters.only }"]}
`, want: []string{"error mixbox-121 9"}, wantMsg: "parameter only does not apply to the install action (applyTo: upgrade)"},
		{name: "an output set later in the action", manifest: head + `install:
  - exec: {command: echo, arguments: ["${ bundle.outputs.o }"]}
  - exec:
      command: echo
      outputs: [{name: o, regex: "(.*)"}]
`, want: []string{"error mixbox-122 7"}, wantMsg: "install step 1: bundle.outputs.o is set by step 2, after this step uses it"},
		{name: "an output of the step itself", manifest: head + `install:
  - exec:
      command: echo
      arguments: ["${ bundle.outputs.o }"]
      outputs: [{name: o, regex: "(.*)"}]
`, want: []string{"error mixbox-122 9"}, wantMsg: "bundle.outputs.o is set by this same step, which cannot use it"},
		{name: "a step output of another action", manifest: head + `install:
  - exec:
      command: echo
      outputs: [{name: o, regex: "(.*)"}]
uninstall:
  - exec: {command: echo, arguments: ["${ bundle.outputs.o }"]}
`, want: []string{"error mixbox-122 11"}, wantMsg: "is set only in install, and is not a bundle output, so it does not persist to uninstall"},
		{name: "a bundle output persisted by another action", manifest: head + `outputs:
  - {name: o, applyTo: [install]}
install:
  - exec:
      command: echo
      outputs: [{name: o, regex: "(.*)"}]
uninstall:
  - exec: {command: echo, arguments: ["${ bundle.outputs.o }"]}
`},
		{name: "a bundle output no step sets", manifest: head + `outputs:
  - {name: o}
  - {name: d, default: ""}
upgrade:
  - exec: {command: echo, arguments: ["${ bundle.outputs.o } ${ bundle.outputs.d }"]}
`, want: []string{"warning mixbox-123 10"}, wantMsg: "bundle.outputs.o is a bundle output that no step of any action sets, so it renders null"},
		{name: "install uses an output of a later action", manifest: head + `outputs:
  - {name: o}
install:
  - exec: {command: echo, arguments: ["${ bundle.outputs.o }"]}
upgrade:
  - exec:
      command: echo
      outputs: [{name: o, regex: "(.*)"}]
`, want: []string{"warning mixbox-123 9"}, wantMsg: "is set only in upgrade; install runs first"},
		{name: "a line inside a literal block", manifest: head + `install:
  - exec:
      command: bash
      arguments:
        - |
          echo one
          echo ${ bundle.parameters.nope }
`, want: []string{"error mixbox-120 12"}},
		{name: "alpha.1 templates", manifest: strings.Replace(head, "1.0.1", "1.0.0-alpha.1", 1) + `install:
  - exec: {command: echo, arguments: ["{{ bundle.parameters.nope }}", "${ not.a.tag }"]}
`, want: []string{"error mixbox-120 7"}},
		{name: "a script without the execute bit", manifest: head + `install:
  - exec: {command: ./helpers.sh}
  - exec: {command: helpers.sh}
  - exec: {command: /cnab/app/helpers.sh}
  - exec: {command: run.sh, dir: sub}
`, files: map[string]file{"helpers.sh": {"#!/bin/sh\n", 0o644}, "sub/run.sh": {"#!/bin/sh\n", 0o600}},
			want:    []string{"error mixbox-130 7", "error mixbox-130 8", "error mixbox-130 9", "error mixbox-130 10"},
			wantMsg: "install step 1: command ./helpers.sh is a bundle file without the execute bit", wantHint: "chmod +x "},
		{name: "a script that is not there", manifest: head + `parameters: [{name: cmd, default: ./x.sh}]
install:
  - exec: {command: ./missing.sh}
  - exec: {command: not-on-path-nor-in-bundle}
  - exec: {command: /usr/bin/env}
  - exec: {command: "${ bundle.parameters.cmd }"}
`, want: []string{"warning mixbox-131 8"}, wantMsg: "command ./missing.sh names "},
		{name: "the exec mixin's own lint", manifest: head + `install:
  - exec:
      command: bash
      flags: {c: echo hi}
`, want: []string{"warning exec-100 7", "error exec-101 7"}, wantMsg: "install step 1: Best Practice: Avoid Embedded Bash"},
		{name: "a broken manifest", manifest: head + "install:\n  - exec:\n    a: b: c\n", want: []string{"error mixbox-100 8"},
			wantMsg: "the manifest does not parse: mapping values are not allowed in this context"},
		{name: "a broken step", manifest: head + "install:\n  - exec: {}\n    helm3: {}\n", want: []string{"error mixbox-100 7"},
			wantMsg: "step 1 of install: more than one mixin specified"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := writeBundle(t, tc.manifest, tc.files)
			got, err := Lint(testCtx, execOptions(dir))
			require.NoError(t, err)
			var lines []string
			for _, f := range got {
				lines = append(lines, fmt.Sprintf("%s %s %d", f.Level, f.Code, f.Line))
				require.Equal(t, filepath.Join(dir, "porter.yaml"), f.File)
				require.NotEmpty(t, f.Hint, "every finding says how to fix it: %+v", f)
			}
			require.Equal(t, tc.want, lines, "%+v", got)
			wantErr := slices.ContainsFunc(tc.want, func(w string) bool { return strings.HasPrefix(w, "error ") })
			require.Equal(t, wantErr, HasError(got))
			if tc.wantMsg != "" {
				require.Contains(t, got[0].Message, tc.wantMsg)
			}
			if tc.wantHint != "" {
				require.Contains(t, got[0].Hint, tc.wantHint)
			}
		})
	}
}

// TestLint_mixinLintFails: a mixin's lint that cannot read the steps is a
// finding at the mixin's first step, not a failure of lint.
func TestLint_mixinLintFails(t *testing.T) {
	t.Parallel()
	dir := writeBundle(t, head+"install:\n  - exec: {command: echo}\n  - exec: {command: echo}\n", nil)
	opts := execOptions(dir)
	opts.Linters = map[string]Linter{"exec": func([]byte) ([]byte, error) {
		return nil, fmt.Errorf("could unmarshal input:\n actions: ...\n: yaml: cannot unmarshal !!seq")
	}}
	got, err := Lint(testCtx, opts)
	require.NoError(t, err)
	require.Len(t, got, 1)
	require.Equal(t, Finding{Level: LevelError, Code: "mixbox-104", File: opts.ManifestPath, Line: 7,
		Message: "the exec mixin's own lint cannot read its steps: : yaml: cannot unmarshal !!seq",
		Hint:    "fix the exec steps so that the mixin can read them; it fails the same way when it runs"}, got[0])

	opts.Linters["exec"] = func([]byte) ([]byte, error) { return []byte("not json"), nil }
	_, err = Lint(testCtx, opts)
	require.ErrorContains(t, err, "lint mixin exec: read its results")
}

// TestLint_unreadable: a manifest that cannot be read is an error, not a
// finding; one that does not parse is a finding.
func TestLint_unreadable(t *testing.T) {
	t.Parallel()
	_, err := Lint(testCtx, Options{ManifestPath: filepath.Join(t.TempDir(), "porter.yaml")})
	require.ErrorIs(t, err, os.ErrNotExist)
}

// TestLint_badSchema: a schema that does not parse is the caller's error.
func TestLint_badSchema(t *testing.T) {
	t.Parallel()
	dir := writeBundle(t, head+"install:\n  - exec: {command: echo}\n", nil)
	_, err := Lint(testCtx, Options{ManifestPath: filepath.Join(dir, "porter.yaml"), Schemas: map[string]string{"exec": "{"}})
	require.ErrorContains(t, err, "read the schema of mixin exec")
}

func TestWriteFindings(t *testing.T) {
	t.Parallel()
	fs := []Finding{
		{Level: LevelError, Code: "mixbox-101", File: "porter.yaml", Line: 9, Message: "m1", Hint: "h1"},
		{Level: LevelWarning, Code: "mixbox-102", File: "porter.yaml", Line: 12, Message: "m2", Hint: "h2"},
	}
	var text bytes.Buffer
	require.NoError(t, WriteFindings(&text, fs, false))
	require.Equal(t, "error mixbox-101 porter.yaml:9: m1\nhint: h1\nwarning mixbox-102 porter.yaml:12: m2\nhint: h2\n", text.String())
	var js bytes.Buffer
	require.NoError(t, WriteFindings(&js, fs, true))
	var back []Finding
	require.NoError(t, json.Unmarshal(js.Bytes(), &back))
	require.Equal(t, fs, back)
	require.Contains(t, js.String(), `"level": "error"`)
	js.Reset()
	require.NoError(t, WriteFindings(&js, nil, true))
	require.Equal(t, "[]\n", js.String())
	require.Equal(t, "1 error, 1 warning", Summary(fs))
	require.Equal(t, "2 warnings", Summary([]Finding{fs[1], fs[1]}))
	require.Equal(t, "no findings", Summary(nil))
}

func TestSuggest(t *testing.T) {
	t.Parallel()
	known := []string{"arguments", "command", "dir", "flags", "outputs", "suffix-arguments", "ignoreError"}
	tests := []struct{ word, want string }{
		{"argumnets", "arguments"},
		{"argument", "arguments"},
		{"comand", "command"},
		{"IgnoreError", "ignoreError"},
		{"suffix-args", ""},
		{"dri", "dir"},
		{"xyz", ""},
		{"di", ""}, // one edit of a two-letter word is half of it
		{"arguments", ""},
	}
	for _, tc := range tests {
		require.Equal(t, tc.want, closest(tc.word, known), tc.word)
	}
	require.Equal(t, 1, suggest.Distance("argumnets", "arguments"))
	require.Equal(t, 3, suggest.Distance("kitten", "sitting"))
	require.Equal(t, 0, suggest.Distance("", ""))
	require.Equal(t, 4, suggest.Distance("", "four"))
}
