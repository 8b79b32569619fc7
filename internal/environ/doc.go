// Package environ reads environment lists, the []string of KEY=VALUE
// entries that os.Environ returns and exec.Cmd.Env takes, with one rule: a
// later entry for a key wins, as os/exec does when it starts a process.
//
// It does not read the process's own environment: callers pass the list
// they were given (mixbox reads os.Environ only in cmd/).
//
//	path, ok := environ.Lookup(env, "PATH")
//
// # Notes
//
// An entry without "=" or with an empty key is ignored. Keys are compared
// exactly, also on Windows.
package environ
