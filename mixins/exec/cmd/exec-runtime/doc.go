// Command exec-runtime is Porter's exec mixin runtime built on the mixbox
// guest SDK. Built natively it is a drop-in for Porter's exec-runtime; built
// with GOOS=wasip1 GOARCH=wasm it is the sandboxed exec mixin mixbox embeds.
package main
