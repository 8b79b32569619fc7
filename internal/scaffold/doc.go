// Package scaffold writes a new Go mixin for `mixbox mixin new`: a module
// on the wasmabi/guest SDK whose one source builds to NAME-runtime.wasm
// (GOOS=wasip1) and to a native NAME-runtime, with the capability
// declaration its Makefile packs into the wasm (mixin.yaml, `mixbox mixin
// pack`), a cases file and a Go test that runs it through host/mixintest
// under the same default policy, and an install target that lays both
// builds out as MIXINS_DIR/NAME/runtimes/.
//
//	res, err := scaffold.New(scaffold.Options{Name: "hello", Dir: "hello"})
//	if errors.Is(err, scaffold.ErrExists) { ... } // never overwrites a file
//
// # Notes
//
// The generated go.mod points at a local mixbox checkout with a replace
// directive when one is found (Options.MixboxDir, else the first directory
// holding mixbox's go.mod above the target directory, the working directory
// or the running executable), and copies its go.sum so that building needs
// no network beyond the module cache. Without a checkout it requires the
// version of mixbox that is running, if it is a release, and otherwise
// writes no require: its README says how to point go.mod at a checkout.
//
// The package writes files only under Options.Dir and runs no command.
package scaffold
