package mask

// A value longer than maxPattern bytes is not built into an automaton,
// whose size is some thirty bytes per byte of pattern (a 16 MiB step output
// would take half a gigabyte): it is cut into chunks of chunkLen bytes that
// tile it (the last one ends where the value ends), found in the stream
// with a rolling hash, for a few bytes per chunk. Every chunk of such a
// value in the stream is masked, and touching chunks make one run, so the
// value printed whole prints as one Replacement; of a part of it printed,
// at most chunkLen-1 bytes at either end can be left.
const (
	maxPattern = 4 << 10
	chunkLen   = 256
	hashBase   = 1099511628211 // the FNV-1 64-bit prime: odd, so the hash mixes every byte
)

// chunkIndex finds the chunks of the long values of a Set. It is immutable.
type chunkIndex struct {
	byHash map[uint64][][]byte
	pow    uint64 // hashBase^(chunkLen-1), to take the oldest byte out
}

// newChunkIndex indexes the chunks of values, each longer than chunkLen.
func newChunkIndex(values [][]byte) *chunkIndex {
	if len(values) == 0 {
		return nil
	}
	ci := &chunkIndex{byHash: map[uint64][][]byte{}, pow: 1}
	for range chunkLen - 1 {
		ci.pow *= hashBase
	}
	add := func(c []byte) {
		h := hashOf(c)
		for _, o := range ci.byHash[h] {
			if string(o) == string(c) {
				return
			}
		}
		ci.byHash[h] = append(ci.byHash[h], c)
	}
	for _, v := range values {
		for i := 0; i+chunkLen <= len(v); i += chunkLen {
			add(v[i : i+chunkLen])
		}
		if len(v)%chunkLen != 0 {
			add(v[len(v)-chunkLen:])
		}
	}
	return ci
}

func hashOf(b []byte) uint64 {
	var h uint64
	for _, c := range b {
		h = h*hashBase + uint64(c)
	}
	return h
}

// roller is a scanner's rolling hash over its last chunkLen bytes.
type roller struct {
	h uint64
	n int // bytes in the window, up to chunkLen
}

// roll feeds byte c, the one at offset pos-1 of the stream (pos counted
// after it), and covers the window when it is a chunk. The window's bytes
// are held by the scanner: it holds back at least n of them.
func (s *scanner) roll(ci *chunkIndex, c byte) {
	r := &s.roller
	if r.n == chunkLen {
		out := s.buf[s.head+int(s.pos-1-chunkLen-s.start)]
		r.h -= uint64(out) * ci.pow
	} else {
		r.n++
	}
	r.h = r.h*hashBase + uint64(c)
	if r.n < chunkLen {
		return
	}
	cands := ci.byHash[r.h]
	if len(cands) == 0 {
		return
	}
	at := s.head + int(s.pos-chunkLen-s.start)
	window := s.buf[at : at+chunkLen]
	for _, cand := range cands {
		if string(cand) == string(window) {
			s.coverJoin(s.pos-chunkLen, s.pos)
			return
		}
	}
}
