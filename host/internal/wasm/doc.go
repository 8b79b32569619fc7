// Package wasm runs WebAssembly mixins in a wazero sandbox under the mixbox
// ABI v1 (docs/spec/abi-v1.md).
//
// An Engine owns one wazero runtime, which is one trust domain: WASI preview 1
// and the host module "mixbox_v1" are instantiated once in it, and each module
// is checked, then compiled once (singleflight on the sha256 of its bytes) and
// kept. A Runner, made from an Engine and a loaded Module, implements
// step.Runner: a command module gets a fresh anonymous instance for every
// step; a reactor (abi-v1 §1a) gets one instance, initialized once and
// restored to its post-initialization state before every step (see
// lifecycle.go, the one place instances live and die). Either way an
// instance's only ways out of the sandbox are the five mixbox_v1 host
// functions, stdout and stderr, and read-only mounts.
//
//	eng, err := wasm.NewEngine(ctx, wasm.EngineOptions{MemoryLimit: 256 << 20, CacheDir: dir})
//	if err != nil { ... }
//	defer eng.Close(ctx)
//	mod, err := eng.Load(ctx, "helm3", bin) // errors.Is(err, wasm.ErrIncompatible): exit 3
//	r := wasm.NewRunner(eng, mod, wasm.RunnerOptions{Policy: pol, Executor: ex, BundleDir: "/cnab/app"})
//	defer r.Close(ctx) // releases a reactor's instance
//	res, err := r.Run(ctx, in, sio)
//
// Inspect and Pack serve `mixbox mixin inspect` and `mixbox mixin pack`.
//
// # Security
//
// Every module is checked before it is compiled or instantiated: it must be a
// WASI preview 1 core module exporting memory and _start or mixbox_step,
// importing only functions of wasi_snapshot_preview1 and mixbox_v1 with the
// right signatures. A guest gets no environment but the keys of abi-v1 §2, no
// files but the bundle directory and the policy's mounts (read-only, through
// os.Root so symlinks cannot leave them; opened with O_NONBLOCK, and only
// regular files and directories can be read, so a FIFO cannot block a host
// call past the step timeout), a memory cap, a step timeout
// enforced by closing the module when its context is done (and, should a
// host call not return, by giving the instance up GiveUpAfter later), and capped log
// and output bytes. Host functions bounds-check every pointer in 64-bit
// arithmetic, copy guest bytes before returning, never trap and recover
// their own panics into E_INTERNAL. What the guest writes to its log (log
// calls, its own stdout and stderr) has terminal control characters escaped
// (package termsafe); streamed command output passes through as it is. A
// guest may mask at most 10,000 values (256 KiB) per step; mixbox's own lines
// about the step go through step.IO.Log, which the guest's values do not
// mask. When the log cap cuts the stream, the masking writers drop what
// they hold back, so no first part of a secret is printed.
//
// A reactor's steps see nothing of each other: before every step its memory
// (contents and size), its mutable globals (exported to the host under
// reserved names at load) and its deterministic clocks go back to the
// snapshot taken after _initialize, and each step gets its own stdin,
// stdout, stderr and host-function state. What the snapshot cannot bring
// back makes the host start the next step on a new instance: a trap, a
// timeout, a proc_exit, a memory at its declared maximum, a WASI descriptor
// the step left open or changed (listeners on the WASI module follow them),
// and, for every step, a module that writes tables or drops segments.
//
// # Notes
//
// The package does not decide what an exec call may run: it hands each
// decoded request to a hostexec.Executor, which checks the policy. It does
// not print the step header or build the final step error from
// Result.Denials; package host does.
package wasm
