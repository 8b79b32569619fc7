//go:build !unix

package state

// oNonBlock is 0 where there are no FIFOs to block on.
const oNonBlock = 0
