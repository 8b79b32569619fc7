// Package hostexec runs the commands that a wasm mixin asks for through the
// mixbox_v1.exec host function: it checks each request against the policy,
// resolves it, and runs it with os/exec in its own process group, with a
// timeout, capped capture and streaming. It also records and replays exec
// calls (mixbox run --record-exec/--replay-exec) in the `exec:` list format
// of docs/spec/mixin-test.md (Entry).
//
//	exe := hostexec.New(hostexec.Options{
//		Policy: pol.For("helm3"),
//		Env:    env,          // mixbox's environment, as data
//		Root:   cnabRoot,     // --cnab-root; "" is /
//	})
//	res, err := exe.Exec(ctx, hostexec.Call{Mixin: "helm3", Request: req, Stdout: out, Stderr: errOut})
//	// errors.Is(err, wasmabi.EDenied) / wasmabi.ENotFound; a non-zero exit is res.ExitCode
//
//	rec := hostexec.NewRecorder(hostexec.RecorderOptions{Path: file, Mask: set.String})
//	exe = rec.Wrap(exe)                        // ... run ..., then rec.Flush()
//	rep := hostexec.NewReplayer(entries)         // from ParseEntries
//	exe = hostexec.Checked(pol.For("helm3"), rep) // runs nothing
//
// ParseEntryList is the one parser of an `exec:` list, for --replay-exec
// files (ParseEntries) and mixin-test cases alike: errors name the line,
// and args_regex are compiled once there, not on each Entry.Match.
//
// # Security
//
// The policy is checked on the resolved request before anything is looked
// up (abi-v1.md §8.2, §8.6): a refused call never reaches the host's PATH
// or file system. The allowed request's command path and dir are then
// followed through the host's symlinks: one shipped in the bundle that
// leads out of it (for the dir: out of it and of the policy's dirs) is
// E_DENIED too, before any look-up. A bare name is looked up only on the
// PATH of Options.Env, with internal/procexec's rule: a name that the PATH
// finds through a relative entry ("." included, taken from the bundle
// directory) is not run but fails to start (exit code -1), as os/exec
// refuses it. Commands never run through a shell. A
// command gets PATH and HOME, the variables the policy passes through, and
// the request's env; nothing else unless the policy says inheritEnv.
//
// # Notes
//
// Streamed output is written to Call.Stdout and Call.Stderr as it comes,
// unmasked: the caller passes masking writers. The captured stdout and
// stderr are cut at captureBytes each; the flags say that more came. A
// stream the request discards is not captured at all. With Call.Spill, a
// capture over SpillAt goes to an unlinked temporary file handed over in
// the Spill instead of the result's string (RATIONALE.md: "Why does a
// command's output reach a guest raw, from the host, and only when it is
// read?"); the Recorder streams such captures into the recording. A
// command's exit by signal N is reported as exit code 128+N. When the
// command's descendants keep its stdout or stderr open after it exits, Exec
// waits for them Options.KillGrace at most, then kills what is left of the
// group and returns the command's own exit (not a timeout). On a timeout or
// cancel the group gets SIGTERM, and SIGKILL after Options.KillGrace or once
// the command and its output are done; whatever is left of the group when
// a call ends is killed (procexec.Watch). Symbolic
// links that stay inside the bundle directory are followed as the kernel
// does. The symlink check and the start are not atomic: the bundle is
// assumed not to change during a run (the guest's mount is read-only).
package hostexec
