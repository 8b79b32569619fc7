package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

const driverManifest = `schemaVersion: 1.0.1
name: drv
version: 0.1.0
registry: localhost:5000
mixins:
  - exec
parameters:
  - name: replicas
    type: integer
    default: 1
    minimum: 1
    maximum: 5
  - name: ratio
    type: number
    default: 0.5
    exclusiveMaximum: 1
  - name: size
    type: string
    enum: [small, large]
  - name: config
    type: object
    default: {}
  - name: zones
    type: array
    default: []
  - name: debug
    type: boolean
    default: false
  - name: password
    type: string
    sensitive: true
    default: not-the-secret
  - name: upgrade-only
    type: string
    applyTo: [upgrade]
credentials:
  - name: token
    env: TOKEN
  - name: kubeconfig
    path: /home/nonroot/.kube/config
  - name: optional
    env: OPTIONAL
    required: false
install:
  - exec:
      command: bash
      arguments: [-c, 'touch ran; printf "%s|%s|%s\n" "$1" "$TOKEN" "$(printf %s "$TOKEN" | wc -c)"', x, "${ bundle.parameters.size }"]
upgrade:
  - exec:
      command: touch
      arguments: [ran]
`

// TestRun_driverChecks: a local run checks what a CNAB driver checks before
// anything runs (docs/spec/cli.md): every problem in one error, exit 2, no
// step run, and no secret quoted. Values are taken whole and NAME=@FILE
// reads a file, for parameters and credentials alike.
func TestRun_driverChecks(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	kubeconfig := filepath.Join(dir, "kubeconfig")
	require.NoError(t, os.WriteFile(kubeconfig, []byte("apiVersion: v1\nclusters: [a, b]\n"), 0o600))
	good := []string{"--param", "size=small", "--cred", "token=tok3n-value", "--cred", "kubeconfig=@" + kubeconfig}
	tests := []struct {
		name     string
		args     []string
		env      []string // more environment
		wantCode int
		want     []string // lines of stderr's error, in order
	}{
		{"every value missing", nil, nil, 2, []string{
			"error: the install action cannot start: 3 problems with its parameters and credentials, nothing was run:",
			"  parameter size (string) has no default and was given no value",
			"  credential token is required and was given no value",
			"  credential kubeconfig is required and was given no value",
			"hint: give each value with --param NAME=VALUE or --cred NAME=VALUE (NAME=@FILE reads FILE), or set its env destination",
		}},
		{"values that do not fit", []string{"--param", "replicas=abc", "--param", "ratio=1", "--param", "size=medium",
			"--param", "config=[1]", "--param", "zones={", "--param", "debug=yes", "--param", "password=s3cr3t!"}, nil, 2, []string{
			"error: the install action cannot start: 8 problems with its parameters and credentials, nothing was run:",
			`  parameter config (object): "[1]" is JSON but not an object`,
			`  parameter debug (boolean): "yes" is not a boolean (true or false)`,
			`  parameter ratio (number): "1" is not below the exclusive maximum 1`,
			`  parameter replicas (integer): "abc" is not an integer`,
			`  parameter size (string): "medium" is not one of small, large`,
			`  parameter zones (array): "{" is not JSON (invalid at byte 1)`,
		}},
		{"a minimum and a maximum", append([]string{"--param", "replicas=0"}, good...), nil, 2, []string{
			`  parameter replicas (integer): "0" is below the minimum 1`,
		}},
		{"an env destination that does not fit", good, []string{"REPLICAS=6"}, 2, []string{
			`  parameter replicas (integer): "6" (from $REPLICAS) is above the maximum 5`,
		}},
		{"a credential that is a parameter", append([]string{"--cred", "size=small"}, good[2:]...), nil, 2, []string{
			"  credential size: the manifest has no such credential (credentials: token, kubeconfig, optional); size is a parameter",
			"  parameter size (string) has no default and was given no value",
		}},
		{"a value from the environment counts", good[:4], []string{"TOKEN=from-env"}, 2, []string{
			"error: the install action cannot start: a problem with its parameters and credentials, nothing was run:",
			"  credential kubeconfig is required and was given no value",
		}},
		{"all there", append([]string{"--param", "replicas=5", "--param", "config={\"a\": [1, 2]}", "--param", "zones=[\"x,y\"]"}, good...), nil, 0, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			root := newRoot(t, driverManifest, nil)
			env := append([]string{"PATH=/usr/bin:/bin", "HOME=" + t.TempDir(), "MIXBOX_CACHE_DIR=" + cacheDir}, tc.env...)
			code, stdout, stderr := runCLI(t, env, append([]string{"run", "--cnab-root", root, "--action", "install"}, tc.args...)...)
			require.Equal(t, tc.wantCode, code, "stdout:\n%s\nstderr:\n%s", stdout, stderr)
			requireLinesInOrder(t, stderr, tc.want)
			require.NotContains(t, stdout+stderr, "s3cr3t!", "a sensitive value is never quoted")
			if tc.wantCode != 0 {
				require.NoFileExists(t, filepath.Join(root, "cnab/app/ran"), "nothing ran")
				require.Empty(t, stdout, "not even the banner")
				return
			}
			require.FileExists(t, filepath.Join(root, "cnab/app/ran"))
		})
	}

	t.Run("an action's own parameters only", func(t *testing.T) {
		t.Parallel()
		root := newRoot(t, driverManifest, nil)
		code, stdout, stderr := runCLI(t, nil, append([]string{"run", "--cnab-root", root, "--action", "upgrade"}, good...)...)
		require.Equal(t, 2, code, stdout+stderr)
		require.Contains(t, stderr, "  parameter upgrade-only (string) has no default and was given no value\n")
		require.NotContains(t, stderr, "parameter size", "size has no applyTo: it applies, and was given")
	})
}

