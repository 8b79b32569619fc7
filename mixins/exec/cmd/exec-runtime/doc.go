// Command exec-runtime is Porter's exec mixin runtime built on the mixbox
// guest SDK. Built natively it is a drop-in for Porter's exec-runtime; built
// with GOOS=wasip1 GOARCH=wasm -buildmode=c-shared -tags
// mixbox_reactor,mixbox_image it is the sandboxed exec mixin mixbox embeds, a
// reactor that allows an initialization image (see package guest); the same
// build without the flag and the tags is a command module, which works too.
package main
