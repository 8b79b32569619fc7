package builtin

import (
	"bytes"
	_ "embed"
)

// module is the exec mixin's wasm module, as `make wasm` builds it.
//
//go:embed exec-runtime.wasm
var module []byte

// Wasm returns the exec mixin's wasm module. Each call returns a new copy,
// so a caller may keep or change it.
func Wasm() []byte { return bytes.Clone(module) }

// Module returns the exec mixin's wasm module without copying it: the
// bytes embedded in the binary, which the caller must not change. A process
// that only reads them (mixbox) saves a copy the size of the module, on the
// heap and in its peak RSS.
func Module() []byte { return module }
