package tmpl_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"

	"github.com/mixbox/mixbox/host/internal/manifest"
	"github.com/mixbox/mixbox/host/internal/tmpl"
	"github.com/mixbox/mixbox/internal/testutil"
)

type testCtxKey struct{}

// testCtx is a non-Background context, as in wazero's tests.
var testCtx = context.WithValue(context.Background(), testCtxKey{}, "tmpl") //nolint:gochecknoglobals // test context

// rerunFixtures is the command that runs TestRenderStep_fixtures.
const rerunFixtures = "go test ./host/internal/tmpl -run TestRenderStep_fixtures"

// fixture is one case of testdata/porter-compat (read-only: what the real
// Porter produced) and mixbox's own files for it under
// testdata/TestRenderStep_fixtures/<case>.
type fixture struct {
	dir    string // the porter-compat case
	own    string // mixbox's goldens and inputs for it
	action string
	env    map[string]string
	m      *manifest.Manifest
	b      *manifest.Bundle
	// outputs[n] are the step outputs known before step n
	// (step-outputs.yaml, taken from what Porter's steps printed).
	outputs map[int]map[string]string
	// porterCalls is how many times Porter called the mixin, and failed
	// whether its run failed (after the last call).
	porterCalls int
	failed      bool
}

func loadFixture(t *testing.T, dir string) fixture {
	t.Helper()
	f := fixture{dir: dir, own: filepath.Join("testdata", "TestRenderStep_fixtures", filepath.Base(dir)), env: map[string]string{}}
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
	if data, err := os.ReadFile(filepath.Join(f.own, "step-outputs.yaml")); err == nil {
		require.NoError(t, yaml.Unmarshal(data, &f.outputs))
	}
	exit, err := os.ReadFile(filepath.Join(dir, "expected", "exit_code"))
	require.NoError(t, err)
	f.failed = strings.TrimSpace(string(exit)) != "0"
	calls, err := filepath.Glob(filepath.Join(dir, "expected", "mixin-stdin", "step-*.yaml"))
	require.NoError(t, err)
	f.porterCalls = len(calls)
	for n := 1; n <= f.porterCalls; n++ {
		require.FileExists(t, f.porterStdin(n), "Porter's mixin calls are numbered 1..%d", f.porterCalls)
	}
	return f
}

// porterStdin is the stdin Porter's exec mixin received on call n.
func (f fixture) porterStdin(n int) string {
	return filepath.Join(f.dir, "expected", "mixin-stdin", fmt.Sprintf("step-%d.yaml", n))
}

// golden is mixbox's own golden of step n's stdin, byte for byte.
func (f fixture) golden(n int) string {
	return filepath.Join(f.own, fmt.Sprintf("step-%d.golden", n))
}

// resolve maps an absolute path of the run to the case's files/ tree.
func (f fixture) resolve(p string) string {
	return filepath.Join(f.dir, "files", filepath.FromSlash(p))
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

// TestRenderStep_fixtures renders every step of each porter-compat case's
// action that Porter called the mixin for. The stdin must parse to the YAML
// Porter sent (testdata/porter-compat/<case>/expected/mixin-stdin: read-only,
// never rewritten) and match mixbox's own golden byte for byte
// (testdata/TestRenderStep_fixtures/<case>/step-N.golden: -update rewrites
// these). Rendering without bundle.json gives the same bytes.
func TestRenderStep_fixtures(t *testing.T) {
	t.Parallel()
	cases := testutil.PorterCompatCases(t)
	known := map[string]bool{}
	for _, dir := range cases {
		known[filepath.Base(dir)] = true
	}
	own, err := filepath.Glob(filepath.Join("testdata", t.Name(), "*"))
	require.NoError(t, err)
	for _, dir := range own {
		require.True(t, known[filepath.Base(dir)], "%s belongs to no case of testdata/porter-compat: remove it", dir)
	}
	for _, dir := range cases {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			t.Parallel()
			f := loadFixture(t, dir)
			steps, err := f.m.Steps(f.action)
			require.NoError(t, err)
			rendered := 0
			for _, st := range steps {
				if st.Index > f.porterCalls {
					require.True(t, f.failed, "%s is missing though Porter's run did not fail; restore testdata/porter-compat with `git checkout -- testdata/porter-compat`", f.porterStdin(st.Index))
					require.NoFileExists(t, f.golden(st.Index), "Porter stopped before step %d: remove the golden", st.Index)
					continue // Porter's run failed before this step
				}
				rendered++
				want, err := os.ReadFile(f.porterStdin(st.Index))
				require.NoError(t, err)
				res, err := tmpl.RenderStep(testCtx, f.input(st.Index, true), st)
				require.NoError(t, err)
				var gotV, wantV any
				require.NoError(t, yaml.Unmarshal(res.Stdin, &gotV))
				require.NoError(t, yaml.Unmarshal(want, &wantV))
				require.Equal(t, wantV, gotV, "parsed stdin of step %d differs from Porter's %s", st.Index, f.porterStdin(st.Index))
				testutil.Golden(t, f.golden(st.Index), res.Stdin, rerunFixtures)

				noBundle, err := tmpl.RenderStep(testCtx, f.input(st.Index, false), st)
				require.NoError(t, err, "without bundle.json")
				require.Equal(t, string(res.Stdin), string(noBundle.Stdin), "step %d renders differently without bundle.json", st.Index)
			}
			require.Equal(t, f.porterCalls, rendered, "Porter called the mixin %d times, the action has %d steps to render", f.porterCalls, rendered)
			extra, err := filepath.Glob(filepath.Join(f.own, "step-*.golden"))
			require.NoError(t, err)
			require.Len(t, extra, rendered, "%s has goldens for steps Porter never ran: remove them", f.own)
		})
	}
}
