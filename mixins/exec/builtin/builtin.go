package builtin

import _ "embed"

// module is the exec mixin's wasm module, as `make wasm` builds it.
//
//go:embed exec-runtime.wasm
var module string

// Wasm returns the exec mixin's wasm module. Each call returns a new copy,
// so a caller may keep or change it.
func Wasm() []byte { return []byte(module) }
