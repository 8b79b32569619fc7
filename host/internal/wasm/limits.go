package wasm

import (
	"io"
	"strconv"
	"sync"

	"github.com/tetratelabs/wazero/experimental"

	"github.com/mixbox/mixbox/host/internal/policy"
)

// withDefaults fills the zero fields of l with the defaults of
// docs/spec/policy.md.
func withDefaults(l policy.Limits) policy.Limits { return l.Or(policy.Builtin()) }

// logBudget is the logBytes quota of one step, shared by the guest's stdout,
// stderr, log calls and streamed exec output (abi-v1 §8.8).
type logBudget struct {
	mu       sync.Mutex
	left     int64
	limit    int64
	notified bool
	notice   func(line string) // mixbox's own line, in the run log
	// cut are the writers to tell when the stream is cut: a masking writer
	// holding back the start of a secret must drop it, not print it.
	cut []io.Writer
}

// discarder is a writer that can drop what it holds back (mask.Writer).
type discarder interface{ Discard() }

// cappedWriter writes to w while the budget lasts, then drops, printing one
// notice. It never returns an error, so the guest goes on. When it cuts the
// stream, the writers of the budget drop what they hold back: the cut may
// fall inside a secret, whose first part must not be released.
type cappedWriter struct {
	b *logBudget
	w io.Writer
}

func (c cappedWriter) Write(p []byte) (int, error) {
	c.b.mu.Lock()
	n := min(int64(len(p)), c.b.left)
	c.b.left -= n
	notify := n < int64(len(p)) && !c.b.notified
	if notify {
		c.b.notified = true
	}
	// Write under the lock so lines from stdout and stderr keep their order.
	defer c.b.mu.Unlock()
	if n > 0 {
		_, _ = c.w.Write(p[:n]) // a broken console must not fail the guest
	}
	if notify {
		for _, w := range c.b.cut {
			if d, ok := w.(discarder); ok {
				d.Discard()
			}
		}
		c.b.notice("mixbox: the step's log reached its cap (" + sizeString(c.b.limit) + ", policy logBytes); further output of this step is dropped")
	}
	return len(p), nil
}

func sizeString(n int64) string {
	switch {
	case n >= 1<<30 && n%(1<<30) == 0:
		return strconv.FormatInt(n>>30, 10) + " GiB"
	case n >= 1<<20 && n%(1<<20) == 0:
		return strconv.FormatInt(n>>20, 10) + " MiB"
	case n >= 1<<10 && n%(1<<10) == 0:
		return strconv.FormatInt(n>>10, 10) + " KiB"
	}
	return strconv.FormatInt(n, 10) + " bytes"
}

// capString names the memory cap of a step for abi-v1 §8.7: the policy's
// memory as written, or the engine's limit when that is lower, and what it
// comes to in whole 64 KiB pages when it is not a multiple of a page.
func capString(policyMem, engineMem int64) string {
	limit, source := policyMem, "policy memory"
	if engineMem < policyMem {
		limit, source = engineMem, "the engine's memory limit"
	}
	s := sizeString(limit) + " (" + source
	if limit%pageSize != 0 {
		s += ", rounded down to whole 64 KiB pages: " + sizeString(limit/pageSize*pageSize)
	}
	return s + ")"
}

// capAllocator gives each instance a linear memory that refuses to grow past
// limit bytes: memory.grow then returns -1 in the guest (abi-v1 §8.7). It
// is used when a runner's cap is below its engine's.
type capAllocator struct{ limit uint64 }

func (a capAllocator) Allocate(capacity, maxBytes uint64) experimental.LinearMemory {
	limit := min(maxBytes, a.limit)
	if m := reserveMemory(limit); m != nil {
		return m
	}
	return &capMemory{buf: make([]byte, 0, min(capacity, a.limit)), limit: limit}
}

// capMemory is a linear memory in a Go slice, grown by copying.
type capMemory struct {
	buf   []byte
	limit uint64
}

func (m *capMemory) Reallocate(size uint64) []byte {
	if size > m.limit {
		return nil
	}
	if size <= uint64(cap(m.buf)) {
		m.buf = m.buf[:size] // memory never shrinks, so the tail is still zero
		return m.buf
	}
	m.buf = append(m.buf, make([]byte, size-uint64(len(m.buf)))...)
	return m.buf
}

func (m *capMemory) Free() { m.buf = nil }
