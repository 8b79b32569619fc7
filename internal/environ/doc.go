// Package environ reads environments given as "NAME=VALUE" entries, the form
// of os.Environ and exec.Cmd.Env: one lookup rule (the last entry of a name
// wins, as for a process) for the CLI, the host and the guest SDK.
//
// It reads no process environment itself: callers pass the entries in.
package environ
