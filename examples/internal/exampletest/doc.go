// Package exampletest builds what the examples' end-to-end tests run: the
// mixbox binary and Go mixins compiled to wasm, packed with their metadata.
// It is imported only from the examples' _test.go files.
package exampletest
