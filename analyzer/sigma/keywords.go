package sigma

// Keyword searches (a list of values under no field name) are full-text:
// a value matches when it occurs, wildcards and all, in the event's
// message or its original record (event.original), ignoring case. Every
// event of a log is read against every keyword rule, so the keywords'
// literal pieces are found in one pass of an Aho-Corasick automaton
// (Aho and Corasick, "Efficient string matching", CACM 1975) over the
// lower-cased text; a value is only checked further when its longest
// literal piece is there.

// automaton is an Aho-Corasick matcher turned into a full transition
// table: one table lookup per byte of text.
type automaton struct {
	next [][256]int32
	out  [][]int32 // patterns ending at a state (its own and through fail links)
	n    int       // patterns
}

func newAutomaton(patterns []string) *automaton {
	states := 1
	for _, p := range patterns {
		states += len(p)
	}
	a := &automaton{next: make([][256]int32, 1, states), out: make([][]int32, 1, states), n: len(patterns)}
	for i := range a.next[0] {
		a.next[0][i] = -1
	}
	for id, p := range patterns {
		s := int32(0)
		for i := 0; i < len(p); i++ {
			c := p[i]
			if a.next[s][c] < 0 {
				a.next = append(a.next, [256]int32{})
				a.out = append(a.out, nil)
				t := int32(len(a.next) - 1)
				for j := range a.next[t] {
					a.next[t][j] = -1
				}
				a.next[s][c] = t
			}
			s = a.next[s][c]
		}
		a.out[s] = append(a.out[s], int32(id))
	}
	// breadth first: fail links, then complete transitions
	fail := make([]int32, len(a.next))
	queue := make([]int32, 0, len(a.next))
	for c := 0; c < 256; c++ {
		if t := a.next[0][c]; t >= 0 {
			fail[t] = 0
			queue = append(queue, t)
		} else {
			a.next[0][c] = 0
		}
	}
	for len(queue) > 0 {
		s := queue[0]
		queue = queue[1:]
		a.out[s] = append(a.out[s], a.out[fail[s]]...)
		for c := 0; c < 256; c++ {
			t := a.next[s][c]
			if t < 0 {
				a.next[s][c] = a.next[fail[s]][c]
				continue
			}
			fail[t] = a.next[fail[s]][c]
			queue = append(queue, t)
		}
	}
	return a
}

// scan sets in hits the bit of every pattern found in text.
func (a *automaton) scan(text []byte, hits []uint64) {
	s := int32(0)
	for i := 0; i < len(text); i++ {
		s = a.next[s][text[i]]
		for _, id := range a.out[s] {
			hits[id>>6] |= 1 << (id & 63)
		}
	}
}

// keywordIndex gives each distinct keyword anchor a pattern number.
type keywordIndex struct {
	ids      map[string]int
	patterns []string
}

func (k *keywordIndex) add(s string) int {
	if k.ids == nil {
		k.ids = map[string]int{}
	}
	if id, ok := k.ids[s]; ok {
		return id
	}
	id := len(k.patterns)
	k.ids[s] = id
	k.patterns = append(k.patterns, s)
	return id
}

// anchorKeyword sets the anchor of a keyword value and its expansions:
// the longest literal piece, lower-cased (nothing for a regular expression
// or a value that is all wildcards).
func anchorKeyword(m *valueMatcher, k *keywordIndex) {
	if len(m.alts) > 0 {
		for i := range m.alts {
			anchorKeyword(&m.alts[i], k)
		}
		return
	}
	m.anchor = -1
	var lit string
	switch m.kind {
	case kindContains, kindEquals, kindPrefix, kindSuffix:
		lit = m.lit
	case kindGlob:
		lit = m.globAnchor
	}
	if m.cased {
		lit = lower(lit)
	}
	if lit != "" {
		m.anchor = k.add(lit)
	}
}
