//go:build !(linux || darwin || freebsd)

package wasm

import "github.com/tetratelabs/wazero/experimental"

// reserveMemory is not available here: linear memories are Go slices.
func reserveMemory(uint64) experimental.LinearMemory { return nil }

// reserve is not available here.
func reserve(uint64) []byte { return nil }

// unmap is never called here: nothing is mapped.
func unmap([]byte) {}
