// Package wasm runs WebAssembly mixins in a wazero sandbox under the mixbox
// ABI v1 (docs/spec/abi-v1.md).
//
// An Engine owns one wazero runtime, which is one trust domain: WASI preview 1
// and the host module "mixbox_v1" are instantiated once in it, and each module
// is checked, then compiled once (singleflight on the sha256 of its bytes) and
// kept. A Runner, made from an Engine and a loaded Module, implements
// step.Runner: every step gets a fresh anonymous instance whose only ways out
// of the sandbox are the five mixbox_v1 host functions, stdout and stderr,
// and read-only mounts.
//
//	eng, err := wasm.NewEngine(ctx, wasm.EngineOptions{MemoryLimit: 256 << 20, CacheDir: dir})
//	if err != nil { ... }
//	defer eng.Close(ctx)
//	mod, err := eng.Load(ctx, "helm3", bin) // errors.Is(err, wasm.ErrIncompatible): exit 3
//	r := wasm.NewRunner(eng, mod, wasm.RunnerOptions{Policy: pol, Executor: ex, BundleDir: "/cnab/app"})
//	res, err := r.Run(ctx, in, sio)
//
// Inspect and Pack serve `mixbox mixin inspect` and `mixbox mixin pack`.
//
// # Security
//
// Every module is checked before it is compiled or instantiated: it must be a
// WASI preview 1 core module exporting _start and memory, importing only
// functions of wasi_snapshot_preview1 and mixbox_v1 with the right
// signatures. A guest gets no environment but the keys of abi-v1 §2, no
// files but the bundle directory and the policy's mounts (read-only, through
// os.Root so symlinks cannot leave them; opened with O_NONBLOCK, and only
// regular files and directories can be read, so a FIFO cannot block a host
// call past the step timeout), a memory cap, a step timeout
// enforced by closing the module when its context is done (and, should a
// host call not return, by giving the instance up GiveUpAfter later), and capped log
// and output bytes. Host functions bounds-check every pointer in 64-bit
// arithmetic, copy guest bytes before returning, never trap and recover
// their own panics into E_INTERNAL.
//
// # Notes
//
// The package does not decide what an exec call may run: it hands each
// decoded request to a hostexec.Executor, which checks the policy. It does
// not print the step header or build the final step error from
// Result.Denials; package host does.
package wasm