// TestRun_valuesWhole: --param and --cred take the value whole (commas, =
// and newlines included), and NAME=@FILE gives a parameter or a credential
// the file's content, at an env or a file destination.
func TestRun_valuesWhole(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	kubeconfig := filepath.Join(dir, "kubeconfig")
	require.NoError(t, os.WriteFile(kubeconfig, []byte("apiVersion: v1\nclusters: [a, b]\n"), 0o600))
	tokenFile := filepath.Join(dir, "token")
	require.NoError(t, os.WriteFile(tokenFile, []byte("tok3n,from=file"), 0o600))
	sizeFile := filepath.Join(dir, "size")
	require.NoError(t, os.WriteFile(sizeFile, []byte("large"), 0o600))
	root := newRoot(t, driverManifest, nil)
	code, stdout, stderr := runCLI(t, nil, "run", "--cnab-root", root, "--action", "install",
		"--param", "size=@"+sizeFile, "--cred", "token=@"+tokenFile, "--cred", "kubeconfig=@"+kubeconfig,
		"--param", "zones=[\"a,b\", \"c=d\"]")
	require.Equal(t, 0, code, stdout+stderr)
	got, err := os.ReadFile(filepath.Join(root, "home/nonroot/.kube/config"))
	require.NoError(t, err)
	require.Equal(t, "apiVersion: v1\nclusters: [a, b]\n", string(got), "a file credential holds the file's content, not its path")
	require.Contains(t, stdout, "large|*******|15\n", "an env parameter and credential got the files' content (15 bytes)")
	require.NotContains(t, stdout+stderr, "tok3n,from=file")

	code, _, stderr = runCLI(t, nil, "run", "--cnab-root", root, "--action", "install", "--cred", "token=@"+filepath.Join(dir, "missing"))
	require.Equal(t, 2, code)
	require.Contains(t, stderr, "--cred token=@FILE: open "+filepath.Join(dir, "missing")+": no such file or directory")
}

// requireLinesInOrder checks that each of want is a whole line of out, in
// order.
func requireLinesInOrder(t *testing.T, out string, want []string) {
	t.Helper()
	lines := strings.Split(out, "\n")
	i := 0
	for _, w := range want {
		for i < len(lines) && lines[i] != w {
			i++
		}
		require.Less(t, i, len(lines), "no line %q (in order) in:\n%s", w, out)
		i++
	}
}
