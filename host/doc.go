// Package host is the mixbox runtime: it runs one action of a Porter bundle,
// step by step, handing each step to its mixin, which runs either as
// WebAssembly in a wazero sandbox or as a native <name>-runtime process.
//
//	rt := host.New(host.Options{
//		CacheDir: host.DefaultCacheDir("./root", os.Environ()),
//		BuiltIns: map[string][]byte{"exec": builtin.Wasm()}, // mixins/exec/builtin
//	})
//	defer rt.Close(ctx)
//	report, err := rt.Run(ctx, host.RunOptions{
//		Root:   "./root", // /cnab/... is taken under ./root
//		Action: "install",
//		Stdout: os.Stdout,
//		Stderr: os.Stderr,
//	})
//
// A Runtime holds what outlives a run (compiled modules, the cache, the
// built-ins); each Run gets its own RunOptions and keeps nothing on the
// Runtime, so runs may share one Runtime, concurrently too. One run reads porter.yaml (and bundle.json when present), unpacks the
// previous state, renders each step with Porter's template semantics, runs
// it, collects its outputs, and always finishes by writing file outputs and
// porter-state, even when a step failed.
//
// Build makes the invocation image a bundle runs in, with no container
// daemon (`mixbox build`): the base image, then one layer with the bundle,
// the run script, mixbox as porter-runtime, the mixins and their compiled
// code. Precompile fills the compiled-module cache.
//
// # Security
//
// Everything the run prints is masked, across write boundaries and in the
// final error too: the run's secrets (credentials, sensitive parameters and
// their object leaves) everywhere, the values mixins chose (what they mask,
// undeclared step outputs) in what mixins print but never in mixbox's own
// lines (SECURITY.md). A wasm mixin gets no
// file system but a read-only view of the bundle directory, no environment
// but the CNAB basics, and runs commands only as the policy grants
// (docs/spec/policy.md). A native mixin is not sandboxed: the run log says
// so, and the default policy allows native mixins (Porter compatibility); a
// policy with `native: deny` forbids them.
//
// # Notes
//
// Options and RunOptions carry everything from outside (environment, stdio,
// paths): the package reads no environment variable and no global state.
// RunOptions needs at least an Action.
package host
