package run_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/mixbox/mixbox/host/internal/errkind"
	"github.com/mixbox/mixbox/host/internal/modules"
	"github.com/mixbox/mixbox/host/internal/run"
	"github.com/mixbox/mixbox/host/internal/state"
	"github.com/mixbox/mixbox/internal/testutil"
	"github.com/mixbox/mixbox/mixins/exec/builtin"
)

// testCtx is the tests' context (wazero's pattern: not Background).
var testCtx = context.WithValue(context.Background(), testCtxKey{}, "run")

type testCtxKey struct{}

// cacheDir holds the built-in exec mixin compiled (testutil.SharedCache).
var cacheDir string

func TestMain(m *testing.M) {
	dir, fill, cleanup, err := testutil.SharedCache()
	if err != nil {
		fmt.Fprintln(os.Stderr, "make the test cache:", err)
		os.Exit(2)
	}
	cacheDir = dir
	if fill {
		src := []modules.Source{{Name: "exec", Where: "exec (built-in)", Bin: builtin.Wasm()}}
		if err := modules.Precompile(testCtx, modules.PrecompileOptions{Dir: dir, Version: "test", Sources: src}); err != nil {
			fmt.Fprintln(os.Stderr, "precompile the built-in exec mixin:", err)
			os.Exit(2)
		}
	}
	code := m.Run()
	cleanup()
	os.Exit(code)
}

// probe is a native mixin for the tests: it prints its step, writes the
// outputs its step names (`out: NAME=VALUE`) to porter/outputs, touches its
// state file and exits with the step's `exit:` code.
const probe = `#!/bin/sh
in=$(cat)
echo "probe $1: $(printf '%s' "$in" | grep 'say:' | sed 's/.*say: *//')"
printf '%s\n' "$in" | grep 'out:' | sed 's/.*out: *//' | while IFS== read -r k v; do printf '%s' "$v" > "porter/outputs/$k"; done
echo "ran $1" >> state.txt
code=$(printf '%s' "$in" | grep 'exit:' | sed 's/.*exit: *//')
exit "${code:-0}"
`

// bundle lays out a bundle whose manifest is manifest, with the probe mixin
// installed, under a new root.
func bundle(t *testing.T, manifest string) (root string) {
	t.Helper()
	root = t.TempDir()
	app := filepath.Join(root, "cnab", "app")
	bin := filepath.Join(app, "mixins", "probe", "runtimes")
	require.NoError(t, os.MkdirAll(bin, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(bin, "probe-runtime"), []byte(probe), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(app, "porter.yaml"), []byte(manifest), 0o644))
	return root
}

func newDeps(t *testing.T) run.Deps {
	t.Helper()
	store := modules.New(modules.Options{CacheDir: cacheDir})
	t.Cleanup(func() { _ = store.Close(testCtx) })
	return run.Deps{Modules: store, BuiltIns: map[string][]byte{"exec": builtin.Wasm()}}
}

func config(root, action string, out io.Writer) run.Config {
	return run.Config{Root: root, Action: action, Env: []string{"PATH=/usr/bin:/bin"}, Stdout: out, Stderr: out}
}

const header = `schemaVersion: 1.0.1
name: probes
version: 0.1.0
registry: localhost:5000
mixins: [probe, exec]
state:
  - name: log
    path: state.txt
`

func TestRun_plan(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		steps    string
		wantErr  error
		wantRan  int
		wantLogs []string
	}{
		{
			name:     "each step names its mixin and form",
			steps:    "  - probe: {description: one, say: hi}\n  - exec: {description: two, command: echo, arguments: [there]}\n",
			wantRan:  2,
			wantLogs: []string{"probe install: hi", "step 1/2 done: probe (native, unsandboxed)", "there", "step 2/2 done: exec (wasm, built-in)"},
		},
		{
			name:    "a missing mixin fails the run before any step",
			steps:   "  - probe: {description: one, say: hi}\n  - nosuch: {description: two}\n",
			wantErr: errkind.ErrNotInstalled,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			m := strings.Replace(header, "[probe, exec]", "[probe, exec, nosuch]", 1) + "install:\n" + tc.steps
			root := bundle(t, m)
			var out bytes.Buffer
			rep, err := run.Run(testCtx, newDeps(t), config(root, "install", &out))
			if tc.wantErr != nil {
				require.ErrorIs(t, err, tc.wantErr)
				require.Equal(t, 0, rep.Ran)
				require.NotContains(t, out.String(), "probe install")
				return
			}
			require.NoError(t, err, out.String())
			require.Equal(t, tc.wantRan, rep.Ran)
			for _, w := range tc.wantLogs {
				require.Contains(t, out.String(), w)
			}
			require.Equal(t, 1, strings.Count(out.String(), "mixin probe runs as a native binary"), "warned once per mixin")
		})
	}
}

