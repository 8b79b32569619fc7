// Package host is the mixbox runtime: it runs one action of a Porter bundle,
// step by step, handing each step to its mixin, which runs either as
// WebAssembly in a wazero sandbox or as a native <name>-runtime process.
//
//	rt, err := host.New(host.Options{
//		Root:     "./root", // /cnab/... is taken under ./root
//		Action:   "install",
//		BuiltIns: map[string][]byte{"exec": builtin.Wasm}, // mixins/exec/builtin
//		Stdout:   os.Stdout,
//		Stderr:   os.Stderr,
//	})
//	if err != nil { ... }
//	defer rt.Close(ctx)
//	report, err := rt.Run(ctx)
//
// One run reads porter.yaml (and bundle.json when present), unpacks the
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
// Everything the run prints goes through one masking writer that knows every
// sensitive value (credentials, sensitive parameters and their object leaves,
// undeclared step outputs, values a mixin masks), masks across write
// boundaries, and masks final errors too (MaskError). A wasm mixin gets no
// file system but a read-only view of the bundle directory, no environment
// but the CNAB basics, and runs commands only as the policy grants
// (shared/spec/policy.md). A native mixin is not sandboxed: the run log says
// so.
//
// # Notes
//
// Options carry everything from outside (environment, stdio, paths): the
// package reads no environment variable and no global state. A zero Options
// grants nothing; Run needs at least an Action.
package host
