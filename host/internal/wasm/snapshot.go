package wasm

import (
	"bytes"
	"fmt"

	"github.com/tetratelabs/wazero/experimental"
)

// restoreMode is how a reactor instance's memory goes back to its snapshot
// (RATIONALE.md, "Why a copy-on-write snapshot of a reactor's memory?").
type restoreMode int

const (
	// restoreCOW backs the memory with a memfd: the snapshot is a private
	// copy-on-write mapping of it, and restoring drops the pages a step
	// wrote. Linux only; elsewhere, or when a memfd cannot be made, it
	// falls back to restoreCopy.
	restoreCOW restoreMode = iota
	// restoreCopy keeps a copy of the memory and copies it back.
	restoreCopy
)

// reactorAllocator gives a reactor instance a snapMemory that refuses to
// grow past limit bytes (abi-v1 §8.7) and keeps it, so the host can take
// and restore the snapshot. One allocator serves one instantiation.
type reactorAllocator struct {
	limit uint64
	mode  restoreMode
	mem   *snapMemory
}

func (a *reactorAllocator) Allocate(capacity, maxBytes uint64) experimental.LinearMemory {
	limit := min(maxBytes, a.limit)
	m := &snapMemory{limit: limit, snapLen: -1, fd: -1}
	if a.mode == restoreCOW {
		if b, fd, ok := mapShared(limit); ok {
			m.buf, m.fd, m.mapped = b, fd, true
		}
	}
	if m.buf == nil {
		if b := reserve(limit); b != nil {
			m.buf, m.mapped = b, true
		} else {
			m.buf = make([]byte, 0, min(capacity, limit))
		}
	}
	a.mem = m
	return m
}

// snapMemory is the linear memory of a reactor instance. After snapshot, its
// contents and size can go back to what they were then: restore brings the
// contents back and arms a shrink, which the next Reallocate performs (the
// host then calls memory.grow once, which is how wazero learns a new size).
type snapMemory struct {
	buf     []byte // len = current size; cap = the reservation when mapped
	limit   uint64
	mapped  bool // buf is an mmap reservation
	fd      int  // restoreCOW: the memfd behind buf; -1 otherwise
	snapLen int  // the size at the snapshot; -1 before it
	snap    []byte
	shrink  bool
}

func (m *snapMemory) Reallocate(size uint64) []byte {
	if m.buf == nil {
		return nil
	}
	if m.shrink {
		m.shrink = false
		m.buf = m.buf[:m.snapLen]
		return m.buf
	}
	if size > m.limit {
		return nil
	}
	if size <= uint64(cap(m.buf)) {
		m.buf = m.buf[:size] // above the snapshot, restore zeroed what a step left
		return m.buf
	}
	if m.mapped {
		return nil
	}
	m.buf = append(m.buf, make([]byte, size-uint64(len(m.buf)))...)
	return m.buf
}

func (m *snapMemory) Free() {
	if m.buf == nil {
		return
	}
	if m.mapped {
		unmap(m.buf)
	}
	if m.fd >= 0 {
		closeFD(m.fd)
		m.fd = -1
	}
	m.buf, m.snap = nil, nil
}

// snapshot makes the current contents and size the state restore returns to.
func (m *snapMemory) snapshot() error {
	if m.buf == nil {
		return fmt.Errorf("snapshot memory: freed")
	}
	m.snapLen = len(m.buf)
	if m.fd >= 0 {
		if err := remapPrivate(m.buf[:cap(m.buf)], m.fd); err != nil {
			return fmt.Errorf("snapshot memory: %w", err)
		}
		return nil
	}
	m.snap = bytes.Clone(m.buf)
	return nil
}

// restore brings the contents back to the snapshot and reports whether the
// size must shrink to it (the memory grew since).
func (m *snapMemory) restore() (shrink bool, err error) {
	if m.buf == nil || m.snapLen < 0 {
		return false, fmt.Errorf("restore memory: no snapshot")
	}
	cur := len(m.buf)
	if m.fd >= 0 {
		if err := dropPages(m.buf[:cur]); err != nil {
			return false, fmt.Errorf("restore memory: %w", err)
		}
	} else {
		copy(m.buf, m.snap)
		clear(m.buf[m.snapLen:cur])
	}
	m.shrink = cur > m.snapLen
	return m.shrink, nil
}

// disarm cancels a shrink that did not happen.
func (m *snapMemory) disarm() { m.shrink = false }
