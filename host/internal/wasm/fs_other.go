//go:build !unix

package wasm

// oNonBlock is 0 where there are no FIFOs to block on.
const oNonBlock = 0
