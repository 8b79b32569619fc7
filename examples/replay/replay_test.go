package replay_test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"

	"github.com/mixbox/mixbox/examples/internal/exampletest"
	"github.com/mixbox/mixbox/host/mixintest"
)

const (
	helmlikePkg  = "github.com/mixbox/mixbox/examples/helmlike/cmd/helmlike-runtime"
	helmlikeMeta = "../helmlike/mixin.yaml"
	password     = "replayed-root-pw" // base64 in helm.exec.yaml
)

type ctxKey struct{}

// testCtx is the context of every call that runs a guest.
var testCtx = context.WithValue(context.Background(), ctxKey{}, "replay")

// TestRun runs run.sh, the README's command, with a freshly built mixbox and
// helmlike mixin: mixbox run --replay-exec helm.exec.yaml, then the outputs.
func TestRun(t *testing.T) {
	if testing.Short() {
		t.Skip("builds mixbox and the helmlike mixin")
	}
	if runtime.GOOS == "windows" {
		t.Skip("run.sh needs a POSIX shell")
	}
	t.Parallel()
	root := t.TempDir()
	cmd := exec.Command("./run.sh")
	cmd.Env = exampletest.Env(
		"MIXBOX="+exampletest.Mixbox(t),
		"HELMLIKE="+exampletest.Wasm(t, helmlikePkg, "helmlike-runtime.wasm", helmlikeMeta),
		"ROOT="+root,
	)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	require.NoError(t, err, "run.sh failed\nstdout:\n%s\nstderr:\n%s", stdout.String(), stderr.String())

	runLog, _, _ := strings.Cut(stdout.String(), "--- outputs")
	assert.Contains(t, runLog, "helm upgrade --install mysql bitnami/mysql --namespace db")
	assert.Contains(t, runLog, "STATUS: deployed", "helm's streamed output")
	assert.NotContains(t, runLog+stderr.String(), password, "the secret must be masked in the run log")
	for name, want := range map[string]string{"mysql-root-password": password, "revision": "1"} {
		got, err := os.ReadFile(filepath.Join(root, "cnab", "app", "outputs", name))
		require.NoError(t, err, "output %s", name)
		assert.Equal(t, want, string(got), "output %s", name)
	}
}

// TestReplayFile keeps helm.exec.yaml in step with the helmlike mixin: the
// install step of bundle/porter.yaml, rendered with the default parameters,
// is run in the sandbox with the replay file as its exec table.
func TestReplayFile(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the helmlike mixin")
	}
	t.Parallel()
	b, err := os.ReadFile("helm.exec.yaml")
	require.NoError(t, err)
	var replay struct {
		Exec []struct {
			Command  string   `yaml:"command"`
			Args     []string `yaml:"args"`
			Stdout   string   `yaml:"stdout"`
			Stderr   string   `yaml:"stderr"`
			ExitCode int      `yaml:"exit_code"`
		} `yaml:"exec"`
	}
	require.NoError(t, yaml.Unmarshal(b, &replay))
	var table []mixintest.Exec
	for _, e := range replay.Exec {
		table = append(table, mixintest.Exec{Command: e.Command, Args: e.Args, Stdout: e.Stdout, Stderr: e.Stderr, ExitCode: e.ExitCode})
	}

	bin, err := os.ReadFile(exampletest.Wasm(t, helmlikePkg, "helmlike-runtime.wasm", helmlikeMeta))
	require.NoError(t, err)
	tester, err := mixintest.New(testCtx, bin, mixintest.Options{Engine: mixintest.Interpreter})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, tester.Close(testCtx)) })
	res, err := tester.Run(testCtx, mixintest.Case{
		Name:   "install replays helm.exec.yaml",
		Action: "install",
		Input: `install:
  - helmlike:
      description: Install MySQL
      name: mysql
      chart: bitnami/mysql
      version: 9.4.1
      namespace: db
      set:
        auth.database: app
      outputs:
        - name: mysql-root-password
          secret: mysql
          key: mysql-root-password
        - name: revision
          statusField: version
`,
		Exec: table,
		Want: mixintest.Want{Outputs: map[string]string{"mysql-root-password": password, "revision": "1"}},
	})
	require.NoError(t, err)
	require.True(t, res.Passed(), "helm.exec.yaml no longer matches what the helmlike mixin runs:\n%s", strings.Join(res.Failures, "\n"))
}
