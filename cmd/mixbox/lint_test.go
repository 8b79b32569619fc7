package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/mixbox/mixbox/host"
	"github.com/mixbox/mixbox/internal/testutil"
)

// compatBundle lays a porter-compat case out as its bundle directory is at
// /cnab/app (RUNNING.md): porter.yaml and app/*, modes kept. It returns the
// directory.
func compatBundle(t *testing.T, caseDir string) string {
	t.Helper()
	dir := t.TempDir()
	data, err := os.ReadFile(filepath.Join(caseDir, "porter.yaml"))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "porter.yaml"), data, 0o644))
	if _, err := os.Stat(filepath.Join(caseDir, "app")); err == nil {
		testutil.CopyTree(t, filepath.Join(caseDir, "app"), dir)
	}
	return dir
}

// justified returns lint's text output with, above each finding, the
// comment lines ("# ...") that the golden file at path has above the same
// finding, or a "# TODO" line for a finding the golden does not justify
// yet. A golden update keeps the justifications this way.
func justified(t *testing.T, path, out string) string {
	t.Helper()
	why := map[string][]string{}
	if old, err := os.ReadFile(path); err == nil {
		var comments []string
		for line := range strings.Lines(string(old)) {
			switch {
			case strings.HasPrefix(line, "# "):
				comments = append(comments, line)
			case strings.HasPrefix(line, "hint: "):
			default:
				why[line], comments = comments, nil
			}
		}
	}
	var b strings.Builder
	for line := range strings.Lines(out) {
		if !strings.HasPrefix(line, "hint: ") {
			c := why[line]
			if len(c) == 0 {
				c = []string{"# TODO: say why Porter's run and this finding agree\n"}
			}
			b.WriteString(strings.Join(c, ""))
		}
		b.WriteString(line)
	}
	return b.String()
}

// TestLint_porterCompat lints every porter-compat bundle: what lint finds in
// a bundle the real Porter ran is in its golden, each finding with a
// comment saying why it is right.
func TestLint_porterCompat(t *testing.T) {
	t.Parallel()
	const rerun = "go test ./cmd/mixbox -run TestLint_porterCompat"
	for _, caseDir := range testutil.PorterCompatCases(t) {
		name := filepath.Base(caseDir)
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			dir := compatBundle(t, caseDir)
			code, stdout, stderr := runCLI(t, nil, "lint", "-f", filepath.Join(dir, "porter.yaml"))
			out := strings.ReplaceAll(stdout, dir+string(filepath.Separator), "")
			golden := filepath.Join("testdata", t.Name()+".golden")
			got := justified(t, golden, out)
			testutil.Golden(t, golden, []byte(got), rerun)
			require.NotContains(t, got, "# TODO", "justify each new finding of %s in a comment above it", golden)
			wantCode := 0
			if strings.Contains(out, "\nerror ") || strings.HasPrefix(out, "error ") {
				wantCode = 1
			}
			require.Equal(t, wantCode, code, stderr)
		})
	}
}

// TestExplain_porterCompat explains a few porter-compat bundles, in text and
// JSON.
func TestExplain_porterCompat(t *testing.T) {
	t.Parallel()
	const rerun = "go test ./cmd/mixbox -run TestExplain_porterCompat"
	for _, tc := range []struct{ name, format string }{
		{"mybuns-status", "text"},
		{"mybuns-status", "json"},
		{"exec-outputs-install", "text"},
		{"templating-deps-install", "text"},
		{"object-params-install", "json"},
	} {
		t.Run(tc.name+"/"+tc.format, func(t *testing.T) {
			t.Parallel()
			dir := compatBundle(t, testutil.PorterCompatFile(t, tc.name))
			code, stdout, stderr := runCLI(t, nil, "explain", "-f", filepath.Join(dir, "porter.yaml"), "-o", tc.format)
			require.Equal(t, 0, code, stderr)
			require.Empty(t, stderr)
			out := strings.ReplaceAll(stdout, dir+string(filepath.Separator), "")
			if tc.format == "json" {
				var x map[string]any
				require.NoError(t, json.Unmarshal([]byte(stdout), &x), stdout)
			}
			testutil.Golden(t, filepath.Join("testdata", "TestExplain_porterCompat", tc.name+"."+tc.format+".golden"), []byte(out), rerun)
		})
	}
}

// lintHead is the first five lines of the manifests of the CLI tests.
const lintHead = "schemaVersion: 1.0.1\nname: b\nversion: 0.1.0\nregistry: localhost:5000\nmixins: [exec, helm3]\n"

// writeLintBundle writes a bundle directory with porter.yaml and files; a
// name ending in .sh (but not .noexec.sh) or -runtime is executable.
func writeLintBundle(t *testing.T, manifest string, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "porter.yaml"), []byte(manifest), 0o644))
	for name, body := range files {
		p := filepath.Join(dir, name)
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		mode := os.FileMode(0o644)
		if strings.HasSuffix(name, ".sh") && !strings.HasSuffix(name, ".noexec.sh") || strings.HasSuffix(name, "-runtime") {
			mode = 0o755
		}
		require.NoError(t, os.WriteFile(p, []byte(body), mode))
	}
	return dir
}

