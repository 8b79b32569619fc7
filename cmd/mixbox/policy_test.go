package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"

	"github.com/mixbox/mixbox/internal/testutil"
)

const execStepsManifest = `schemaVersion: 1.0.1
name: grants
version: 0.1.0
registry: localhost:5000
mixins:
  - exec
credentials:
  - name: token
    env: TOKEN
install:
  - exec:
      description: "Greet"
      command: ./greet.sh
      arguments: ["${ bundle.credentials.token }"]
      envs:
        GREETING: hello
      outputs:
        - name: said
          regex: "(.*)"
uninstall:
  - exec:
      command: echo
      arguments: [bye]
`

const greetScript = "#!/bin/sh\necho \"$GREETING with $1\"\n"

// TestRun_printPolicy: the default policy grants the built-in exec mixin
// exactly what the manifest's exec steps name.
func TestRun_printPolicy(t *testing.T) {
	t.Parallel()
	root := newRoot(t, execStepsManifest, map[string]string{"cnab/app/greet.sh": greetScript})
	code, stdout, stderr := runCLI(t, nil, "run", "--cnab-root", root, "--print-policy")
	require.Equal(t, 0, code, stderr)
	var got struct {
		APIVersion string `yaml:"apiVersion"`
		Native     string `yaml:"native"`
		Mixins     map[string]struct {
			Exec       []struct{ Command string } `yaml:"exec"`
			Env        []string                   `yaml:"env"`
			InheritEnv bool                       `yaml:"inheritEnv"`
		} `yaml:"mixins"`
	}
	require.NoError(t, yaml.Unmarshal([]byte(stdout), &got), stdout)
	require.Equal(t, "mixbox/v1", got.APIVersion)
	require.Equal(t, "allow", got.Native)
	var cmds []string
	for _, g := range got.Mixins["exec"].Exec {
		cmds = append(cmds, g.Command)
	}
	require.ElementsMatch(t, []string{"./greet.sh", "echo", "./echo"}, cmds)
	require.Equal(t, []string{"GREETING"}, got.Mixins["exec"].Env)
	require.True(t, got.Mixins["exec"].InheritEnv)

	// The printed policy is a valid policy file that runs the bundle.
	pol := filepath.Join(t.TempDir(), "policy.yaml")
	require.NoError(t, os.WriteFile(pol, []byte(stdout), 0o644))
	code, stdout, stderr = runCLI(t, []string{"PATH=/usr/bin:/bin", "TOKEN=tok3n-value", "MIXBOX_CACHE_DIR=" + cacheDir},
		"run", "--cnab-root", root, "--action", "install", "--policy", pol)
	require.Equal(t, 0, code, stdout+stderr)
	require.Contains(t, stdout, "hello with *******")
}

// TestRun_policyDenies: an operator's policy that does not grant a command
// fails the step, logs the denial with its rule and repeats it in the error.
func TestRun_policyDenies(t *testing.T) {
	t.Parallel()
	root := newRoot(t, execStepsManifest, map[string]string{"cnab/app/greet.sh": greetScript})
	pol := filepath.Join(t.TempDir(), "policy.yaml")
	require.NoError(t, os.WriteFile(pol, []byte("apiVersion: mixbox/v1\nmixins:\n  exec:\n    exec: [{command: echo}]\n"), 0o644))
	code, stdout, stderr := runCLI(t, []string{"PATH=/usr/bin:/bin", "TOKEN=tok3n-value", "MIXBOX_CACHE_DIR=" + cacheDir},
		"run", "--cnab-root", root, "--action", "install", "--policy", pol)
	require.Equal(t, 1, code, stdout+stderr)
	require.Contains(t, stderr, `exec "./greet.sh" denied for mixin exec`)
	require.Contains(t, stderr, "denied by the policy")
	require.NotContains(t, stdout+stderr, "tok3n-value")
	_, err := os.Stat(filepath.Join(root, "cnab", "app", "outputs", "porter-state"))
	require.NoError(t, err, "porter-state is written after a denied step")
}

func TestRun_badPolicy(t *testing.T) {
	t.Parallel()
	root := newRoot(t, execStepsManifest, nil)
	pol := filepath.Join(t.TempDir(), "policy.yaml")
	require.NoError(t, os.WriteFile(pol, []byte("apiVersion: mixbox/v1\ndefaults:\n  memory: lots\n"), 0o644))
	code, _, stderr := runCLI(t, nil, "run", "--cnab-root", root, "--action", "install", "--policy", pol)
	require.Equal(t, 2, code, stderr)
	require.Contains(t, stderr, "line 3")
	code, _, stderr = runCLI(t, nil, "run", "--cnab-root", root, "--action", "install", "--policy", pol+".missing")
	require.Equal(t, 2, code, stderr)
}

