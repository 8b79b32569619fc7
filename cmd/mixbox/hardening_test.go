package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"

	"github.com/mixbox/mixbox/internal/testutil"
)

// The tests of issue 10 ("Hardening II"): each drives the CLI as a user
// would, with a hostile guest of testdata/hostile where one is needed
// (rebuild them with `make -C testdata`).

// hostileGuest reads a built guest of testdata/hostile.
func hostileGuest(t *testing.T, name string) []byte {
	t.Helper()
	bin, err := os.ReadFile(filepath.Join(testutil.ModuleRoot(t), "testdata", "hostile", name))
	require.NoError(t, err, "run `make -C testdata` to build the hostile guests")
	return bin
}

// probeBundle lays out ROOT/cnab/app with manifest and module installed as
// the wasm mixin probe, and returns ROOT.
func probeBundle(t *testing.T, manifest string, module []byte) string {
	t.Helper()
	root := newRoot(t, manifest, nil)
	writeMixin(t, filepath.Join(root, "cnab", "app"), "probe", module)
	return root
}

// packed returns module with a mixbox.mixin section of meta, packed by
// `mixbox mixin pack`.
func packed(t *testing.T, module []byte, meta string) []byte {
	t.Helper()
	dir := t.TempDir()
	in, metaFile, out := filepath.Join(dir, "in.wasm"), filepath.Join(dir, "mixin.yaml"), filepath.Join(dir, "out.wasm")
	require.NoError(t, os.WriteFile(in, module, 0o644))
	require.NoError(t, os.WriteFile(metaFile, []byte(meta), 0o644))
	code, stdout, stderr := runCLI(t, nil, "mixin", "pack", in, "--meta", metaFile, "-o", out)
	require.Equal(t, 0, code, stdout+stderr)
	bin, err := os.ReadFile(out)
	require.NoError(t, err)
	return bin
}

// writePolicy writes a policy file and returns its path.
func writePolicy(t *testing.T, policy string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "policy.yaml")
	require.NoError(t, os.WriteFile(p, []byte(policy), 0o644))
	return p
}

const selfGrantManifest = `schemaVersion: 1.0.1
name: selfgrant
version: 0.1.0
registry: localhost:5000
mixins:
  - probe
credentials:
  - name: tok
    env: TOK
install:
  - probe:
      description: "self grant"
`

// TestHardening_selfGrant is finding 1: a mixin whose own declaration asks
// for any command and a credential's env gets neither under the default
// policy; the run log says what it asked for and how to grant it, and
// names what it was granted; only an operator's policy widens it.
func TestHardening_selfGrant(t *testing.T) {
	t.Parallel()
	const secret = "Sup3rS3cret-Tok"
	reversed := func(s string) string {
		r := []rune(s)
		for i, j := 0, len(r)-1; i < j; i, j = i+1, j-1 {
			r[i], r[j] = r[j], r[i]
		}
		return string(r)
	}(secret)
	module := packed(t, hostileGuest(t, "selfgrant.wasm"),
		"name: probe\nversion: v0.1.0\nabi: mixbox_v1\ncapabilities:\n  exec: [\"*\", echo]\n  env: [TOK]\n")
	root := probeBundle(t, selfGrantManifest, module)

	code, stdout, stderr := runCLI(t, nil, "run", "--cnab-root", root, "--action", "install", "--cred", "tok="+secret)
	all := stdout + stderr
	require.Equal(t, 0, code, all)
	assert.NotContains(t, all, secret)
	assert.NotContains(t, all, reversed, "the credential must not reach a command the mixin granted itself")
	assert.Contains(t, stdout, "abi: exec_star=-3", "sh is not granted: the declared \"*\" is not")
	assert.Contains(t, stdout, "selfgrant-named", "the named command it declares is granted")
	assert.Contains(t, stdout, "mixin probe: granted from its own mixbox.mixin section by the default policy: exec echo\n")
	assert.Equal(t, 1, strings.Count(stderr, "mixin probe declares what the default policy does not grant it"), stderr)
	assert.Contains(t, stderr, `exec "*" (any command), env TOK (the env of credential tok, a secret of this run)`)
	assert.Contains(t, stderr, "    mixins:\n      probe:\n        exec:\n          - command: '*'\n          - command: echo\n        env:\n          - TOK\n",
		"the warning holds the exact policy lines that grant it")

	// --print-policy shows what is granted: echo, no "*", no TOK.
	code, stdout, stderr = runCLI(t, nil, "run", "--cnab-root", root, "--action", "install", "--print-policy")
	require.Equal(t, 0, code, stderr)
	var printed struct {
		Mixins map[string]struct {
			Exec []struct{ Command string } `yaml:"exec"`
			Env  []string                   `yaml:"env"`
		} `yaml:"mixins"`
	}
	require.NoError(t, yaml.Unmarshal([]byte(stdout), &printed), stdout)
	require.Len(t, printed.Mixins["probe"].Exec, 1, stdout)
	assert.Equal(t, "echo", printed.Mixins["probe"].Exec[0].Command)
	assert.Empty(t, printed.Mixins["probe"].Env)

	// Only the operator widens it: with a policy granting "*" and TOK, the
	// command runs (and may transform the secret: SECURITY.md).
	pol := writePolicy(t, "apiVersion: mixbox/v1\nmixins:\n  probe:\n    exec: [{command: '*'}]\n    env: [TOK]\n")
	code, stdout, stderr = runCLI(t, nil, "run", "--cnab-root", root, "--action", "install", "--cred", "tok="+secret, "--policy", pol)
	require.Equal(t, 0, code, stdout+stderr)
	assert.Contains(t, stdout, reversed, "the operator granted it")
	assert.NotContains(t, stderr, "does not grant", "an operator's policy decides alone")
}

