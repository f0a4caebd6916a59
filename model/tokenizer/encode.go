package tokenizer

import "unicode/utf8"

// symbol is a run of the normalised text, text[start:end], in the doubly
// linked list of symbols that merging shrinks. A symbol merged into its left
// neighbour gets start == end and is skipped from then on.
type symbol struct {
	start, end int
	prev, next int   // neighbours' indexes, -1 at the ends
	id         int32 // its piece id, negative when the text is no piece (byte fallback)
}

// bigram is a candidate merge of two adjacent symbols into the piece id.
// size is the merged length in bytes when the candidate was made: if either
// side has changed since, the lengths no longer add up and it is stale.
type bigram struct {
	left, right int
	score       float32
	size        int
	id          int32
}

// before orders the priority queue: higher score first, then leftmost, as
// SentencePiece and llama2.c break ties. Symbols never move, so the left
// index is the position in the text.
func (a *bigram) before(b *bigram) bool {
	return a.score > b.score || a.score == b.score && a.left < b.left
}

// encodeState is the scratch space of one Encode call, pooled so that
// tokenising a corpus does not allocate per text.
type encodeState struct {
	text  []byte
	syms  []symbol
	queue []bigram // binary heap ordered by before
}

// maxPooledSymbols keeps a single huge text from pinning its scratch
// buffers in the pool for good.
const maxPooledSymbols = 1 << 20

// Encode tokenises text the way Llama 2's SentencePiece model does, with BOS
// first when addBOS is set. See the package documentation for the steps.
func (t *Tokenizer) Encode(text string, addBOS bool) []int {
	return t.EncodeInto(nil, text, addBOS)
}

// EncodeInto is Encode appending the ids to dst, so a caller can reuse one
// slice across texts.
func (t *Tokenizer) EncodeInto(dst []int, text string, addBOS bool) []int {
	if addBOS {
		dst = append(dst, t.v.BOS)
	}
	if text == "" {
		return dst
	}
	st := t.states.Get().(*encodeState)
	dst = t.encode(st, dst, text)
	if cap(st.syms) <= maxPooledSymbols {
		t.states.Put(st)
	}
	return dst
}

func (t *Tokenizer) encode(st *encodeState, dst []int, text string) []int {
	// Normalise: the dummy prefix, and spaces spelled as the vocabulary
	// spells them ("▁" for GGUF vocabularies; llama2.c ones keep " ").
	buf := st.text[:0]
	if t.v.AddSpacePrefix {
		buf = append(buf, t.space...)
	}
	if t.space == " " {
		buf = append(buf, text...)
	} else {
		for i := 0; i < len(text); i++ {
			if c := text[i]; c == ' ' {
				buf = append(buf, t.space...)
			} else {
				buf = append(buf, c)
			}
		}
	}
	st.text = buf

	// One symbol per UTF-8 character. An invalid byte is a symbol of its
	// own; it is no piece, so it falls back to its byte token.
	syms := st.syms[:0]
	for i := 0; i < len(buf); {
		c := buf[i]
		if c < utf8.RuneSelf {
			syms = append(syms, symbol{start: i, end: i + 1, id: t.asciiID[c]})
			i++
			continue
		}
		_, n := utf8.DecodeRune(buf[i:])
		id, ok := t.match[string(buf[i:i+n])]
		if !ok {
			id = noMatch
		}
		syms = append(syms, symbol{start: i, end: i + n, id: id})
		i += n
	}
	st.syms = syms

	// Merges happen only inside pieces, so a boundary between characters x
	// and y that no piece contains as the substring xy is never crossed:
	// the text falls apart there into segments that merge independently,
	// in the same order as they would in one queue. For Llama that cuts
	// before almost every "▁", so the queue holds one word at a time and
	// stays small and cache-resident however long the text is.
	st.queue = st.queue[:0]
	first := 0 // first symbol of the current segment
	for i := range syms {
		syms[i].prev, syms[i].next = i-1, i+1
		if i == first {
			syms[i].prev = -1
		}
		if i+1 < len(syms) {
			pair := t.pairID(buf, &syms[i], &syms[i+1])
			if pair >= 0 {
				st.push(bigram{left: i, right: i + 1, score: t.v.Scores[pair], size: syms[i+1].end - syms[i].start, id: pair})
			}
			if pair != noMatch || !t.split {
				continue
			}
		}
		syms[i].next = -1
		t.merge(st)
		dst = t.emit(st, dst, first)
		first = i + 1
	}
	return dst
}

