// Command datamerge joins the data segments of WebAssembly modules in
// place (internal/wasmdata), the post-link step of `make wasm`:
//
//	datamerge mixins/exec/builtin/exec-runtime.wasm
//	mixins/exec/builtin/exec-runtime.wasm: 75595 data segments joined into 41
//
// The output depends only on the input, so rebuilding leaves no diff; a
// module with nothing to join is not rewritten.
package main
