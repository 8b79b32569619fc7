package builtin

import _ "embed"

// Wasm is the exec mixin's wasm module.
//
//go:embed exec-runtime.wasm
var Wasm []byte
