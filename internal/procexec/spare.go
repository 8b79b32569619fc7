package procexec

import "sync"

// sparedPIDs are the children KillOrphans leaves alone.
var sparedPIDs sync.Map // int → struct{}

// Spare exempts pid, a child this process started on purpose to outlive it
// (mixbox's background compile, never a step's command), from KillOrphans.
func Spare(pid int) { sparedPIDs.Store(pid, struct{}{}) }

func spared(pid int) bool {
	_, ok := sparedPIDs.Load(pid)
	return ok
}
