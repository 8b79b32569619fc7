package host_test

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"golang.org/x/sync/errgroup"

	"github.com/mixbox/mixbox/host"
)

// concurrentManifest is a bundle that prints a sensitive parameter, a
// credential and its own name, and sets an output.
const concurrentManifest = `schemaVersion: 1.0.1
name: %[1]s
version: 0.1.0
registry: localhost:5000
mixins: [exec]
parameters:
  - name: secret
    type: string
    sensitive: true
credentials:
  - name: token
    env: TOKEN
outputs:
  - name: who
install:
  - exec:
      description: "Speak"
      command: echo
      arguments: ["%[1]s param=${ bundle.parameters.secret } cred=${ bundle.credentials.token }"]
      outputs:
        - name: who
          regex: "^(%[1]s) "
  - exec:
      description: "Speak again"
      command: echo
      arguments: ["again ${ bundle.parameters.secret }"]
`

// TestRuntime_Run_concurrent runs two different bundles at the same time on
// one Runtime, several times each: every run sees its own bundle, masks its
// own secrets, and no secret of one run appears in the other's output.
func TestRuntime_Run_concurrent(t *testing.T) {
	t.Parallel()
	rt := host.New(host.Options{CacheDir: cacheDir, BuiltIns: builtins()})
	t.Cleanup(func() { _ = rt.Close(testCtx) })

	type bundle struct{ name, param, cred string }
	bundles := []bundle{
		{"alpha", "alpha-param-Q1w2", "alpha-cred-E3r4"},
		{"bravo", "bravo-param-T5y6", "bravo-cred-U7i8"},
	}
	secrets := func(b bundle) []string { return []string{b.param, b.cred} }
	const rounds = 4
	outs := make([][]bytes.Buffer, len(bundles))
	reps := make([][]host.Report, len(bundles))
	var g errgroup.Group
	for i, b := range bundles {
		outs[i] = make([]bytes.Buffer, rounds)
		reps[i] = make([]host.Report, rounds)
		for r := range rounds {
			root := t.TempDir()
			app := filepath.Join(root, "cnab", "app")
			require.NoError(t, os.MkdirAll(app, 0o755))
			require.NoError(t, os.WriteFile(filepath.Join(app, "porter.yaml"), fmt.Appendf(nil, concurrentManifest, b.name), 0o644))
			g.Go(func() error {
				rep, err := rt.Run(testCtx, host.RunOptions{
					Root:   root,
					Action: "install",
					Params: map[string]string{"secret": b.param},
					Creds:  map[string]string{"token": b.cred},
					Env:    []string{"PATH=/usr/bin:/bin"},
					Stdout: &outs[i][r],
					Stderr: &outs[i][r],
				})
				reps[i][r] = rep
				if err != nil {
					return fmt.Errorf("%s round %d: %w\n%s", b.name, r, err, outs[i][r].String())
				}
				return nil
			})
		}
	}
	require.NoError(t, g.Wait())
	for i, b := range bundles {
		for r := range rounds {
			got := outs[i][r].String()
			require.Equal(t, 2, reps[i][r].Ran, got)
			require.Equal(t, b.name, string(reps[i][r].Outputs["who"]), got)
			require.Contains(t, got, b.name+" param=******* cred=*******", "round %d", r)
			require.Contains(t, got, "again *******", "round %d", r)
			require.Contains(t, got, "(installation: "+b.name+")", "round %d", r)
			for _, other := range bundles {
				for _, s := range secrets(other) {
					require.NotContains(t, got, s, "%s round %d printed a secret", b.name, r)
				}
				if other.name != b.name {
					require.NotContains(t, got, other.name, "%s round %d printed the other bundle", b.name, r)
				}
			}
			require.False(t, strings.Contains(got, "error"), got)
		}
	}
}
