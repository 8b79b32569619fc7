package tmpl_test

import (
	"bufio"
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"

	"github.com/mixbox/mixbox/host/internal/manifest"
	"github.com/mixbox/mixbox/host/internal/tmpl"
)

var update = flag.Bool("update", false, "rewrite golden files")

type testCtxKey struct{}

// testCtx is a non-Background context, as in wazero's tests.
var testCtx = context.WithValue(context.Background(), testCtxKey{}, "tmpl") //nolint:gochecknoglobals // test context

// fixture is one Porter-compat case under testdata/TestRenderStep_fixtures.
type fixture struct {
	dir    string
	action string
	env    map[string]string
	m      *manifest.Manifest
	b      *manifest.Bundle
	// outputs[n] are the step outputs known before step n (from the goldens).
	outputs map[int]map[string]string
}

func loadFixture(t *testing.T, dir string) fixture {
	t.Helper()
	f := fixture{dir: dir, env: map[string]string{}}
	action, err := os.ReadFile(filepath.Join(dir, "action"))
	require.NoError(t, err)
	f.action = strings.TrimSpace(string(action))
	envData, err := os.ReadFile(filepath.Join(dir, "env"))
	require.NoError(t, err)
	sc := bufio.NewScanner(bytes.NewReader(envData))
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, _ := strings.Cut(line, "=")
		f.env[k] = v
	}
	f.m, err = manifest.Load(filepath.Join(dir, "porter.yaml"))
	require.NoError(t, err)
	f.b, err = manifest.LoadBundle(filepath.Join(dir, "bundle.json"))
	require.NoError(t, err)
	if data, err := os.ReadFile(filepath.Join(dir, "step-outputs.yaml")); err == nil {
		require.NoError(t, yaml.Unmarshal(data, &f.outputs))
	}
	return f
}

func (f fixture) resolve(p string) string {
	return filepath.Join(f.dir, "root", filepath.FromSlash(p))
}

func (f fixture) input(n int, withBundle bool) tmpl.Input {
	in := tmpl.Input{
		Manifest: f.m, Action: f.action, Env: f.env,
		Outputs: f.outputs[n], ResolvePath: f.resolve,
	}
	if withBundle {
		in.Bundle = f.b
	}
	return in
}

// TestRenderStep_fixtures renders every step of each Porter-compat fixture's
// action and compares the stdin with what Porter sent to the mixin.
func TestRenderStep_fixtures(t *testing.T) {
	t.Parallel()
	dirs, err := filepath.Glob(filepath.Join("testdata", t.Name(), "*"))
	require.NoError(t, err)
	require.NotEmpty(t, dirs)
	for _, dir := range dirs {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			t.Parallel()
			f := loadFixture(t, dir)
			steps, err := f.m.Steps(f.action)
			require.NoError(t, err)
			for _, withBundle := range []bool{true, false} {
				for _, st := range steps {
					golden := filepath.Join(dir, fmt.Sprintf("step-%d.yaml", st.Index))
					want, err := os.ReadFile(golden)
					if os.IsNotExist(err) {
						continue // Porter never called the mixin for this step
					}
					require.NoError(t, err)
					res, err := tmpl.RenderStep(testCtx, f.input(st.Index, withBundle), st)
					require.NoError(t, err, "bundle.json: %v", withBundle)
					if *update && withBundle {
						require.NoError(t, os.WriteFile(golden, res.Stdin, 0o644))
						continue
					}
					var gotV, wantV any
					require.NoError(t, yaml.Unmarshal(res.Stdin, &gotV))
					require.NoError(t, yaml.Unmarshal(want, &wantV))
					require.Equal(t, wantV, gotV, "parsed stdin of step %d differs (bundle.json: %v)", st.Index, withBundle)
					require.Equal(t, string(want), string(res.Stdin),
						"output differs from %s; if intended run: go test ./host/internal/tmpl -run TestRenderStep_fixtures -update", golden)
				}
			}
		})
	}
}
