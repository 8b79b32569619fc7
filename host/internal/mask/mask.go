package mask

import (
	"io"
	"sync"
)

// Replacement is what a sensitive value is replaced with, as in Porter.
const Replacement = "*******"

// Set is a set of sensitive values, safe for concurrent use. Values are only
// ever added for the life of a run.
type Set struct {
	mu      sync.Mutex
	seen    map[string]struct{}
	batches []batch  // patterns, each batch with its automaton
	pending [][]byte // patterns added since the last matcher
	long    [][]byte // patterns longer than maxPattern, matched by chunks
	chunks  *chunkIndex
	count   int
	bytes   int
	current *matcher // nil until first needed after a change
}

// batch is patterns with the automaton built of them.
type batch struct {
	patterns [][]byte
	bytes    int
	a        *automaton
}

// NewSet returns an empty Set.
func NewSet() *Set { return &Set{seen: map[string]struct{}{}} }

// Add declares value sensitive: from now on it is masked, and so is every
// form of it Forms lists. A value empty after trimming white space is
// ignored, as in Porter; what was too short to mask is returned.
func (s *Set) Add(value string) Short {
	forms, short := Forms(value)
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, f := range forms {
		if _, ok := s.seen[f]; ok {
			continue
		}
		s.seen[f] = struct{}{}
		if len(f) > maxPattern {
			s.long = append(s.long, []byte(f))
			s.chunks = nil
		} else {
			s.pending = append(s.pending, []byte(f))
		}
		s.count++
		s.bytes += len(f)
		s.current = nil
	}
	return short
}

// Len returns how many patterns (values and their forms) the set holds.
func (s *Set) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.count
}

// Bytes returns the total length of the set's patterns.
func (s *Set) Bytes() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.bytes
}

// matcher returns the matcher of the current patterns, building what
// changed since the last call; nil for an empty set. The patterns added
// since then become a batch of their own, merged into the batch before
// while it is no larger, so that each pattern is built into O(log n)
// automata over the life of the set.
func (s *Set) matcher() *matcher {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.current != nil || s.count == 0 {
		return s.current
	}
	if len(s.pending) > 0 {
		b := batch{patterns: s.pending}
		for _, p := range s.pending {
			b.bytes += len(p)
		}
		s.pending = nil
		for n := len(s.batches); n > 0 && s.batches[n-1].bytes <= b.bytes; n-- {
			last := s.batches[n-1]
			b = batch{patterns: append(last.patterns, b.patterns...), bytes: last.bytes + b.bytes}
			s.batches = s.batches[:n-1]
		}
		b.a = buildAutomaton(b.patterns)
		s.batches = append(s.batches, b)
	}
	if s.chunks == nil {
		s.chunks = newChunkIndex(s.long)
	}
	m := &matcher{chunks: s.chunks}
	for _, b := range s.batches {
		m.autos = append(m.autos, b.a)
	}
	s.current = m
	return m
}

// String masks every value of the set in str.
func (s *Set) String(str string) string {
	m := s.matcher()
	if m == nil {
		return str
	}
	sc := scanner{}
	sc.rebase(m)
	out := sc.feed(make([]byte, 0, len(str)), []byte(str))
	return string(sc.flush(out))
}

// Writer masks a stream written to an underlying writer: with the values of
// its first Set, then with those of the next, and so on. It is safe for
// concurrent use.
type Writer struct {
	mu     sync.Mutex
	w      io.Writer
	stages []stage
}

// stage is one Set applied to the stream.
type stage struct {
	set *Set
	sc  scanner
}

// NewWriter returns a Writer that writes to w with the values of sets
// masked, in order: a later set sees the stream already masked by the
// earlier ones, so it can only mask more, never uncover a value of an
// earlier set.
func NewWriter(w io.Writer, sets ...*Set) *Writer {
	wr := &Writer{w: w}
	for _, s := range sets {
		wr.stages = append(wr.stages, stage{set: s})
	}
	return wr
}

// Write masks p and writes what is resolved to the underlying writer. It
// always reports len(p) written unless the underlying writer fails.
func (w *Writer) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	b := p
	for i := range w.stages {
		st := &w.stages[i]
		if m := st.set.matcher(); m != st.sc.m {
			st.sc.rebase(m)
		}
		b = st.sc.feed(make([]byte, 0, len(b)+len(Replacement)), b)
	}
	if len(b) == 0 {
		return len(p), nil
	}
	if _, err := w.w.Write(b); err != nil {
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
	var b []byte
	for i := range w.stages {
		st := &w.stages[i]
		if m := st.set.matcher(); m != st.sc.m {
			st.sc.rebase(m)
		}
		if len(b) > 0 {
			b = st.sc.feed(nil, b)
		}
		b = st.sc.flush(b)
	}
	if len(b) == 0 {
		return nil
	}
	_, err := w.w.Write(b)
	return err
}

// Discard drops what is held back, unprinted: the stream is cut here (a
// log cap), and the held bytes may be the first part of a value that the
// rest would have completed.
func (w *Writer) Discard() {
	w.mu.Lock()
	defer w.mu.Unlock()
	for i := range w.stages {
		w.stages[i].sc.discard()
	}
}