const secretsManifest = `schemaVersion: 1.0.1
name: secrets
version: 0.1.0
registry: localhost:5000
mixins:
  - exec
credentials:
  - name: tok
    env: TOK
  - name: t
    env: T
    required: false
parameters:
  - name: cfg
    type: file
    sensitive: true
    path: /cnab/app/cfg.txt
install:
  - exec:
      description: "folded into a double-quoted argument"
      command: echo
      arguments:
        - "v=${ bundle.credentials.tok }"
  - exec:
      description: "one line alone, as JSON, as base64"
      command: bash
      arguments:
        - -c
        - 'echo "$TOK" | tail -1; printf %s "$TOK" | sed -z "s/\n/\\\\n/g"; echo; printf %s "$TOK" | base64 -w0; echo'
  - exec:
      description: "a file parameter, and a short credential"
      command: bash
      arguments:
        - -c
        - 'cat cfg.txt; base64 -w0 < cfg.txt; echo; echo "x marks the spot"'
`

// TestHardening_multiLineSecrets is finding 2: a multi-line credential is
// masked in every form it takes (folded by YAML, one line alone, escaped as
// JSON, as base64), a sensitive file parameter's content and base64 are
// masked, and a value shorter than 4 characters is not masked, which the run
// log says once, by name.
func TestHardening_multiLineSecrets(t *testing.T) {
	t.Parallel()
	root := newRoot(t, secretsManifest, nil)
	code, stdout, stderr := runCLI(t, nil, "run", "--cnab-root", root, "--action", "install",
		"--cred", "tok=line-one\nline-two-SECRET", "--cred", "t=x", "--param", "cfg=file-param-SECRET-content")
	all := stdout + stderr
	require.Equal(t, 0, code, all)
	for _, leak := range []string{"SECRET", "line-one", "bGluZS1vbmUK", "ZmlsZS1wYXJhbS1TRUNSRVQtY29udGVudA"} {
		assert.NotContains(t, all, leak)
	}
	assert.Contains(t, stdout, "v=*******\n", "the folded form")
	assert.Contains(t, stdout, "as base64\n*******\n*******\n*******\n", "one line alone, the JSON form, the base64")
	assert.Contains(t, stdout, "**************\nx marks the spot", "the file parameter's content and its base64")
	assert.Contains(t, stdout, "x marks the spot", "a one-character credential masks nothing")
	assert.Equal(t, 1, strings.Count(stderr, "credential t is sensitive, but it is shorter than 4 characters, so it is not masked"), stderr)
}

const partialManifest = `schemaVersion: 1.0.1
name: partial
version: 0.1.0
registry: localhost:5000
mixins:
  - exec
credentials:
  - name: pw
    env: PW
install:
  - exec:
      description: "a value of the wrong type"
      command: echo
      suppress-output: "${ bundle.credentials.pw }"
`

const capManifest = `schemaVersion: 1.0.1
name: cap
version: 0.1.0
registry: localhost:5000
mixins:
  - exec
credentials:
  - name: pw
    env: PW
install:
  - exec:
      description: "the log cap falls inside the secret"
      command: bash
      arguments: [-c, 'head -c 65530 /dev/zero | tr "\0" x; echo "$PW"; echo "comma: $PW"']
`

