package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/mixbox/mixbox/internal/testutil"
)

const installationManifest = `schemaVersion: 1.0.1
name: hello
version: 0.1.0
registry: localhost:5000
mixins:
  - exec
  - probe
outputs:
  - name: env
    type: string
    applyTo: [install]
install:
  - exec:
      description: "Installation ${ installation.name }"
      command: bash
      arguments: [-c, 'echo "cmd=$CNAB_INSTALLATION_NAME porter=$PORTER_INSTALLATION_NAME"']
  - probe:
      message: hi
uninstall:
  - exec: {command: "true"}
`

// TestRun_installation: a local run's installation name is --installation,
// else $CNAB_INSTALLATION_NAME, else the bundle name, as a driver would set
// it: in the banner, in ${ installation.name }, in CNAB_INSTALLATION_NAME
// and PORTER_INSTALLATION_NAME for the commands of the exec mixin (wasm and
// native), and in the environment of a wasm guest (the C guest of
// testdata/abi, which sets the output env to its environment).
func TestRun_installation(t *testing.T) {
	t.Parallel()
	guest, err := os.ReadFile(filepath.Join(testutil.ModuleRoot(t), "testdata/abi/c/echo.wasm"))
	require.NoError(t, err)
	tests := []struct {
		name   string
		args   []string
		env    []string
		native bool
		want   string
	}{
		{name: "the bundle name by default", want: "hello"},
		{name: "--installation", args: []string{"--installation", "prod"}, want: "prod"},
		{name: "--installation over the environment", args: []string{"--installation", "prod"}, env: []string{"CNAB_INSTALLATION_NAME=old"}, want: "prod"},
		{name: "the environment's", env: []string{"CNAB_INSTALLATION_NAME=from-env"}, want: "from-env"},
		{name: "the native exec mixin", args: []string{"--installation", "prod", "--prefer", "native"}, native: true, want: "prod"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			root := newRoot(t, installationManifest, nil)
			mod := filepath.Join(root, "cnab/app/mixins/probe/runtimes/probe-runtime.wasm")
			require.NoError(t, os.MkdirAll(filepath.Dir(mod), 0o755))
			require.NoError(t, os.WriteFile(mod, guest, 0o644))
			if tc.native {
				installNativeExec(t, root)
			}
			env := append([]string{"PATH=/usr/bin:/bin", "HOME=" + t.TempDir(), "MIXBOX_CACHE_DIR=" + cacheDir}, tc.env...)
			code, stdout, stderr := runCLI(t, env, append([]string{"run", "--cnab-root", root, "--action", "install"}, tc.args...)...)
			require.Equal(t, 0, code, stdout+stderr)
			requireInOrder(t, stdout, []string{
				"executing install action from hello (installation: " + tc.want + ")\n",
				"Installation " + tc.want + "\n",
				"cmd=" + tc.want + " porter=" + tc.want + "\n",
			})
			got, err := os.ReadFile(filepath.Join(root, "cnab/app/outputs/env"))
			require.NoError(t, err)
			require.Contains(t, strings.Split(string(got), "\n"), "CNAB_INSTALLATION_NAME="+tc.want, "the wasm guest's environment")
		})
	}
}
