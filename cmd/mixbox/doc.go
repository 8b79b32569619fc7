// Command mixbox runs Porter/CNAB bundle actions, running each step's mixin
// as WebAssembly in a wazero sandbox or, as a fallback, as a native
// <mixin>-runtime binary. See docs/spec/cli.md for its commands and flags.
//
//	mixbox run --cnab-root ./root --action install
//
// Exit codes: 0 success, 1 failure, 2 usage, 3 an incompatible mixin,
// 130/143 after SIGINT/SIGTERM.
package main
