// Command mkseed appends the compiled code of a cache directory that
// `mixbox precompile` filled to a mixbox executable, the last step of
// `make build` (package seed): a run of that mixbox whose cache is empty
// unpacks it instead of starting its built-in mixins on the interpreter.
//
//	mixbox precompile --cache-dir bin/seed-cache
//	mkseed -cache bin/seed-cache bin/mixbox
//	bin/mixbox: carries 1 module (3.4 MB) for mixbox1-wazero-v1.12.0-amd64-linux
//
// An earlier seed of the executable is replaced. The seed is the same for
// the same cache files.
package main
