package main

// builtins returns the wasm mixins embedded in mixbox, by name.
func builtins() map[string][]byte {
	return nil
}
