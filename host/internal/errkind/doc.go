// Package errkind defines the kinds of failure the mixbox host reports — the
// sentinels package host re-exports and the CLI maps to exit codes — and the
// hints that tell a user what to do about an error.
//
// It sits below every other host package, so any of them can say what kind
// of failure an error is without importing package host.
//
// # Notes
//
// A hint never names a command-line flag: the library does not know how it
// was called. The CLI adds the flag-specific advice for the sentinels that
// need it (ErrNoAction, ErrRoot, ...).
package errkind