// pairID classifies the adjacent characters a, b: the id of the piece a+b,
// noPiece if a+b only occurs inside longer pieces, noMatch if nowhere.
func (t *Tokenizer) pairID(buf []byte, a, b *symbol) int32 {
	if a.end-a.start == 1 && b.end-b.start == 1 {
		if x, y := buf[a.start], buf[b.start]; x < utf8.RuneSelf && y < utf8.RuneSelf {
			return t.asciiPair[int(x)<<7|int(y)]
		}
	}
	id, ok := t.pairs[string(buf[a.start:b.end])]
	if !ok {
		return noMatch
	}
	return id
}

// merge runs the queued merges of a segment until none is left.
func (t *Tokenizer) merge(st *encodeState) {
	syms := st.syms
	for len(st.queue) > 0 {
		b := st.pop()
		l, r := &syms[b.left], &syms[b.right]
		if l.end-l.start+r.end-r.start != b.size || l.start == l.end || r.start == r.end {
			continue // stale: one side was merged into something else
		}
		l.end, l.id = r.end, b.id
		r.start = r.end
		l.next = r.next
		if r.next >= 0 {
			syms[r.next].prev = b.left
		}
		t.tryPair(st, l.prev, b.left)
		t.tryPair(st, b.left, l.next)
	}
}

// emit appends the ids of the segment that starts with symbol first.
func (t *Tokenizer) emit(st *encodeState, dst []int, first int) []int {
	for i := first; i >= 0; i = st.syms[i].next {
		s := &st.syms[i]
		if s.id >= 0 {
			dst = append(dst, int(s.id))
			continue
		}
		dst = t.byteFallback(dst, st.text[s.start:s.end])
	}
	return dst
}

// byteFallback appends the byte tokens of a character that is no piece, or
// UNK once when the vocabulary lacks one of its bytes.
func (t *Tokenizer) byteFallback(dst []int, char []byte) []int {
	for _, c := range char {
		if t.byteID[c] < 0 {
			return append(dst, t.v.UNK)
		}
	}
	for _, c := range char {
		dst = append(dst, int(t.byteID[c]))
	}
	return dst
}

// tryPair queues the merge of symbols left and right if their concatenation
// is a piece.
func (t *Tokenizer) tryPair(st *encodeState, left, right int) {
	if left < 0 || right < 0 {
		return
	}
	start, end := st.syms[left].start, st.syms[right].end
	id, ok := t.match[string(st.text[start:end])]
	if !ok {
		return
	}
	st.push(bigram{left: left, right: right, score: t.v.Scores[id], size: end - start, id: id})
}

// push and pop keep st.queue a binary heap; written out rather than through
// container/heap to avoid its interface calls in the inner loop.
func (st *encodeState) push(b bigram) {
	q := append(st.queue, b)
	i := len(q) - 1
	for i > 0 {
		p := (i - 1) / 2
		if !q[i].before(&q[p]) {
			break
		}
		q[i], q[p] = q[p], q[i]
		i = p
	}
	st.queue = q
}

func (st *encodeState) pop() bigram {
	q := st.queue
	top := q[0]
	last := len(q) - 1
	q[0] = q[last]
	q = q[:last]
	for i := 0; ; {
		l := 2*i + 1
		if l >= len(q) {
			break
		}
		m := l
		if r := l + 1; r < len(q) && q[r].before(&q[l]) {
			m = r
		}
		if !q[m].before(&q[i]) {
			break
		}
		q[i], q[m] = q[m], q[i]
		i = m
	}
	st.queue = q
	return top
}
