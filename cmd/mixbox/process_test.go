//go:build unix

package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/mixbox/mixbox/internal/testutil"
)

// orphansManifest starts two background processes that do not hold the
// command's output: one in the command's process group, one in a session of
// its own (setsid), and writes their pids to the bundle directory.
const orphansManifest = `schemaVersion: 1.0.1
name: orphans
version: 0.1.0
registry: x
mixins: [exec]
install:
  - exec:
      description: "Leave a child in the group"
      command: bash
      flags:
        c: '"sleep 300 >/dev/null 2>&1 </dev/null & echo $! > group.pid"'
  - exec:
      description: "Leave a detached child"
      command: bash
      flags:
        c: '"setsid sleep 300 >/dev/null 2>&1 </dev/null & echo $! > detached.pid"'
`

// TestRun_noProcessOutlivesTheRun: whatever a step's command leaves running
// (a background child in its group, a child in a session of its own) is
// gone when mixbox exits, in the wasm and the native form of the exec mixin.
func TestRun_noProcessOutlivesTheRun(t *testing.T) {
	t.Parallel()
	bin := builds.Binary(t, "./cmd/mixbox", "mixbox")
	for _, form := range []string{"wasm", "native"} {
		t.Run(form, func(t *testing.T) {
			t.Parallel()
			root := newRoot(t, orphansManifest, nil)
			if form == "native" {
				installNativeExec(t, root)
			}
			ctx, cancel := context.WithTimeout(testCtx, 2*time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, bin, "run", "--cnab-root", root, "--action", "install", "--prefer", form)
			cmd.Env = []string{"PATH=/usr/bin:/bin", "HOME=" + t.TempDir(), "MIXBOX_CACHE_DIR=" + cacheDir}
			out, err := cmd.CombinedOutput()
			require.NoError(t, err, "%s", out)
			for _, name := range []string{"group.pid", "detached.pid"} {
				pid := readPid(t, filepath.Join(root, "cnab", "app", name))
				t.Cleanup(func() { _ = syscall.Kill(pid, syscall.SIGKILL) }) // a failing run must not leave it either
				require.False(t, testutil.Running(pid), "%s: process %d outlived mixbox\n%s", name, pid, out)
			}
		})
	}
}

// TestRun_childHoldingStdout: a command that exits while a child it started
// keeps its stdout open is done when it exits (its exit code, not a
// timeout), a grace period later at most, and the child is stopped: the
// call does not wait for the exec timeout.
func TestRun_childHoldingStdout(t *testing.T) {
	t.Parallel()
	manifest := `schemaVersion: 1.0.1
name: holder
version: 0.1.0
registry: x
mixins: [exec]
install:
  - exec:
      description: "A child keeps stdout"
      command: bash
      flags:
        c: '"sleep 300 & echo $! > holder.pid; echo started"'
      outputs:
        - name: said
          regex: "(started)"
`
	policy := "apiVersion: mixbox/v1\ndefaults:\n  execTimeout: 60s\nmixins:\n  exec:\n    exec: [{command: bash}]\n"
	for _, form := range []string{"wasm", "native"} {
		t.Run(form, func(t *testing.T) {
			t.Parallel()
			root := newRoot(t, manifest, map[string]string{"policy.yaml": policy})
			if form == "native" {
				installNativeExec(t, root)
			}
			start := time.Now()
			code, stdout, stderr := runCLI(t, nil, "run", "--cnab-root", root, "--action", "install",
				"--policy", filepath.Join(root, "policy.yaml"), "--prefer", form)
			took := time.Since(start)
			pid := readPid(t, filepath.Join(root, "cnab", "app", "holder.pid"))
			t.Cleanup(func() { _ = syscall.Kill(pid, syscall.SIGKILL) })
			require.Equal(t, 0, code, stdout+stderr)
			require.Contains(t, stdout, "started")
			said, err := os.ReadFile(filepath.Join(root, "cnab", "app", "outputs", "said"))
			if err == nil { // only a declared bundle output is written; the step's output is enough
				require.Equal(t, "started", string(said))
			}
			require.Less(t, took, 50*time.Second, "the call waited for the exec timeout")
			require.Eventually(t, func() bool { return !testutil.Running(pid) }, 10*time.Second, 20*time.Millisecond,
				"the child holding stdout is stopped")
		})
	}
}

func readPid(t *testing.T, p string) int {
	t.Helper()
	data, err := os.ReadFile(p)
	require.NoError(t, err)
	pid, err := strconv.Atoi(strings.TrimSpace(string(data)))
	require.NoError(t, err, "pid file %s: %q", p, data)
	return pid
}