// TestHardening_partialSecrets is finding 3: no part of a secret is printed
// in clear: not the first characters a YAML type error quotes, not the half
// before a log cap, and a value with a comma is taken and masked whole.
func TestHardening_partialSecrets(t *testing.T) {
	t.Parallel()
	t.Run("a YAML type error names the line and key, not the value", func(t *testing.T) {
		t.Parallel()
		root := newRoot(t, partialManifest, nil)
		code, stdout, stderr := runCLI(t, nil, "run", "--cnab-root", root, "--action", "install", "--cred", "pw=P@ssw0rd-long")
		all := stdout + stderr
		require.Equal(t, 1, code, all)
		assert.NotContains(t, all, "P@ssw0r")
		assert.Contains(t, stderr, "line 4 (exec.suppress-output): cannot unmarshal a !!str into bool")
	})
	t.Run("the log cap drops a held-back prefix", func(t *testing.T) {
		t.Parallel()
		root := newRoot(t, capManifest, nil)
		pol := writePolicy(t, "apiVersion: mixbox/v1\ndefaults: {logBytes: 64Ki}\nmixins:\n  exec:\n    exec: [{command: bash}]\n    inheritEnv: true\n")
		code, stdout, stderr := runCLI(t, nil, "run", "--cnab-root", root, "--action", "install", "--cred", "pw=P@ssw0rd-long", "--policy", pol)
		all := stdout + stderr
		require.Equal(t, 0, code, all)
		assert.Contains(t, all, "the step's log reached its cap (64 KiB, policy logBytes)")
		if i := strings.Index(all, "P@ss"); i >= 0 { // not NotContains: the log is 64 KiB
			t.Errorf("the cap cut the secret and its first part printed: %q", all[i:min(len(all), i+40)])
		}
	})
	t.Run("a comma secret is masked whole and never echoed", func(t *testing.T) {
		t.Parallel()
		root := newRoot(t, capManifest, nil)
		pol := writePolicy(t, "apiVersion: mixbox/v1\nmixins:\n  exec:\n    exec: [{command: bash}]\n    inheritEnv: true\n")
		code, stdout, stderr := runCLI(t, nil, "run", "--cnab-root", root, "--action", "install", "--cred", "pw=abc,def-SECRET-1", "--policy", pol)
		all := stdout + stderr
		require.Equal(t, 0, code, all)
		assert.Contains(t, stdout, "comma: *******\n")
		assert.NotContains(t, all, "def-SECRET-1")
		assert.NotContains(t, all, "abc,")
	})
}

// TestHardening_maskAbuse is finding 7: a mixin that masks the words of
// mixbox's own lines scrubs only its own output; the denial line, the step
// line and the final error keep their words; past 10,000 masked values in a
// step mask returns E_LIMIT, said once.
func TestHardening_maskAbuse(t *testing.T) {
	t.Parallel()
	root := probeBundle(t, strings.ReplaceAll(selfGrantManifest, "self grant", "mask abuse"), hostileGuest(t, "maskabuse.wasm"))
	code, stdout, stderr := runCLI(t, nil, "run", "--cnab-root", root, "--action", "install", "--cred", "tok=unused-here")
	require.Equal(t, 1, code, stdout+stderr)
	assert.Contains(t, stdout, "abi: mask_words=0")
	assert.Contains(t, stdout, "guest-own: ******* ******* ******* *******\n", "the guest's own output is masked with its values")
	assert.Contains(t, stdout, `WARN install step 1: exec denied: exec "curl" denied for mixin probe: no exec grant names it`)
	assert.Contains(t, stdout, "step 1/1 failed: probe (wasm, installed)")
	assert.Contains(t, stderr, "error: install step 1 failed (probe, wasm, installed)")
	assert.Contains(t, stderr, "denied by the policy:")
	assert.Contains(t, stdout, "abi: mask_last_ok=0")
	assert.Contains(t, stdout, "abi: mask_cap=-7", "the value past the cap is E_LIMIT")
	assert.Equal(t, 1, strings.Count(stdout, "masked 10000 values"), stdout)
}

const escapesExecManifest = `schemaVersion: 1.0.1
name: escapes
version: 0.1.0
registry: localhost:5000
mixins:
  - exec
install:
  - exec:
      description: "a command's own output is passed through"
      command: printf
      arguments: ['\033[1mbold\033[0m\n']
`

