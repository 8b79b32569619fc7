package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

const debugManifest = `schemaVersion: 1.0.1
name: dbg
version: 0.1.0
registry: localhost:5000
mixins:
  - exec
state:
  - name: st
    path: /cnab/app/st.txt
outputs:
  - name: report
    type: file
    path: /cnab/app/report.txt
    applyTo: [install]
install:
  - exec:
      description: "Show debug"
      command: bash
      arguments:
        - -c
        - 'echo "PORTER_DEBUG=$PORTER_DEBUG"; echo s > st.txt; echo r > report.txt'
upgrade:
  - exec:
      description: "Again"
      command: bash
      arguments: [-c, 'echo "PORTER_DEBUG=$PORTER_DEBUG"']
`

// TestRun_debug: --debug (or PORTER_DEBUG=true) prints what Porter's debug
// mode prints (observed with the real porter-runtime: the state unpacked or
// not, each step's raw template, the file outputs collected, the state
// packed) and gives the mixins PORTER_DEBUG=true, in both forms, as `porter
// install --debug` does. Without it, none of that.
func TestRun_debug(t *testing.T) {
	t.Parallel()
	template := "=== Step Template ===\n{{=${ }=}}\nexec:\n    description: \"Show debug\"\n    command: bash\n    arguments:\n" +
		"        - -c\n        - 'echo \"PORTER_DEBUG=$PORTER_DEBUG\"; echo s > st.txt; echo r > report.txt'\n\n\nShow debug\n"
	tests := []struct {
		name   string
		args   []string
		env    []string
		native bool
		want   []string // substrings of stdout, in order
		not    []string
	}{
		{name: "--debug", args: []string{"--debug"}, want: []string{
			"executing install action from dbg (installation: dbg)\nNo existing bundle state to unpack\n" + template,
			"PORTER_DEBUG=true\n",
			"  - report\nPacking bundle state...\n  - /cnab/app/st.txt\nexecution completed successfully!\n",
		}},
		{name: "PORTER_DEBUG=true", env: []string{"PORTER_DEBUG=true"}, want: []string{"No existing bundle state to unpack\n" + template, "PORTER_DEBUG=true\n"}},
		{name: "--debug with a native mixin", args: []string{"--debug", "--prefer", "native"}, native: true,
			want: []string{"No existing bundle state to unpack\n" + template, "PORTER_DEBUG=true\n", "Packing bundle state...\n"}},
		{name: "no debug", env: []string{"PORTER_DEBUG=false"}, want: []string{"PORTER_DEBUG=false\n"},
			not: []string{"=== Step Template ===", "bundle state", "  - "}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			root := newRoot(t, debugManifest, nil)
			if tc.native {
				installNativeExec(t, root)
			}
			env := append([]string{"PATH=/usr/bin:/bin", "HOME=" + t.TempDir(), "MIXBOX_CACHE_DIR=" + cacheDir}, tc.env...)
			code, stdout, stderr := runCLI(t, env, append([]string{"run", "--cnab-root", root, "--action", "install"}, tc.args...)...)
			require.Equal(t, 0, code, stdout+stderr)
			requireInOrder(t, stdout, tc.want)
			for _, n := range tc.not {
				require.NotContains(t, stdout, n)
			}
		})
	}

	t.Run("the state unpacked", func(t *testing.T) {
		t.Parallel()
		root := newRoot(t, debugManifest, nil)
		code, stdout, stderr := runCLI(t, nil, "run", "--cnab-root", root, "--action", "install")
		require.Equal(t, 0, code, stdout+stderr)
		bag, err := os.ReadFile(filepath.Join(root, "cnab/app/outputs/porter-state"))
		require.NoError(t, err)
		require.NoError(t, os.MkdirAll(filepath.Join(root, "porter"), 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(root, "porter/state.tgz"), bag, 0o644))
		code, stdout, stderr = runCLI(t, nil, "run", "--cnab-root", root, "--action", "upgrade", "--debug")
		require.Equal(t, 0, code, stdout+stderr)
		requireInOrder(t, stdout, []string{"executing upgrade action from dbg (installation: dbg)\n  - st -> /cnab/app/st.txt\n=== Step Template ===\n",
			"Packing bundle state...\n  - /cnab/app/st.txt\n"})
		require.NotContains(t, stdout, "  - report", "report does not apply to upgrade")
	})
}

// requireInOrder checks that each of want is in out, in order.
func requireInOrder(t *testing.T, out string, want []string) {
	t.Helper()
	rest := out
	for _, w := range want {
		i := strings.Index(rest, w)
		require.GreaterOrEqual(t, i, 0, "%q not found (in order) in:\n%s", w, out)
		rest = rest[i+len(w):]
	}
}
