package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestRun_nativeExecRecordReplay: a native mixin's commands do not pass
// through mixbox, so --replay-exec refuses before anything runs, naming the
// mixin and how to get its wasm form, and --record-exec says it records
// nothing of that mixin.
func TestRun_nativeExecRecordReplay(t *testing.T) {
	t.Parallel()
	manifest := "schemaVersion: 1.0.1\nname: n\nversion: 0.1.0\nregistry: x\nmixins: [exec, ghost]\n" +
		"install:\n  - exec: {description: touch, command: touch, arguments: [ran]}\n" +
		"uninstall:\n  - ghost: {}\n"
	dir := t.TempDir()
	replay := filepath.Join(dir, "replay.yaml")
	require.NoError(t, os.WriteFile(replay, []byte("exec:\n  - command: touch\n    args: [ran]\n"), 0o644))

	t.Run("replay refuses a native mixin whose wasm form is built in", func(t *testing.T) {
		t.Parallel()
		root := newRoot(t, manifest, nil)
		installNativeExec(t, root)
		code, stdout, stderr := runCLI(t, nil, "run", "--cnab-root", root, "--action", "install", "--prefer", "native", "--replay-exec", replay)
		require.Equal(t, 2, code, stdout+stderr)
		require.Contains(t, stderr, "error: a native mixin cannot be replayed: mixin exec runs natively ("+
			filepath.Join(root, "cnab/app/mixins/exec/runtimes/exec-runtime")+"), which runs its commands itself; nothing was run\n")
		require.Contains(t, stderr, "hint: its wasm form (built-in exec) can be replayed: let the wasm form win over the native one (--prefer wasm, the default)\n")
		require.NoFileExists(t, filepath.Join(root, "cnab/app/ran"), "no command ran")
		require.NotContains(t, stdout, "touch", "no step started")

		// The wasm form replays.
		code, stdout, stderr = runCLI(t, nil, "run", "--cnab-root", root, "--action", "install", "--replay-exec", replay)
		require.Equal(t, 0, code, stdout+stderr)
		require.NoFileExists(t, filepath.Join(root, "cnab/app/ran"))
	})

	t.Run("replay refuses a mixin that exists only natively", func(t *testing.T) {
		t.Parallel()
		root := newRoot(t, manifest, map[string]string{"cnab/app/mixins/ghost/runtimes/ghost-runtime": "#!/bin/sh\ntouch ran\n"})
		code, stdout, stderr := runCLI(t, nil, "run", "--cnab-root", root, "--action", "uninstall", "--replay-exec", replay)
		require.Equal(t, 2, code, stdout+stderr)
		require.Contains(t, stderr, "mixin ghost runs natively")
		require.Contains(t, stderr, "hint: install its wasm build as "+filepath.Join(root, "cnab/app/mixins/ghost/runtimes/ghost-runtime.wasm"))
		require.NoFileExists(t, filepath.Join(root, "cnab/app/ran"))
	})

	t.Run("record says it records nothing of a native mixin", func(t *testing.T) {
		t.Parallel()
		root := newRoot(t, manifest, nil)
		installNativeExec(t, root)
		rec := filepath.Join(t.TempDir(), "rec.yaml")
		code, stdout, stderr := runCLI(t, nil, "run", "--cnab-root", root, "--action", "install", "--prefer", "native", "--record-exec", rec)
		require.Equal(t, 0, code, stdout+stderr)
		require.Contains(t, stderr, "warning: mixin exec runs natively ("+filepath.Join(root, "cnab/app/mixins/exec/runtimes/exec-runtime")+
			"): the exec recording "+rec+" holds none of its commands, which do not pass through mixbox\n")
		data, err := os.ReadFile(rec)
		require.NoError(t, err)
		require.Equal(t, "exec: []\n", string(data))
	})
}
