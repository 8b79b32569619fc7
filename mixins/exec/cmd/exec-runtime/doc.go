// Command exec-runtime is Porter's exec mixin runtime built on the mixbox
// guest SDK. Built natively it is a drop-in for Porter's exec-runtime; built
// with GOOS=wasip1 GOARCH=wasm -buildmode=c-shared -tags mixbox_reactor it is
// the sandboxed exec mixin mixbox embeds, a reactor (see package guest); the
// same build without those two flags is a command module, which works too.
package main
