package main

import (
	"os"
	"os/exec"

	"github.com/mixbox/mixbox/host"
)

// filler is what a run does, as it ends, with the modules it ran on the
// interpreter because the cache did not hold them.
type filler func(cacheDir string, cold []host.ColdModule, env []string)

// detachedFill starts `mixbox precompile --background` for the cold
// modules and does not wait for it: the run is done, and the next one finds
// the cache warm (RATIONALE.md, "Why does a cold run leave the compile to a
// detached precompile?"). The fill runs in a process group of its own at
// the lowest priority, with no stdio, claims each module so that no other run
// compiles it meanwhile, and gives up after ten minutes. It is mixbox's own
// process, never a step's. A fill that cannot start changes nothing: the
// next run is cold again.
func detachedFill(cacheDir string, cold []host.ColdModule, env []string) {
	self, err := os.Executable()
	if err != nil {
		return // nothing to start: the next run starts cold again
	}
	args := []string{"precompile", "--background", "--cache-dir", cacheDir}
	for _, m := range cold {
		if m.Path != "" {
			args = append(args, m.Path)
		}
	}
	cmd := exec.Command(self, args...)
	cmd.Env = env
	cmd.Dir = "/"
	cmd.SysProcAttr = detachAttr()
	if err := cmd.Start(); err != nil {
		return // as above
	}
	_ = cmd.Process.Release() // not waited for: it outlives the run by design
}
