package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/mixbox/mixbox/internal/testutil"
)

const nativeManifest = `schemaVersion: 1.0.1
name: native
version: 0.1.0
registry: localhost:5000
mixins:
  - probe
credentials:
  - name: password
    env: PASSWORD
state:
  - name: notes
    path: notes.txt
outputs:
  - name: early
install:
  - probe:
      description: "Probe"
      script: x
  - probe:
      description: "Never runs"
`

// probeRuntime is a native mixin: it writes an output, prints a secret split
// over two writes, then waits for a signal or for GO to exist.
const probeRuntime = `#!/bin/sh
printf 'kept' > porter/outputs/early
echo "state" > notes.txt
printf 'pw=s3cr'; sleep 0.2; printf '3t-pw\n'
echo "also s3cr3t-pw" >&2
if [ -n "$WAIT" ]; then touch "$WAIT"; sleep 30 & wait; fi
exit 3
`

func TestRun_signalStopsStepAndSavesState(t *testing.T) {
	t.Parallel()
	for _, sig := range []struct {
		sig  syscall.Signal
		want int
	}{{syscall.SIGTERM, 143}, {syscall.SIGINT, 130}} {
		t.Run(sig.sig.String(), func(t *testing.T) {
			t.Parallel()
			root := newRoot(t, nativeManifest, map[string]string{"cnab/app/mixins/probe/runtimes/probe-runtime": probeRuntime})
			ready := filepath.Join(t.TempDir(), "ready")
			ctx, cancel := context.WithTimeout(testCtx, 60*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, builds.Binary(t, "./cmd/mixbox", "mixbox"), "run", "--cnab-root", root, "--action", "install")
			cmd.Env = []string{"PATH=/usr/bin:/bin", "WAIT=" + ready, "PASSWORD=s3cr3t-pw"}
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			require.NoError(t, cmd.Start())
			require.Eventually(t, func() bool { _, err := os.Stat(ready); return err == nil }, 30*time.Second, 20*time.Millisecond)
			require.NoError(t, cmd.Process.Signal(sig.sig))
			err := cmd.Wait()
			var ee *exec.ExitError
			require.ErrorAs(t, err, &ee, "stdout:\n%s\nstderr:\n%s", stdout.String(), stderr.String())
			require.Equal(t, sig.want, ee.ExitCode(), "stderr:\n%s", stderr.String())

			app := filepath.Join(root, "cnab", "app")
			got, err := os.ReadFile(filepath.Join(app, "outputs", "porter-state"))
			require.NoError(t, err, "porter-state is written after a signal")
			entries, err := tarEntries(got)
			require.NoError(t, err)
			require.Equal(t, "state\n", string(entries["porter-state/notes"]))
			require.NotContains(t, stdout.String(), "Never runs", "no step starts after the signal")
			require.NotContains(t, stdout.String()+stderr.String(), "s3cr3t-pw")
		})
	}
}

// TestRun_masking: a secret split across two writes is masked (Porter leaks
// it), and the final error never shows it.
func TestRun_masking(t *testing.T) {
	t.Parallel()
	root := newRoot(t, nativeManifest, map[string]string{"cnab/app/mixins/probe/runtimes/probe-runtime": probeRuntime})
	code, stdout, stderr := runCLI(t, []string{"PATH=/usr/bin:/bin", "PASSWORD=s3cr3t-pw"}, "run", "--cnab-root", root, "--action", "install")
	require.Equal(t, 1, code)
	require.Contains(t, stdout, "pw=*******\n")
	require.Contains(t, stderr, "also *******")
	require.Contains(t, stderr, "error: ")
	require.NotContains(t, stdout+stderr, "s3cr3t-pw")
	require.NotContains(t, stdout+stderr, "s3cr")
	// The output written before the failure is kept.
	got, err := os.ReadFile(filepath.Join(root, "cnab", "app", "outputs", "porter-state"))
	require.NoError(t, err)
	require.NotEmpty(t, got)
}

