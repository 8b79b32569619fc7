package main

import "github.com/mixbox/mixbox/mixins/exec/builtin"

// builtins returns the wasm mixins embedded in mixbox, by name: the
// embedded bytes themselves, which nothing in mixbox changes.
func builtins() map[string][]byte {
	return map[string][]byte{"exec": builtin.Module()}
}

// builtinSums returns the sha256 of builtins, computed when they were built.
func builtinSums() map[string]string {
	return map[string]string{"exec": builtin.SHA256()}
}
