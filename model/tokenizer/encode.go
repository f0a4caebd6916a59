package tokenizer

import "unicode/utf8"

// Encoding works on one segment of the text at a time. Merges happen only
// inside pieces, so a boundary between characters x and y that no piece
// contains as the substring xy is never crossed: the text falls apart there
// into segments that merge independently, in the same order as they would
// in one queue for the whole text. For Llama that cuts before almost every
// "▁", so the symbols and the queue hold about one word at a time, stay
// cache-resident however long the text is, and can use 32-bit indexes.

// symbol is a run of the segment's normalised text, text[start:end], in the
// doubly linked list of symbols that merging shrinks. A symbol merged into
// its left neighbour gets start == end and is skipped from then on.
type symbol struct {
	start, end int32
	prev, next int32 // neighbours' indexes, -1 at the ends
	id         int32 // its piece id, negative when the text is no piece (byte fallback)
	pair       int32 // as a character: the piece id of it and the next character, negative when none
}

// bigram is a candidate merge of two adjacent symbols into the piece id.
// size is the merged length in bytes when the candidate was made: if either
// side has changed since, the lengths no longer add up and it is stale.
type bigram struct {
	left, right int32
	score       float32
	size        int32
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
	text  []byte   // the current segment, normalised
	syms  []symbol // its characters, then the merged symbols
	queue []bigram // binary heap ordered by before

	// Merging by rank (bpe.go): the word's symbols, their pair ranks, the
	// linked list and heap of long words, and the ids being appended to.
	ids        []int32
	ranks      []uint32
	next, prev []int32
	heap       []mergeCand
	dst        []int
	emit       func(string) // bpeWord on this state, made once

	// cache holds the ids of short segments seen before. Segments are
	// independent, so a word's ids are the same wherever it occurs, and
	// natural text repeats its words (Zipf): most segments are hits and
	// skip merging. It is emptied when full.
	cache map[string][]int32
}

// Bounds of the segment cache.
const (
	maxCachedSegment = 32      // bytes of a segment worth caching
	maxCacheEntries  = 1 << 14 // then the cache starts afresh
)

// maxSegment caps a segment's bytes so that 32-bit indexes cannot
// overflow; a longer run without a possible cut (over a gigabyte of text
// that never leaves the inside of pieces) is cut there.
const maxSegment = 1 << 30

// maxPooled keeps one unusually long segment from pinning its scratch
// buffers in the pool for good.
const maxPooled = 1 << 16

// EncodeOptions says what Encode adds to and parses in a text.
type EncodeOptions struct {
	AddBOS bool // put BOS first (nothing when the vocabulary has none)
	AddEOS bool // put EOS last (nothing when the vocabulary has none)
	// Special cuts the text of special (control) tokens out of the text as
	// those tokens, as for a prompt rendered by a chat template. Without it
	// "<|im_start|>" in the text is text. User-defined tokens are cut out
	// either way.
	Special bool
	// Literal are byte ranges [start, end) of text, in order and apart,
	// where Special does not apply: special-token text there stays text
	// (what a user typed into a message, inside a prompt a chat template
	// rendered).
	Literal [][2]int
}

// Encode tokenises text with BOS first when addBOS is set; special-token
// text in it stays text. A SentencePiece vocabulary encodes as Llama 2's
// SentencePiece model does, a gpt2 one as its Hugging Face tokenizer.json
// does. See the package documentation for the steps.
func (t *Tokenizer) Encode(text string, addBOS bool) []int {
	return t.EncodeInto(nil, text, addBOS)
}

// EncodeInto is Encode appending the ids to dst, so a caller can reuse one
// slice across texts.
func (t *Tokenizer) EncodeInto(dst []int, text string, addBOS bool) []int {
	return t.EncodeWith(dst, text, EncodeOptions{AddBOS: addBOS})
}

// EncodeSpecial is Encode for a text in which special tokens are written
// out, as a chat template renders them: each becomes its token (the
// longest one where several start at the same place), and the text between
// them is encoded as by Encode.
func (t *Tokenizer) EncodeSpecial(text string, addBOS bool) []int {
	return t.EncodeWith(nil, text, EncodeOptions{AddBOS: addBOS, Special: true})
}

// EncodeWith appends the ids of text to dst as o says.
func (t *Tokenizer) EncodeWith(dst []int, text string, o EncodeOptions) []int {
	if o.AddBOS && t.v.BOS >= 0 {
		dst = append(dst, t.v.BOS)
	}
	if text != "" {
		st := t.states.Get().(*encodeState)
		st.text, st.syms, st.queue = st.text[:0], st.syms[:0], st.queue[:0]
		var m splitter
		switch {
		case o.Special && t.addedSpecial != nil && len(o.Literal) > 0:
			m = &literalMatcher{special: t.addedSpecial, plain: t.added, literal: o.Literal}
		case o.Special && t.addedSpecial != nil:
			m = t.addedSpecial
		case !o.Special && t.added != nil:
			m = t.added
		}
		if m == nil {
			dst = t.encodeSection(st, dst, text, true)
		} else {
			// A SentencePiece dummy prefix goes before the text at the start
			// and after each cut-out token, as llama.cpp (and a Prepend
			// normaliser, which sees each section) puts it.
			afterToken := true
			m.split(text, func(s string) {
				dst = t.encodeSection(st, dst, s, afterToken)
				afterToken = false
			}, func(id int) {
				dst = append(dst, id)
				afterToken = true
			})
		}
		if cap(st.syms) <= maxPooled && cap(st.text) <= maxPooled && cap(st.ids) <= maxPooled {
			t.states.Put(st)
		}
	}
	if o.AddEOS && t.v.EOS >= 0 {
		dst = append(dst, t.v.EOS)
	}
	return dst
}

