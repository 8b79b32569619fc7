package host

import "github.com/mixbox/mixbox/host/internal/errkind"

// Sentinel errors; the CLI maps them to exit codes and hints.
var (
	// ErrUsage is wrapped by errors in how mixbox was called: bad option
	// values, an unreadable or invalid policy file (exit 2).
	ErrUsage = errkind.ErrUsage
	// ErrIncompatible is wrapped by errors about a mixin the host cannot run:
	// not a wasm core module, a wrong ABI, a disallowed import (exit 3).
	ErrIncompatible = errkind.ErrIncompatible
	// ErrManifest is wrapped by errors in porter.yaml or bundle.json.
	ErrManifest = errkind.ErrManifest
	// ErrNotInstalled is wrapped when a step's mixin is found nowhere.
	ErrNotInstalled = errkind.ErrNotInstalled
	// ErrStep is wrapped when a step fails.
	ErrStep = errkind.ErrStep

	// ErrNoAction is wrapped, with ErrUsage, when RunOptions has no Action.
	ErrNoAction = errkind.ErrNoAction
	// ErrRoot is wrapped, with ErrUsage, when RunOptions.Root is not a
	// directory.
	ErrRoot = errkind.ErrRoot
	// ErrReplay is wrapped when the exec replay file cannot be read or the
	// run's exec calls differ from it.
	ErrReplay = errkind.ErrReplay
	// ErrNoCache is wrapped, with ErrUsage, when Precompile has no cache
	// directory.
	ErrNoCache = errkind.ErrNoCache
	// ErrInputs is wrapped, with ErrUsage, when RunOptions' Params or Creds
	// name nothing in the manifest or do not fit their definition, or (a
	// local run, with a Root) a parameter without a default or a required
	// credential has no value: nothing runs.
	ErrInputs = errkind.ErrInputs
	// ErrNativeReplay is wrapped, with ErrUsage and ErrReplay, when a run
	// with ReplayExec would run a mixin natively: nothing runs.
	ErrNativeReplay = errkind.ErrNativeReplay
	// ErrDenied is wrapped when a step failed after the policy refused one
	// of its mixin's exec calls; Hint gives the lines that grant them.
	ErrDenied = errkind.ErrDenied
)

// Hint returns a line that tells the user what to do about err, or "".
func Hint(err error) string { return errkind.Hint(err) }