// TestRun_recordReplay records a run's exec calls, replays them with no
// command available, and fails a replay whose calls differ with a diff.
func TestRun_recordReplay(t *testing.T) {
	t.Parallel()
	rec := filepath.Join(t.TempDir(), "calls.yaml")
	env := []string{"PATH=/usr/bin:/bin", "TOKEN=tok3n-value", "MIXBOX_CACHE_DIR=" + cacheDir}
	root := newRoot(t, execStepsManifest, map[string]string{"cnab/app/greet.sh": greetScript})
	code, stdout, stderr := runCLI(t, env, "run", "--cnab-root", root, "--action", "install", "--record-exec", rec)
	require.Equal(t, 0, code, stdout+stderr)
	data, err := os.ReadFile(rec)
	require.NoError(t, err)
	require.Contains(t, string(data), "command: ./greet.sh")
	require.Contains(t, string(data), "stdout: '*******'", "the step output (undeclared, so sensitive) is masked too")
	require.NotContains(t, string(data), "tok3n-value", "secrets are masked in the recording")

	// Replay with a script that would fail if it ran, and a real-looking
	// recording without the secret in its args.
	replay := filepath.Join(t.TempDir(), "replay.yaml")
	require.NoError(t, os.WriteFile(replay, []byte("exec:\n  - command: ./greet.sh\n    args: [tok3n-value]\n    stdout: \"replayed greeting\\n\"\n"), 0o644))
	root2 := newRoot(t, execStepsManifest, map[string]string{"cnab/app/greet.sh": "#!/bin/sh\nexit 9\n"})
	code, stdout, stderr = runCLI(t, env, "run", "--cnab-root", root2, "--action", "install", "--replay-exec", replay)
	require.Equal(t, 0, code, stdout+stderr)
	require.Contains(t, stdout, "replayed greeting")
	said, err := os.ReadFile(filepath.Join(root2, "cnab", "app", "porter", "outputs", "said"))
	if err == nil {
		t.Fatalf("step outputs are collected, not left behind: %q", said)
	}

	// A replay whose call differs fails the step with the diff.
	require.NoError(t, os.WriteFile(replay, []byte("exec:\n  - command: ./greet.sh\n    args: [other]\n"), 0o644))
	code, stdout, stderr = runCLI(t, env, "run", "--cnab-root", root2, "--action", "install", "--replay-exec", replay)
	require.Equal(t, 1, code, stdout+stderr)
	require.Contains(t, stderr, "exec call 1: want ./greet.sh [other]")
	require.True(t, strings.Contains(stderr, "got ./greet.sh [*******]"), stderr)
}

// TestRun_templatedCommand: under the default policy the built-in exec
// mixin may run a command that a template names, as Porter runs it.
func TestRun_templatedCommand(t *testing.T) {
	t.Parallel()
	manifest := "schemaVersion: 1.0.1\nname: t\nversion: 0.1.0\nregistry: x\nmixins: [exec]\n" +
		"parameters:\n  - {name: cmd, type: string, default: echo}\n  - {name: script, type: string, default: run.sh}\n" +
		"install:\n  - exec: {command: \"${ bundle.parameters.cmd }\", arguments: [hello]}\n" +
		"  - exec: {command: \"./${ bundle.parameters.script }\", arguments: [a]}\n" +
		"uninstall:\n  - exec: {command: \"true\"}\n"
	root := newRoot(t, manifest, map[string]string{"cnab/app/run.sh": "#!/bin/sh\necho \"script $1\"\n"})
	code, stdout, stderr := runCLI(t, nil, "run", "--cnab-root", root, "--action", "install")
	require.Equal(t, 0, code, stdout+stderr)
	require.Contains(t, stdout, "hello\n")
	require.Contains(t, stdout, "script a\n")
}

