// Command helmlike-runtime is the helmlike example mixin. Built with
// GOOS=wasip1 GOARCH=wasm -buildmode=c-shared -tags mixbox_reactor it is
// helmlike-runtime.wasm, a reactor that mixbox runs sandboxed; built
// natively it is a Porter-style helmlike-runtime.
package main