func TestRun_outputsApplyTo(t *testing.T) {
	t.Parallel()
	m := header + `outputs:
  - name: both
  - name: onlyup
    applyTo: [upgrade]
  - name: secret
    sensitive: true
install:
  - probe: {description: one, say: hi, out: both=b1}
  - probe: {description: two, say: hi, out: onlyup=u1}
  - probe: {description: three, say: hi, out: secret=s3cr3t-value}
  - exec: {description: four, command: echo, arguments: ["${ bundle.outputs.secret }"]}
upgrade:
  - probe: {description: one, say: hi, out: onlyup=u2}
`
	root := bundle(t, m)
	outputs := filepath.Join(root, "cnab", "app", "outputs")
	var out bytes.Buffer
	rep, err := run.Run(testCtx, newDeps(t), config(root, "install", &out))
	require.NoError(t, err, out.String())
	require.Equal(t, "b1", string(rep.Outputs["both"]))
	require.Equal(t, "u1", string(rep.Outputs["onlyup"]), "a step output, whatever applyTo says")
	got, err := os.ReadFile(filepath.Join(outputs, "both"))
	require.NoError(t, err)
	require.Equal(t, "b1", string(got))
	require.NoFileExists(t, filepath.Join(outputs, "onlyup"), "not applied to install")
	require.FileExists(t, filepath.Join(outputs, "secret"))
	require.NotContains(t, out.String(), "s3cr3t-value", "a sensitive output is masked once set")
	require.Contains(t, out.String(), "*******")

	out.Reset()
	_, err = run.Run(testCtx, newDeps(t), config(root, "upgrade", &out))
	require.NoError(t, err, out.String())
	got, err = os.ReadFile(filepath.Join(outputs, "onlyup"))
	require.NoError(t, err)
	require.Equal(t, "u2", string(got))
}

func TestRun_finalizeAfterFailure(t *testing.T) {
	t.Parallel()
	m := header + `outputs:
  - name: early
install:
  - probe: {description: one, say: first, out: early=kept}
  - probe: {description: two, say: second, exit: 3}
  - probe: {description: three, say: never}
`
	root := bundle(t, m)
	var out bytes.Buffer
	rep, err := run.Run(testCtx, newDeps(t), config(root, "install", &out))
	require.ErrorIs(t, err, errkind.ErrStep)
	require.ErrorContains(t, err, "install step 2 failed (probe, native, unsandboxed)")
	require.Equal(t, 3, rep.Steps)
	require.Equal(t, 2, rep.Ran)
	require.NotContains(t, out.String(), "probe install: never")
	require.Contains(t, out.String(), "failed at step 2 of 3 in ")

	outputs := filepath.Join(root, "cnab", "app", "outputs")
	got, err := os.ReadFile(filepath.Join(outputs, "early"))
	require.NoError(t, err, "an output of an earlier step is written after a failure")
	require.Equal(t, "kept", string(got))
	bag, err := os.ReadFile(filepath.Join(outputs, "porter-state"))
	require.NoError(t, err, "porter-state is packed after a failure")
	raw, err := state.Decode(bag)
	require.NoError(t, err)
	files, err := state.Entries(raw)
	require.NoError(t, err)
	var names []string
	for n := range files {
		names = append(names, n)
	}
	require.Len(t, files, 1, "entries: %v", names)
	for _, data := range files {
		require.Equal(t, "ran install\nran install\n", string(data))
	}
}

func TestRun_replayMismatch(t *testing.T) {
	t.Parallel()
	m := header + `install:
  - exec: {description: one, command: echo, arguments: [hello]}
`
	tests := []struct {
		name, replay string
		wantErr      string
	}{
		{"a different call fails the step", "exec:\n  - command: echo\n    args: [goodbye]\n    stdout: \"goodbye\\n\"\n",
			"the exec calls differ from"},
		{"calls left unused fail the run", "exec:\n  - command: echo\n    args: [hello]\n    stdout: \"hello\\n\"\n  - command: echo\n    args: [again]\n",
			"the run made fewer exec calls than"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			root := bundle(t, m)
			replay := filepath.Join(t.TempDir(), "replay.yaml")
			require.NoError(t, os.WriteFile(replay, []byte(tc.replay), 0o644))
			cfg := config(root, "install", io.Discard)
			cfg.ReplayExec = replay
			_, err := run.Run(testCtx, newDeps(t), cfg)
			require.ErrorIs(t, err, errkind.ErrReplay)
			require.ErrorContains(t, err, tc.wantErr)
			require.ErrorContains(t, err, replay)
		})
	}
	t.Run("a matching replay runs no command", func(t *testing.T) {
		t.Parallel()
		root := bundle(t, m)
		replay := filepath.Join(t.TempDir(), "replay.yaml")
		require.NoError(t, os.WriteFile(replay, []byte("exec:\n  - command: echo\n    args: [hello]\n    stdout: \"replayed\\n\"\n"), 0o644))
		var out bytes.Buffer
		cfg := config(root, "install", &out)
		cfg.ReplayExec = replay
		_, err := run.Run(testCtx, newDeps(t), cfg)
		require.NoError(t, err, out.String())
		require.Contains(t, out.String(), "replayed")
	})
}

func TestRun_badConfig(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		cfg     run.Config
		wantErr []error
	}{
		{"no action", run.Config{Root: t.TempDir()}, []error{errkind.ErrUsage, errkind.ErrNoAction}},
		{"a root that is not there", run.Config{Root: filepath.Join(t.TempDir(), "nope"), Action: "install"}, []error{errkind.ErrUsage, errkind.ErrRoot}},
		{"no manifest", run.Config{Root: t.TempDir(), Action: "install"}, []error{errkind.ErrManifest}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := run.Run(testCtx, newDeps(t), tc.cfg)
			for _, want := range tc.wantErr {
				require.ErrorIs(t, err, want)
			}
		})
	}
}