// TestRun_replayFailures: a replayed call that differs fails the step even
// when the mixin goes on and succeeds, and calls the run did not make fail
// the run; a recording with a masked argument replays.
func TestRun_replayFailures(t *testing.T) {
	t.Parallel()
	env := []string{"PATH=/usr/bin:/bin", "TOKEN=tok3n-value", "MIXBOX_CACHE_DIR=" + cacheDir}
	dir := t.TempDir()

	// The exec mixin ignores the error, so only the replay check fails it.
	ignoring := strings.Replace(execStepsManifest, "      envs:", "      ignoreError: {all: true}\n      envs:", 1)
	root := newRoot(t, ignoring, map[string]string{"cnab/app/greet.sh": greetScript})
	replay := filepath.Join(dir, "other.yaml")
	require.NoError(t, os.WriteFile(replay, []byte("exec:\n  - command: ./greet.sh\n    args: [other]\n"), 0o644))
	code, stdout, stderr := runCLI(t, env, "run", "--cnab-root", root, "--action", "install", "--replay-exec", replay)
	require.Equal(t, 1, code, stdout+stderr)
	require.Contains(t, stderr, "exec call 1: want ./greet.sh [other]")

	// A recording replays although it holds the secret masked.
	rec := filepath.Join(dir, "rec.yaml")
	code, stdout, stderr = runCLI(t, env, "run", "--cnab-root", root, "--action", "install", "--record-exec", rec)
	require.Equal(t, 0, code, stdout+stderr)
	code, stdout, stderr = runCLI(t, env, "run", "--cnab-root", root, "--action", "install", "--replay-exec", rec)
	require.Equal(t, 0, code, stdout+stderr)

	// A call the run does not make fails it.
	data, err := os.ReadFile(rec)
	require.NoError(t, err)
	extra := filepath.Join(dir, "extra.yaml")
	require.NoError(t, os.WriteFile(extra, append(data, []byte("  - command: helm\n    args: [status]\n")...), 0o644))
	code, stdout, stderr = runCLI(t, env, "run", "--cnab-root", root, "--action", "install", "--replay-exec", extra)
	require.Equal(t, 1, code, stdout+stderr)
	require.Contains(t, stderr, "fewer exec calls")
	require.NotContains(t, stdout+stderr, "tok3n-value")
}

// TestRun_denialSaysWhatToDo: a wasm mixin denied a command it did not
// declare gets an error whose hint has the exact lines that grant it: in
// its metadata (then packed), or in a policy file; an operator's policy
// that refuses it gets the policy file's lines only. Following the hint
// makes the run pass.
func TestRun_denialSaysWhatToDo(t *testing.T) {
	t.Parallel()
	guest, err := os.ReadFile(filepath.Join(testutil.ModuleRoot(t), "host/mixintest/testdata/helmversion.wasm"))
	require.NoError(t, err)
	manifest := "schemaVersion: 1.0.1\nname: d\nversion: 0.1.0\nregistry: x\nmixins: [helmv]\n" +
		"install:\n  - helmv: {description: ask helm}\nuninstall:\n  - helmv: {}\n"
	root := newRoot(t, manifest, nil)
	mod := filepath.Join(root, "cnab/app/mixins/helmv/runtimes/helmv-runtime.wasm")
	require.NoError(t, os.MkdirAll(filepath.Dir(mod), 0o755))
	require.NoError(t, os.WriteFile(mod, guest, 0o644))

	code, stdout, stderr := runCLI(t, nil, "run", "--cnab-root", root, "--action", "install")
	require.Equal(t, 1, code, stdout+stderr)
	require.Contains(t, stderr, "error: install step 1 failed (helmv, wasm, installed)")
	require.Contains(t, stderr, `hint: declare the commands in the mixbox.mixin metadata of helmv (mixin.yaml) and pack it into the module again (mixbox mixin pack):
    capabilities:
      exec: [helm]
  or grant them in a policy file:
    apiVersion: mixbox/v1
    mixins:
      helmv:
        exec:
          - command: helm
  and run with --policy FILE (or MIXBOX_POLICY=FILE) to apply a policy file
`)

	// The metadata lines, packed: helm (a fake on the PATH) runs.
	code, out, errs := runCLI(t, nil, "mixin", "pack", mod, "--meta", writeTemp(t, "name: helmv\nabi: mixbox_v1\ncapabilities:\n  exec: [helm]\n"))
	require.Equal(t, 0, code, out+errs)
	bin := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(bin, "helm"), []byte("#!/bin/sh\necho v3\n"), 0o755))
	env := []string{"PATH=" + bin + ":/usr/bin:/bin", "HOME=" + t.TempDir(), "MIXBOX_CACHE_DIR=" + cacheDir}
	code, stdout, stderr = runCLI(t, env, "run", "--cnab-root", root, "--action", "install")
	require.Equal(t, 0, code, stdout+stderr)

	// An operator's policy that refuses it: the policy file's lines.
	pol := writeTemp(t, "apiVersion: mixbox/v1\nmixins:\n  helmv:\n    exec: [{command: kubectl}]\n")
	code, stdout, stderr = runCLI(t, nil, "run", "--cnab-root", root, "--action", "install", "--policy", pol)
	require.Equal(t, 1, code, stdout+stderr)
	require.Contains(t, stderr, "hint: grant them in a policy file (docs/spec/policy.md):\n    apiVersion: mixbox/v1\n    mixins:\n      helmv:\n        exec:\n          - command: helm\n")
	require.NotContains(t, stderr, "capabilities:")
}

// writeTemp writes body to a new temporary file and returns its path.
func writeTemp(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "file.yaml")
	require.NoError(t, os.WriteFile(p, []byte(body), 0o644))
	return p
}
