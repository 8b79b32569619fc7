package main

import (
	"context"
	"io"
	"os"
	"os/exec"

	"github.com/mixbox/mixbox/host"
	"github.com/mixbox/mixbox/internal/procexec"
)

// filler is what a run does, as it ends, with the modules it ran on the
// interpreter because the cache did not hold them.
type filler func(ctx context.Context, cacheDir string, cold []host.ColdModule, env []string)

// smallModule is the largest module a run compiles itself before it exits
// (a few tens of milliseconds: wazero compiles about 3.5 MB of wasm a
// second here); a larger one is left to a detached fill.
const smallModule = 128 << 10

// backgroundEnv turns the detached fill off when set to "off": a cold run
// then leaves its large modules cold.
const backgroundEnv = "MIXBOX_BACKGROUND_COMPILE"

// detachedFill compiles the small cold modules into the cache at once, and
// starts `mixbox precompile --background` for the large ones (the built-ins
// among them) without waiting for it: the run is done, and the next one
// finds the cache warm (RATIONALE.md, "Why does a cold run leave the
// compile to a detached precompile?"). The fill runs in a process group of
// its own at the lowest priority, with no stdio, claims each module so that
// no other run compiles it meanwhile, and gives up after ten minutes. It is
// mixbox's own process, never a step's. A fill that cannot start or fails
// changes nothing: the next run is cold again.
func detachedFill(ctx context.Context, cacheDir string, cold []host.ColdModule, env []string) {
	var small, large []string
	builtin := false
	for _, m := range cold {
		switch fi, err := os.Stat(m.Path); {
		case m.Path == "":
			builtin = true
		case err == nil && fi.Size() <= smallModule:
			small = append(small, m.Path)
		case err == nil:
			large = append(large, m.Path)
		}
	}
	if len(small) > 0 {
		_ = host.Precompile(ctx, host.PrecompileOptions{CacheDir: cacheDir, Modules: small, BuiltIns: builtins(), Stdout: io.Discard}) // as above
	}
	if v, _ := lookupEnv(env, backgroundEnv); v == "off" || (!builtin && len(large) == 0) {
		return
	}
	self, err := os.Executable()
	if err != nil {
		return // nothing to start: the next run starts cold again
	}
	cmd := exec.Command(self, append([]string{"precompile", "--background", "--cache-dir", cacheDir}, large...)...)
	cmd.Env = env
	cmd.Dir = "/"
	cmd.SysProcAttr = detachAttr()
	if err := cmd.Start(); err != nil {
		return // as above
	}
	procexec.Spare(cmd.Process.Pid) // not one of a step's processes: KillOrphans leaves it
	_ = cmd.Process.Release()       // not waited for: it outlives the run by design
}
