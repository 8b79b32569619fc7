// Package builtin embeds the exec mixin built for GOOS=wasip1 GOARCH=wasm
// as a reactor (abi-v1 §1a; -buildmode=c-shared -tags
// mixbox_reactor,mixbox_image): the module mixbox runs as its built-in exec
// mixin, one instance per run, restored before every step, and started from
// its initialization image when the cache holds one. It is a package of its own so that building
// the module does not need the module.
//
// `make wasm` rebuilds exec-runtime.wasm from ../cmd/exec-runtime; `make
// check` fails if that changes it.
package builtin
