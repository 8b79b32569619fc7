package mask

import (
	"bytes"
	"io"
	"sort"
	"strings"
	"sync"
)

// Replacement is what a sensitive value is replaced with, as in Porter.
const Replacement = "*******"

// Set is a set of sensitive values, safe for concurrent use. Values are only
// ever added for the life of a run.
type Set struct {
	mu     sync.RWMutex
	values [][]byte // longest first
	seen   map[string]struct{}
}

// NewSet returns an empty Set.
func NewSet() *Set { return &Set{seen: map[string]struct{}{}} }

// Add declares values sensitive. Values that are empty after trimming white
// space are ignored.
func (s *Set) Add(values ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	changed := false
	for _, v := range values {
		if strings.TrimSpace(v) == "" {
			continue
		}
		if _, ok := s.seen[v]; ok {
			continue
		}
		s.seen[v] = struct{}{}
		s.values = append(s.values, []byte(v))
		changed = true
	}
	if changed {
		sort.SliceStable(s.values, func(i, j int) bool { return len(s.values[i]) > len(s.values[j]) })
	}
}

// Len returns how many values the set holds.
func (s *Set) Len() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return len(s.values)
}

// String masks every value of the set in str.
func (s *Set) String(str string) string {
	out, _ := s.mask(nil, []byte(str), true)
	return string(out)
}

// mask appends the masked form of b to dst. Unless final, it stops at the
// first position from which the rest of b is a proper prefix of a value and
// returns that tail as held.
func (s *Set) mask(dst, b []byte, final bool) (out, held []byte) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	start := 0 // start of the run of plain bytes not yet copied
	for i := 0; i < len(b); {
		rest := b[i:]
		matched, partial := 0, false
		for _, v := range s.values {
			if bytes.HasPrefix(rest, v) {
				matched = len(v)
				break
			}
			if !final && len(rest) < len(v) && bytes.HasPrefix(v, rest) {
				partial = true
			}
		}
		if partial && (matched == 0 || !final) {
			// A longer value may still complete here: wait for more bytes.
			return append(dst, b[start:i]...), b[i:]
		}
		if matched > 0 {
			dst = append(dst, b[start:i]...)
			dst = append(dst, Replacement...)
			i += matched
			start = i
			continue
		}
		i++
	}
	return append(dst, b[start:]...), nil
}

// Writer masks the values of a Set in a stream written to an underlying
// writer. It is safe for concurrent use.
type Writer struct {
	mu   sync.Mutex
	w    io.Writer
	set  *Set
	held []byte
}

// NewWriter returns a Writer that writes to w with the values of set masked.
func NewWriter(w io.Writer, set *Set) *Writer { return &Writer{w: w, set: set} }

// Write masks p and writes what is resolved to the underlying writer. It
// always reports len(p) written unless the underlying writer fails.
func (w *Writer) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	buf := append(w.held, p...)
	out, held := w.set.mask(nil, buf, false)
	w.held = append([]byte(nil), held...)
	if len(out) == 0 {
		return len(p), nil
	}
	if _, err := w.w.Write(out); err != nil {
		return 0, err
	}
	return len(p), nil
}

// Unwrap returns the writer w writes to.
func (w *Writer) Unwrap() io.Writer { return w.w }

// Flush writes out, masked, whatever is held back.
func (w *Writer) Flush() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.held) == 0 {
		return nil
	}
	out, _ := w.set.mask(nil, w.held, true)
	w.held = nil
	_, err := w.w.Write(out)
	return err
}
