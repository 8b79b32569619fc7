package builtin

import (
	"bytes"
	_ "embed"
	"strings"
)

// module is the exec mixin's wasm module, as `make wasm` builds it.
//
//go:embed exec-runtime.wasm
var module []byte

// sum is the hex sha256 of module, which `make wasm` writes beside it.
//
//go:embed exec-runtime.wasm.sha256
var sum string

// Wasm returns the exec mixin's wasm module. Each call returns a new copy,
// so a caller may keep or change it.
func Wasm() []byte { return bytes.Clone(module) }

// Module returns the exec mixin's wasm module without copying it: the
// bytes embedded in the binary, which the caller must not change. A process
// that only reads them (mixbox) saves a copy the size of the module, on the
// heap and in its peak RSS.
func Module() []byte { return module }

// SHA256 returns the hex sha256 of the module, computed when it was built
// (TestWasm_sha256 checks it), so that mixbox need not hash it at start.
func SHA256() string { return strings.TrimSpace(sum) }
