// Package mixintest tests a wasm mixin without the tools it drives: it runs
// the mixin in the mixbox sandbox and answers every exec call it makes from a
// table, then checks what the mixin did (docs/spec/mixin-test.md). It is
// the engine of `mixbox mixin test`, and a mixin's own `go test` can call it.
//
//	suite, err := mixintest.LoadCases("testdata/cases.yaml")
//	if err != nil { ... } // errors.Is(err, mixintest.ErrCases): the line and what is wrong
//	for _, c := range suite.Cases {
//		res, err := mixintest.Run(ctx, wasmBytes, c)
//		if err != nil { ... } // errors.Is(err, mixintest.ErrIncompatible): the host refuses the module
//		if !res.Passed() { t.Errorf("%s:\n%s", c.Name, strings.Join(res.Failures, "\n")) }
//	}
//
// A Tester compiles the module once and runs many cases, each in a fresh
// instance; RunSuite prints the report of the command line and, with
// SuiteOptions.Update, rewrites the cases file from what the mixin did.
//
// # Notes
//
// Every case runs with a fixed wall clock, a monotonic clock that only moves
// when read or slept on, and a seeded random source, so the same case gives
// the same result every time, under the compiler and the interpreter alike.
// The bundle directory the guest sees at /cnab/app is a fresh temporary
// directory holding the case's files, read-only.
//
// Calls are checked against a policy first, as in a real run, and refused
// calls never reach the table: the case's own `policy:`, else the policy
// `mixbox run` gives the mixin by default (docs/spec/policy.md), so that a
// case passes only where a run would: the commands the module's mixbox.mixin
// metadata declares, as the default policy grants them, or for the exec mixin
// what its step names. The default policy's mounts of host paths are left
// out: a case sees only its own files.
//
// Options.Engine Auto, the default, picks the fastest engine for a test run:
// the compiler for a module whose compiled code Options.CacheDir holds, else
// the interpreter, while the compiler fills the cache in the background for
// the next run (host/internal/modules, the cache `mixbox run` uses).
//
// The package does not run any real command, and it does not test native
// `<name>-runtime` binaries.
package mixintest