func TestRun_logFormatJSON(t *testing.T) {
	t.Parallel()
	root := newRoot(t, nativeManifest, map[string]string{"cnab/app/mixins/probe/runtimes/probe-runtime": probeRuntime})
	code, stdout, _ := runCLI(t, []string{"PATH=/usr/bin:/bin", "PASSWORD=s3cr3t-pw"}, "run", "--cnab-root", root, "--action", "install", "--log-format", "json")
	require.Equal(t, 1, code)
	require.NotContains(t, stdout, "s3cr3t-pw")
	events := jsonEvents(t, stdout)
	var kinds []string
	var outputs []string
	for _, e := range events {
		kind := e["event"].(string)
		if len(kinds) == 0 || kinds[len(kinds)-1] != kind {
			kinds = append(kinds, kind)
		}
		switch kind {
		case "run_start":
			require.Equal(t, "install", e["action"])
			require.Equal(t, "native", e["bundle"])
		case "step_start":
			require.Equal(t, "Probe", e["text"])
			require.EqualValues(t, 1, e["step"])
			require.EqualValues(t, 2, e["steps"])
		case "output":
			outputs = append(outputs, e["stream"].(string)+":"+e["text"].(string))
		case "step_end":
			require.Equal(t, "probe", e["mixin"])
			require.Equal(t, "native, unsandboxed", e["form"])
			require.Nil(t, e["engine"], "a native step has no wasm engine")
			require.Contains(t, e["error"], "exited with code 3")
			require.IsType(t, float64(0), e["duration_ms"])
		case "run_end":
			require.EqualValues(t, 1, e["step"], "steps ran")
			require.EqualValues(t, 2, e["steps"])
			require.Contains(t, e["error"], "install step 1 failed")
		}
	}
	require.Equal(t, []string{"run_start", "warning", "step_start", "output", "step_end", "run_end"}, kinds)
	require.ElementsMatch(t, []string{"stdout:pw=*******", "stderr:also *******"}, outputs)
}

// TestRun_signalStopsWasmGuest: SIGTERM stops a wasm guest spinning in a
// loop (no timeout would end it soon), keeps its output and writes state.
func TestRun_signalStopsWasmGuest(t *testing.T) {
	t.Parallel()
	loop, err := os.ReadFile(filepath.Join(testutil.ModuleRoot(t), "testdata", "abi", "loop.wasm"))
	require.NoError(t, err)
	manifest := "schemaVersion: 1.0.1\nname: spin\nversion: 0.1.0\nregistry: x\nmixins: [probe]\n" +
		"outputs:\n  - name: before\nstate:\n  - name: notes\n    path: notes.txt\n" +
		"install:\n  - probe:\n      description: Spin\nuninstall:\n  - probe: {}\n"
	root := newRoot(t, manifest, map[string]string{"cnab/app/notes.txt": "kept\n"})
	wasmPath := filepath.Join(root, "cnab", "app", "mixins", "probe", "runtimes", "probe-runtime.wasm")
	require.NoError(t, os.MkdirAll(filepath.Dir(wasmPath), 0o755))
	require.NoError(t, os.WriteFile(wasmPath, loop, 0o644))

	ctx, cancel := context.WithTimeout(testCtx, 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, builds.Binary(t, "./cmd/mixbox", "mixbox"), "run", "--cnab-root", root, "--action", "install")
	cmd.Env = []string{"PATH=/usr/bin:/bin", "MIXBOX_CACHE_DIR=" + cacheDir}
	var stdout, stderr syncBuffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	require.NoError(t, cmd.Start())
	require.Eventually(t, func() bool { return strings.Contains(stdout.String(), "Spin") }, 30*time.Second, 20*time.Millisecond)
	time.Sleep(100 * time.Millisecond) // inside the loop
	require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
	err = cmd.Wait()
	var ee *exec.ExitError
	require.ErrorAs(t, err, &ee, "stdout:\n%s\nstderr:\n%s", stdout.String(), stderr.String())
	require.Equal(t, 143, ee.ExitCode(), "stderr:\n%s", stderr.String())
	out, err := os.ReadFile(filepath.Join(root, "cnab", "app", "outputs", "before"))
	require.NoError(t, err, "the output set before the signal is written")
	require.Equal(t, "set", string(out))
	bag, err := os.ReadFile(filepath.Join(root, "cnab", "app", "outputs", "porter-state"))
	require.NoError(t, err)
	entries, err := tarEntries(bag)
	require.NoError(t, err)
	require.Equal(t, "kept\n", string(entries["porter-state/notes"]))
}

// syncBuffer is a bytes.Buffer safe to read while a process writes to it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func TestRun_logFormatJSON_partialLine(t *testing.T) {
	t.Parallel()
	manifest := "schemaVersion: 1.0.1\nname: p\nversion: 0.1.0\nregistry: x\nmixins: [exec]\n" +
		"install:\n  - exec: {command: printf, arguments: [no-newline]}\nuninstall:\n  - exec: {command: \"true\"}\n"
	root := newRoot(t, manifest, nil)
	code, stdout, stderr := runCLI(t, nil, "run", "--cnab-root", root, "--action", "install", "--log-format", "json")
	require.Equal(t, 0, code, stderr)
	require.Contains(t, stdout, `"event":"output","stream":"stdout","text":"no-newline"`)
}
