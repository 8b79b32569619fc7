// Command helmlike-runtime is the helmlike example mixin. Built with
// GOOS=wasip1 GOARCH=wasm it is helmlike-runtime.wasm, which mixbox runs
// sandboxed; built natively it is a Porter-style helmlike-runtime.
package main
