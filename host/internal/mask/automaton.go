package mask

import (
	"bytes"
	"sort"
)

// automaton is an Aho–Corasick automaton over the byte patterns of a Set:
// fed a stream one byte at a time, it says after each byte the longest
// pattern that ends there (to mask) and how many trailing bytes may still
// begin one (to hold back). Feeding n bytes costs O(n) steps, however many
// patterns there are: every byte moves one edge down the trie, and every
// failure link followed moves up, never more than the bytes fed.
//
// It is immutable once built, so any number of writers may share it.
type automaton struct {
	// root is the transition of the root state on every byte, so that plain
	// text, which mostly bounces at the root, costs one table load a byte.
	root   [256]int32
	states []state
	edges  []edge
	// dense[s.dense-1] is the whole transition table of a shallow state
	// with many children, failure links resolved: text that shares the
	// first bytes of many values spends its time there.
	dense [][256]int32
	// maxLen is the length of the longest pattern.
	maxLen int
}

// state is one state of the automaton, kept together so that a step
// touches one cache line of it.
type state struct {
	first, last int32 // its children are edges[first:last], sorted by byte
	fail        int32 // the state of the longest proper suffix in the trie
	dense       int32 // 1 + its index in dense; 0 for none
	depth       int32 // the length of the prefix it stands for
	out         int32 // the length of the longest pattern ending here, 0 for none
}

type edge struct {
	b  byte
	to int32
}

// A state with at least denseChildren children gets a whole transition
// table, up to maxDense tables (1 KiB each) per automaton.
const (
	denseChildren = 4
	maxDense      = 4096
)

// buildAutomaton builds the automaton of patterns, none of them empty. It
// sorts patterns.
func buildAutomaton(patterns [][]byte) *automaton {
	// The trie. Inserted in sorted order, a node's children come in
	// increasing byte order, and a byte that is already a child of a node
	// is its last child: no search, and no slice per node.
	sort.Slice(patterns, func(i, j int) bool { return bytes.Compare(patterns[i], patterns[j]) < 0 })
	total := 1
	for _, p := range patterns {
		total += len(p)
	}
	type node struct {
		b                      byte
		term                   bool
		depth                  int32
		firstKid, lastKid, sib int32 // -1 for none
	}
	nodes := make([]node, 1, total)
	nodes[0] = node{firstKid: -1, lastKid: -1, sib: -1}
	maxLen, edgeCount := 0, 0
	for _, p := range patterns {
		maxLen = max(maxLen, len(p))
		s := int32(0)
		for _, b := range p {
			if k := nodes[s].lastKid; k >= 0 && nodes[k].b == b {
				s = k
				continue
			}
			next := int32(len(nodes))
			nodes = append(nodes, node{b: b, depth: nodes[s].depth + 1, firstKid: -1, lastKid: -1, sib: -1})
			if k := nodes[s].lastKid; k >= 0 {
				nodes[k].sib = next
			} else {
				nodes[s].firstKid = next
			}
			nodes[s].lastKid = next
			edgeCount++
			s = next
		}
		nodes[s].term = true
	}

	a := &automaton{states: make([]state, len(nodes)), edges: make([]edge, 0, edgeCount), maxLen: maxLen}
	for i := range nodes {
		st := &a.states[i]
		st.first = int32(len(a.edges))
		for k := nodes[i].firstKid; k >= 0; k = nodes[k].sib {
			a.edges = append(a.edges, edge{b: nodes[k].b, to: k})
		}
		st.last = int32(len(a.edges))
		st.depth = nodes[i].depth
	}
	for _, e := range a.children(0) {
		a.root[e.b] = e.to
	}

	// Breadth first, so a state's failure link is final before its
	// children's are computed.
	queue := make([]int32, 0, len(nodes))
	for _, e := range a.children(0) {
		queue = append(queue, e.to) // fail = 0
	}
	for len(queue) > 0 {
		s := queue[0]
		queue = queue[1:]
		st := &a.states[s]
		if nodes[s].term {
			st.out = st.depth // the longest suffix there is: the state itself
		} else {
			st.out = a.states[st.fail].out
		}
		for _, e := range a.children(s) {
			a.states[e.to].fail = a.step(st.fail, e.b)
			queue = append(queue, e.to)
		}
		// States come shallowest first, and a failure link leads to a
		// shallower state, whose table (if any) is complete already.
		if st.last-st.first >= denseChildren && len(a.dense) < maxDense {
			var t [256]int32
			for b := range t {
				t[b] = a.step(s, byte(b))
			}
			a.dense = append(a.dense, t)
			st.dense = int32(len(a.dense))
		}
	}
	return a
}

// children returns the edges out of state s.
func (a *automaton) children(s int32) []edge {
	st := &a.states[s]
	return a.edges[st.first:st.last]
}

// step returns the state after byte b in state s.
func (a *automaton) step(s int32, b byte) int32 {
	for s != 0 {
		st := &a.states[s]
		if st.dense > 0 {
			return a.dense[st.dense-1][b]
		}
		lo, hi := st.first, st.last
		for lo < hi {
			mid := int32(uint32(lo+hi) >> 1)
			if a.edges[mid].b < b {
				lo = mid + 1
			} else {
				hi = mid
			}
		}
		if lo < st.last && a.edges[lo].b == b {
			return a.edges[lo].to
		}
		s = st.fail
	}
	return a.root[b]
}

// matcher is the automata of a Set, fed side by side: a Set adds values in
// batches, each with an automaton of its own, and merges a batch into the
// one before it once it is as large, so that adding values one at a time
// costs O(log n) rebuilds of each, not one rebuild of everything per value.
// It is immutable.
type matcher struct {
	autos  []*automaton
	chunks *chunkIndex // the long values; nil for none
}

// step moves states (one per automaton) over byte c and returns the length
// of the longest value ending there, 0 for none.
func (m *matcher) step(states []int32, c byte) int32 {
	var n int32
	for i, a := range m.autos {
		states[i] = a.step(states[i], c)
		n = max(n, a.states[states[i]].out)
	}
	return n
}

// depth returns how many of the last bytes fed may still begin a value.
func (m *matcher) depth(states []int32) int32 {
	var d int32
	for i, a := range m.autos {
		d = max(d, a.states[states[i]].depth)
	}
	return d
}
