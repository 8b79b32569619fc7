//go:build unix

package state

import "syscall"

// oNonBlock makes open(2) of a FIFO return at once.
const oNonBlock = syscall.O_NONBLOCK