// packedModule is testdata/abi/exit0.wasm (a module this host accepts)
// with meta packed in as its mixbox.mixin section by `mixbox mixin pack`;
// "" adds none.
func packedModule(t *testing.T, meta string) string {
	t.Helper()
	in := filepath.Join(testutil.ModuleRoot(t), "testdata", "abi", "exit0.wasm")
	if meta == "" {
		bin, err := os.ReadFile(in)
		require.NoError(t, err)
		return string(bin)
	}
	dir := t.TempDir()
	metaFile, out := filepath.Join(dir, "mixin.yaml"), filepath.Join(dir, "out.wasm")
	require.NoError(t, os.WriteFile(metaFile, []byte(meta), 0o644))
	code, stdout, stderr := runCLI(t, nil, "mixin", "pack", in, "--meta", metaFile, "-o", out)
	require.Equal(t, 0, code, stdout+stderr)
	bin, err := os.ReadFile(out)
	require.NoError(t, err)
	return string(bin)
}

// TestLintCLI drives `mixbox lint` as an author would, for each kind of
// finding: the text lines, the same findings as JSON, and the exit code.
func TestLintCLI(t *testing.T) {
	t.Parallel()
	const helmWasm = "mixins/helm3/runtimes/helm3-runtime.wasm"
	tests := []struct {
		name     string
		manifest string
		files    map[string]string
		wantCode int
		// wantText is the first finding's line (without "FILE:" and with
		// the line number), wantCodes every finding's code.
		wantText  string
		wantHint  string
		wantCodes []string
	}{
		{name: "clean", manifest: strings.Replace(lintHead, ", helm3", "", 1) + "install:\n  - exec: {command: ./go.sh}\n",
			files: map[string]string{"go.sh": "#!/bin/sh\n"}, wantCode: 0, wantCodes: []string{}},
		{name: "a broken manifest", manifest: lintHead + "install:\n  - exec:\n    a: b: c\n", wantCode: 1,
			wantText: "error mixbox-100 porter.yaml:8: the manifest does not parse: mapping values are not allowed in this context", wantCodes: []string{"mixbox-100"}},
		{name: "argumnets", manifest: lintHead + "install:\n  - exec:\n      command: ./go.sh\n      argumnets: [x]\n  - helm3: {}\n",
			files: map[string]string{"go.sh": "#!/bin/sh\n", helmWasm: packedModule(t, "name: helm3\ncapabilities: {exec: [helm]}\n")}, wantCode: 1,
			wantText: `error mixbox-101 porter.yaml:9: install step 1: exec has no key "argumnets"; did you mean "arguments"?`,
			wantHint: "hint: rename it to arguments", wantCodes: []string{"mixbox-101"}},
		{name: "an unknown key", manifest: strings.Replace(lintHead, ", helm3", "", 1) + "install:\n  - exec: {command: echo, retries: 3}\n", wantCode: 0,
			wantText: `warning mixbox-102 porter.yaml:7: install step 1: exec has no key "retries"`, wantCodes: []string{"mixbox-102"}},
		{name: "a setting of the wrong type", manifest: strings.Replace(lintHead, ", helm3", "", 1) + "install:\n  - exec:\n      command: echo\n      arguments: {a: b}\n", wantCode: 1,
			wantText: "error mixbox-103 porter.yaml:9: install step 1: exec arguments must be a list, got a mapping", wantCodes: []string{"mixbox-103"}},
		{name: "an undeclared mixin", manifest: strings.Replace(lintHead, ", helm3", "", 1) + "install:\n  - exce: {command: echo}\n", wantCode: 1,
			wantText: `error mixbox-110 porter.yaml:7: install step 1 uses mixin "exce", which mixins: does not declare`,
			wantHint: `hint: add exce to mixins:, or fix the step's mixin name (did you mean "exec"?)`, wantCodes: []string{"mixbox-110"}},
		{name: "a mixin not installed", manifest: lintHead + "install:\n  - helm3: {chart: x}\n", wantCode: 1,
			wantText:  "error mixbox-111 porter.yaml:7: install step 1: mixin helm3 is not installed: looked in mixins/helm3/runtimes/helm3-runtime.wasm (wasm)",
			wantCodes: []string{"mixbox-111"}},
		{name: "a refused module", manifest: lintHead + "install:\n  - helm3: {chart: x}\n", files: map[string]string{helmWasm: "not wasm"}, wantCode: 1,
			wantCodes: []string{"mixbox-112"}},
		{name: "an unused mixin not installed", manifest: lintHead + "install:\n  - exec: {command: echo}\n", wantCode: 0,
			wantText: "warning mixbox-113 porter.yaml:5: mixin helm3 is declared but no step uses it", wantCodes: []string{"mixbox-113"}},
		{name: "templates naming nothing", manifest: strings.Replace(lintHead, ", helm3", "", 1) + `parameters:
  - {name: later, default: x, applyTo: [upgrade]}
outputs:
  - {name: never}
install:
  - exec:
      command: echo
      arguments: ["${ bundle.parameters.nope }", "${ bundle.parameters.later }", "${ bundle.outputs.o }", "${ bundle.outputs.never }"]
  - exec: {command: echo, outputs: [{name: o, regex: "(.*)"}]}
`, wantCode: 1, wantText: "error mixbox-120 porter.yaml:13: install step 1: the template names bundle.parameters.nope, which does not exist",
			wantCodes: []string{"mixbox-120", "mixbox-121", "mixbox-122", "mixbox-123"}},
		{name: "a script without the execute bit", manifest: strings.Replace(lintHead, ", helm3", "", 1) + "install:\n  - exec: {command: ./go.noexec.sh}\n  - exec: {command: ./gone.sh}\n",
			files: map[string]string{"go.noexec.sh": "#!/bin/sh\n"}, wantCode: 1,
			wantText: "error mixbox-130 porter.yaml:7: install step 1: command ./go.noexec.sh is a bundle file without the execute bit, so it fails with permission denied",
			wantHint: "hint: chmod +x go.noexec.sh", wantCodes: []string{"mixbox-130", "mixbox-131"}},
		{name: "grants the default policy withholds", manifest: lintHead + "credentials: [{name: t, env: TOKEN}]\ninstall:\n  - helm3: {chart: x}\n",
			files: map[string]string{helmWasm: packedModule(t, "name: helm3\ncapabilities: {exec: ['*'], env: [TOKEN]}\n")}, wantCode: 0,
			wantText:  `warning mixbox-140 porter.yaml:8: install step 1: mixin helm3 declares exec "*", which the default policy does not grant: any command`,
			wantCodes: []string{"mixbox-140", "mixbox-140"}},
		{name: "an empty declaration", manifest: lintHead + "install:\n  - helm3: {chart: x}\n",
			files: map[string]string{helmWasm: packedModule(t, "name: helm3\n")}, wantCode: 0, wantCodes: []string{}},
		{name: "no declaration", manifest: lintHead + "install:\n  - helm3: {chart: x}\n",
			files: map[string]string{helmWasm: packedModule(t, "")}, wantCode: 0,
			wantText:  "warning mixbox-141 porter.yaml:7: install step 1: mixin helm3 declares no capabilities, so the default policy lets it run no command",
			wantCodes: []string{"mixbox-141"}},
		{name: "bash -c", manifest: strings.Replace(lintHead, ", helm3", "", 1) + "install:\n  - exec: {command: bash, flags: {c: echo hi}}\n", wantCode: 1,
			wantText: "warning exec-100 porter.yaml:7: install step 1: Best Practice: Avoid Embedded Bash", wantCodes: []string{"exec-100", "exec-101"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := writeLintBundle(t, tc.manifest, tc.files)
			file := filepath.Join(dir, "porter.yaml")
			code, stdout, stderr := runCLI(t, nil, "lint", "-f", file)
			require.Equal(t, tc.wantCode, code, stdout+stderr)
			textLines := strings.Split(strings.TrimSuffix(stdout, "\n"), "\n")
			text := strings.ReplaceAll(stdout, dir+string(filepath.Separator), "")
			lines := strings.Split(strings.TrimSuffix(text, "\n"), "\n")
			if tc.wantText != "" {
				require.True(t, strings.HasPrefix(lines[0], tc.wantText), "got %q\nwant it to start with %q", lines[0], tc.wantText)
			}
			if tc.wantHint != "" {
				require.True(t, strings.HasPrefix(lines[1], tc.wantHint), "got %q\nwant it to start with %q", lines[1], tc.wantHint)
			}
			require.Contains(t, stderr, file+": ")

			code, stdout, stderr = runCLI(t, nil, "lint", "-f", file, "-o", "json")
			require.Equal(t, tc.wantCode, code, stderr)
			var got []host.Finding
			require.NoError(t, json.Unmarshal([]byte(stdout), &got), stdout)
			codes := []string{}
			for i, f := range got {
				codes = append(codes, f.Code)
				require.Equal(t, file, f.File)
				require.Positive(t, f.Line)
				require.NotEmpty(t, f.Message)
				require.NotEmpty(t, f.Hint)
				require.Contains(t, []string{"error", "warning"}, f.Level)
				// the text form says the same, line for line
				require.Equal(t, f.Level+" "+f.Code+" "+f.File+":"+strconv.Itoa(f.Line)+": "+f.Message, textLines[2*i])
				require.Equal(t, "hint: "+f.Hint, textLines[2*i+1])
			}
			slices.Sort(codes)
			want := slices.Clone(tc.wantCodes)
			slices.Sort(want)
			require.Equal(t, want, codes)
		})
	}
}
