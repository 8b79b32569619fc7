// Command postlink prepares the project's wasm modules in place after
// linking, the post-link step of `make wasm`: it joins their data segments
// (internal/wasmdata) and exports a reactor's mutable globals as the host
// would at load (host/internal/wasm.ExportGlobals), so that loading the
// built-in exec module decodes 41 segments instead of 75,595 and copies
// nothing:
//
//	postlink mixins/exec/builtin/exec-runtime.wasm
//	mixins/exec/builtin/exec-runtime.wasm: 75595 data segments joined into 41, mutable globals exported
//
// The output depends only on the input, so rebuilding leaves no diff; a
// module with nothing to change is not rewritten.
package main
