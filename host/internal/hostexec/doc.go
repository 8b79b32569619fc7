// Package hostexec runs the commands that a wasm mixin asks for through the
// mixbox_v1.exec host function: it checks each request against the policy,
// resolves it, and runs it with os/exec in its own process group, with a
// timeout, capped capture and masked streaming. It also records and replays
// exec calls (mixbox run --record-exec/--replay-exec).
package hostexec