// encodeSection encodes text that holds no cut-out token; first is set at
// the start of the text and after a cut-out token.
func (t *Tokenizer) encodeSection(st *encodeState, dst []int, text string, first bool) []int {
	switch {
	case t.v.IsBPE():
		return t.encodeBPE(st, dst, text)
	case t.merges != nil:
		return t.encodeMergedSPM(st, dst, text, first && t.v.AddSpacePrefix)
	}
	return t.encodeSPM(st, dst, text, first && t.v.AddSpacePrefix)
}

// encodeSPM merges by score, SentencePiece's way.
func (t *Tokenizer) encodeSPM(st *encodeState, dst []int, text string, prefix bool) []int {
	st.text, st.syms, st.queue = st.text[:0], st.syms[:0], st.queue[:0]
	if prefix {
		dst = t.addChar(st, dst, t.space)
	}
	// Normalise on the fly: spaces are spelled as the vocabulary spells
	// them ("▁" for GGUF vocabularies; llama2.c ones keep " "). An invalid
	// byte is a character of its own; it is no piece, so it falls back to
	// its byte token.
	for i := 0; i < len(text); {
		if c := text[i]; c < utf8.RuneSelf {
			if c == ' ' {
				dst = t.addChar(st, dst, t.space)
			} else {
				dst = t.addChar(st, dst, text[i:i+1])
			}
			i++
			continue
		}
		_, n := utf8.DecodeRuneInString(text[i:])
		dst = t.addChar(st, dst, text[i:i+n])
		i += n
	}
	return t.flush(st, dst)
}

// addChar appends the character ch (normalised) to the current segment, or
// first flushes the segment when no piece spans the boundary before ch.
func (t *Tokenizer) addChar(st *encodeState, dst []int, ch string) []int {
	var id int32
	if len(ch) == 1 && ch[0] < utf8.RuneSelf {
		id = t.asciiID[ch[0]]
	} else if m, ok := t.match[ch]; ok {
		id = m
	} else {
		id = noMatch
	}
	k := int32(len(st.syms))
	if k > 0 {
		prev := &st.syms[k-1]
		pair := t.pairID(st.text[prev.start:], ch)
		if pair == noMatch && t.split || len(st.text)+len(ch) > maxSegment {
			dst = t.flush(st, dst)
			k = 0
		} else {
			prev.pair = pair
		}
	}
	start := int32(len(st.text))
	st.text = append(st.text, ch...)
	st.syms = append(st.syms, symbol{start: start, end: start + int32(len(ch)), prev: k - 1, next: k + 1, id: id, pair: noMatch})
	return dst
}

// pairID classifies the adjacent characters a, b: the id of the piece a+b,
// noPiece if a+b only occurs inside longer pieces, noMatch if nowhere.
func (t *Tokenizer) pairID(a []byte, b string) int32 {
	if len(a) == 1 && len(b) == 1 && a[0] < utf8.RuneSelf && b[0] < utf8.RuneSelf {
		return t.asciiPair[int(a[0])<<7|int(b[0])]
	}
	var key [2 * utf8.UTFMax]byte
	n := copy(key[:], a)
	n += copy(key[n:], b)
	id, ok := t.pairs[string(key[:n])]
	if !ok {
		return noMatch
	}
	return id
}

// flush merges the current segment, appends its ids and empties it.
func (t *Tokenizer) flush(st *encodeState, dst []int) []int {
	if len(st.syms) == 0 {
		return dst
	}
	cacheable := len(st.text) <= maxCachedSegment
	if cacheable {
		if ids, ok := st.cache[string(st.text)]; ok {
			for _, id := range ids {
				dst = append(dst, int(id))
			}
			st.text, st.syms = st.text[:0], st.syms[:0]
			return dst
		}
	}
	n := len(dst)
	st.syms[len(st.syms)-1].next = -1
	for i := range st.syms {
		if s := &st.syms[i]; s.pair >= 0 {
			st.push(bigram{left: int32(i), right: int32(i + 1), score: t.v.Scores[s.pair], size: st.syms[i+1].end - s.start, id: s.pair})
		}
	}
	t.merge(st)
	for i := int32(0); i >= 0; i = st.syms[i].next {
		s := &st.syms[i]
		if s.id >= 0 {
			dst = append(dst, int(s.id))
			continue
		}
		dst = t.byteFallback(dst, st.text[s.start:s.end])
	}
	if cacheable {
		if st.cache == nil || len(st.cache) >= maxCacheEntries {
			st.cache = make(map[string][]int32, 1024)
		}
		ids := make([]int32, len(dst)-n)
		for i, id := range dst[n:] {
			ids[i] = int32(id)
		}
		st.cache[string(st.text)] = ids
	}
	st.text, st.syms, st.queue = st.text[:0], st.syms[:0], st.queue[:0]
	return dst
}

// merge runs the queued merges of the segment until none is left.
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
func (t *Tokenizer) tryPair(st *encodeState, left, right int32) {
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
