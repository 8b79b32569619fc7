//go:build unix

package wasm

import "syscall"

// oNonBlock makes open(2) of a FIFO return at once.
const oNonBlock = syscall.O_NONBLOCK
