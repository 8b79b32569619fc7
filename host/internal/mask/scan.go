package mask

import "sort"

// scanner masks one stream against one Set's automaton. It replaces every
// run of bytes covered by overlapping occurrences of values with one
// Replacement (two occurrences that only touch stay two), and holds back
// the bytes that may still begin an occurrence: fewer than the longest
// value's length.
//
// Offsets are counted from the start of the stream. The bytes before
// start have been emitted; buf[head:] are the bytes from start to pos.
type scanner struct {
	m     *matcher
	state []int32 // per automaton of m
	pos   int64   // bytes fed
	start int64   // offset of buf[head]
	buf   []byte
	head  int
	// regions are the covered runs that end after start, sorted and
	// disjoint; one whose start is before start has been announced (its
	// Replacement emitted).
	regions []region
	roller  roller // over the last bytes, for the long values' chunks
}

// region is a covered run [start, end) of the stream.
type region struct {
	start, end int64
	announced  bool
	// join marks a run of a long value's chunks: it joins a run it touches
	// that is one too.
	join bool
}

// held returns the bytes not emitted yet.
func (s *scanner) held() []byte { return s.buf[s.head:] }

// feed masks b, appending to dst what is resolved.
func (s *scanner) feed(dst, b []byte) []byte {
	s.buf = append(s.buf, b...)
	if s.m == nil {
		s.pos += int64(len(b))
		return s.emit(dst, s.pos)
	}
	ci := s.m.chunks
	depth := int32(0)
	if len(s.m.autos) == 1 && ci == nil { // the common case, without the loop over automata
		a, state, pos := s.m.autos[0], s.state[0], s.pos
		for _, c := range b {
			state = a.step(state, c)
			pos++
			if n := a.states[state].out; n > 0 {
				s.cover(pos-int64(n), pos)
			}
		}
		s.state[0], s.pos, depth = state, pos, a.states[state].depth
	} else {
		for _, c := range b {
			s.pos++
			if n := s.m.step(s.state, c); n > 0 {
				s.cover(s.pos-int64(n), s.pos)
			}
			if ci != nil {
				s.roll(ci, c)
			}
		}
		depth = max(s.m.depth(s.state), int32(s.roller.n))
	}
	// No occurrence can begin before pos - depth: emit up to there.
	return s.emit(dst, s.pos-int64(depth))
}

// cover records that [start, end) is an occurrence, merging it with the
// regions it overlaps.
func (s *scanner) cover(start, end int64) { s.merge(region{start: start, end: end}) }

// coverJoin records that [start, end) is a chunk of a long value, merging it
// with the regions it overlaps and a chunk run it touches.
func (s *scanner) coverJoin(start, end int64) { s.merge(region{start: start, end: end, join: true}) }

// merge adds r, which ends after every region, merging it with the regions
// it overlaps (or, for two chunk runs, touches).
func (s *scanner) merge(r region) {
	for len(s.regions) > 0 {
		last := s.regions[len(s.regions)-1]
		overlaps := last.end > r.start
		joins := last.end == r.start && last.join && r.join
		if !overlaps && !joins {
			break
		}
		r.start, r.end = min(r.start, last.start), max(r.end, last.end)
		r.announced = r.announced || last.announced
		r.join = r.join && last.join
		s.regions = s.regions[:len(s.regions)-1]
	}
	s.regions = append(s.regions, r)
}

// emit appends the bytes from start to upto, masked, and drops them from
// the held bytes.
func (s *scanner) emit(dst []byte, upto int64) []byte {
	for s.start < upto {
		if len(s.regions) > 0 && s.regions[0].start <= s.start {
			r := &s.regions[0]
			if !r.announced {
				dst = append(dst, Replacement...)
				r.announced = true
			}
			s.drop(min(upto, r.end))
			if r.end <= s.start {
				s.regions = s.regions[1:]
			}
			continue
		}
		next := upto
		if len(s.regions) > 0 {
			next = min(next, s.regions[0].start)
		}
		dst = append(dst, s.held()[:next-s.start]...)
		s.drop(next)
	}
	if len(s.regions) == 0 {
		s.regions = s.regions[:0:0] // let a long-gone backing array go
	}
	return dst
}

// drop forgets the held bytes before offset upto.
func (s *scanner) drop(upto int64) {
	s.head += int(upto - s.start)
	s.start = upto
	switch {
	case s.head == len(s.buf):
		s.buf, s.head = s.buf[:0], 0
		if cap(s.buf) > 64<<10 {
			s.buf = nil // a large write passed: do not keep its buffer
		}
	case s.head > 4<<10 && s.head > len(s.buf)/2:
		n := copy(s.buf, s.buf[s.head:])
		s.buf, s.head = s.buf[:n], 0
	}
}

// flush appends every held byte, masked: the stream may end here. The
// rolling window starts again (its bytes are gone).
func (s *scanner) flush(dst []byte) []byte {
	s.roller = roller{}
	return s.emit(dst, s.pos)
}

// discard drops the held bytes unprinted: they may be the start of a value
// that the rest of the stream, now cut off, would have completed.
func (s *scanner) discard() {
	s.buf, s.head, s.start, s.regions = nil, 0, s.pos, nil
	clear(s.state)
	s.roller = roller{}
}

// rebase moves the scanner to the matcher m (the set changed): the held
// bytes, which are all that can still begin an occurrence, are fed again
// from the roots, so that a value added now is masked in them too.
func (s *scanner) rebase(m *matcher) {
	s.m = m
	s.roller = roller{}
	if m == nil {
		s.state = nil
		return
	}
	s.state = make([]int32, len(m.autos))
	old := s.regions
	s.regions = nil
	held, start, end := s.held(), s.start, s.pos
	s.pos = start
	for _, c := range held {
		s.pos++
		if n := m.step(s.state, c); n > 0 {
			s.cover(s.pos-int64(n), s.pos)
		}
		if m.chunks != nil {
			s.roll(m.chunks, c)
		}
	}
	s.pos = end
	// Merge the regions found now with those found before, by start.
	all := append(s.regions, old...)
	sort.Slice(all, func(i, j int) bool { return all[i].start < all[j].start })
	s.regions = nil
	for _, r := range all {
		if n := len(s.regions); n > 0 {
			last := &s.regions[n-1]
			if r.start < last.end || (r.start == last.end && r.join && last.join) {
				last.end = max(last.end, r.end)
				last.announced = last.announced || r.announced
				last.join = last.join && r.join
				continue
			}
		}
		s.regions = append(s.regions, r)
	}
}
