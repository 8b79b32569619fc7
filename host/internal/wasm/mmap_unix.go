//go:build linux || darwin || freebsd

package wasm

import (
	"syscall"

	"github.com/tetratelabs/wazero/experimental"
)

// mmapMemory is a linear memory whose whole cap is reserved up front as an
// anonymous private mapping: pages are committed by the kernel on first
// touch and read as zero, so growing never copies and an instance pays only
// for the pages it uses.
type mmapMemory struct {
	buf []byte // len = current size, cap = the reservation
}

// reserveMemory maps limit bytes, or returns nil when it cannot (the caller
// then falls back to a Go slice).
func reserveMemory(limit uint64) experimental.LinearMemory {
	b := reserve(limit)
	if b == nil {
		return nil
	}
	return &mmapMemory{buf: b}
}

// reserve maps limit bytes of anonymous memory and returns them with length
// zero, or nil when it cannot.
func reserve(limit uint64) []byte {
	if limit == 0 || limit > 1<<34 {
		return nil
	}
	b, err := syscall.Mmap(-1, 0, int(limit), syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_PRIVATE|syscall.MAP_ANON|mapNoReserve)
	if err != nil {
		return nil
	}
	return b[:0]
}

// unmap releases a mapping made by reserve or mapShared.
func unmap(b []byte) {
	_ = syscall.Munmap(b[:cap(b)]) // the mapping is ours; nothing to do on failure
}

func (m *mmapMemory) Reallocate(size uint64) []byte {
	if m.buf == nil || size > uint64(cap(m.buf)) {
		return nil
	}
	m.buf = m.buf[:size]
	return m.buf
}

func (m *mmapMemory) Free() {
	if m.buf != nil {
		unmap(m.buf)
		m.buf = nil
	}
}