// TestHardening_escapes is finding 10: control characters in a guest's log
// lines and its own stdout reach the console escaped, tabs and newlines
// kept; a command's own output stream passes through unchanged, as Porter's.
func TestHardening_escapes(t *testing.T) {
	t.Parallel()
	root := probeBundle(t, strings.ReplaceAll(selfGrantManifest, "self grant", "escapes"), hostileGuest(t, "escapes.wasm"))
	code, stdout, stderr := runCLI(t, nil, "run", "--cnab-root", root, "--action", "install", "--cred", "tok=unused-here")
	require.Equal(t, 0, code, stdout+stderr)
	assert.NotContains(t, stdout+stderr, "\x1b", "no raw escape reaches the console")
	assert.NotContains(t, stdout+stderr, "\r")
	assert.Contains(t, stderr, `WARN \x1b[2K\x0dstep 1/1 done: fake (wasm, built-in)\x1b[31m`+"\ttab-kept\n")
	assert.Contains(t, stdout, `\x1b]0;pwned\x07raw-stdout\x0dover`+"\n")
	assert.Contains(t, stdout, "abi: log_warn=0")

	root = newRoot(t, escapesExecManifest, nil)
	code, stdout, stderr = runCLI(t, nil, "run", "--cnab-root", root, "--action", "install")
	require.Equal(t, 0, code, stdout+stderr)
	assert.Contains(t, stdout, "\x1b[1mbold\x1b[0m\n", "a command's own output is not escaped (Porter compat)")
}

const noABIManifest = `schemaVersion: 1.0.1
name: noabi
version: 0.1.0
registry: localhost:5000
mixins:
  - probe
install:
  - probe:
      description: "no abi"
`

// TestHardening_noABI is finding 11: a module that imports no mixbox_v1
// function cannot run commands: inspect says so (text and JSON); run prefers
// the mixin's native runtime and says why, once; with no native runtime it
// runs the module (it may not need commands) and says so.
func TestHardening_noABI(t *testing.T) {
	t.Parallel()
	module := hostileGuest(t, "noabi.wasm")
	wasmFile := filepath.Join(t.TempDir(), "noabi.wasm")
	require.NoError(t, os.WriteFile(wasmFile, module, 0o644))

	code, stdout, stderr := runCLI(t, nil, "mixin", "inspect", wasmFile)
	require.Equal(t, 0, code, stdout+stderr)
	assert.Contains(t, stdout, "abi:      none (imports no mixbox host function)\n")
	assert.Contains(t, stdout, "exec:     no: it does not import mixbox_v1.exec, so it cannot run commands")
	code, stdout, stderr = runCLI(t, nil, "mixin", "inspect", wasmFile, "-o", "json")
	require.Equal(t, 0, code, stdout+stderr)
	var info struct {
		Exec     *bool `json:"exec"`
		Accepted bool  `json:"accepted"`
	}
	require.NoError(t, json.Unmarshal([]byte(stdout), &info), stdout)
	require.NotNil(t, info.Exec, stdout)
	assert.False(t, *info.Exec)
	assert.True(t, info.Accepted)

	// Only the wasm build: it runs, and the run log says it cannot run commands.
	root := probeBundle(t, noABIManifest, module)
	code, stdout, stderr = runCLI(t, nil, "run", "--cnab-root", root, "--action", "install")
	require.Equal(t, 0, code, stdout+stderr)
	assert.Contains(t, stdout, "noabi wasm ran")
	assert.Contains(t, stdout, "probe (wasm, installed)")
	assert.Equal(t, 1, strings.Count(stderr, "mixin probe: its wasm build imports no mixbox_v1 function (abi: none)"), stderr)
	assert.Contains(t, stderr, "it runs anyway")

	// With a native runtime too, the native one runs, and the log says why.
	native := filepath.Join(root, "cnab", "app", "mixins", "probe", "runtimes", "probe-runtime")
	require.NoError(t, os.WriteFile(native, []byte("#!/bin/sh\necho native probe ran \"$@\"\n"), 0o755))
	code, stdout, stderr = runCLI(t, nil, "run", "--cnab-root", root, "--action", "install")
	require.Equal(t, 0, code, stdout+stderr)
	assert.Contains(t, stdout, "native probe ran install")
	assert.NotContains(t, stdout, "noabi wasm ran")
	assert.Contains(t, stdout, "probe (native, unsandboxed)")
	assert.Equal(t, 1, strings.Count(stderr, "abi: none"), stderr)
	assert.Contains(t, stderr, "its native runtime "+native+" runs instead")

	// A mixin built with the SDK keeps its wasm build before its native one.
	abiRoot := probeBundle(t, noABIManifest, hostileGuest(t, "escapes.wasm"))
	require.NoError(t, os.WriteFile(filepath.Join(abiRoot, "cnab", "app", "mixins", "probe", "runtimes", "probe-runtime"),
		[]byte("#!/bin/sh\necho native probe ran\n"), 0o755))
	code, stdout, stderr = runCLI(t, nil, "run", "--cnab-root", abiRoot, "--action", "install")
	require.Equal(t, 0, code, stdout+stderr)
	assert.Contains(t, stdout, "probe (wasm, installed)")
	assert.NotContains(t, stderr, "abi: none")
}
