package tokenizer

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Merging by rank is Hugging Face's BPE model (and llama.cpp's for gpt2
// vocabularies): a word starts as one symbol per character, and the
// adjacent pair with the lowest merge rank is merged, the leftmost on ties,
// until no adjacent pair has a merge. Symbols are token ids and merges are
// keyed by id pairs, as tokenizers keeps them. A byte-level word's
// characters are its bytes, so the symbols start as the ids of the bytes'
// characters. A SentencePiece-style word (Gemma 3's tokenizer.json) starts
// from its UTF-8 characters, a character that is no piece falling back to
// its byte tokens <0xNN> (or UNK without them).

// Words up to this many symbols merge by rescanning an array of pair
// ranks, which is quickest for words; longer ones use a linked list and a
// heap of candidate merges (O(n log n)). Both give the same merges.
const maxScanWord = 64

// buildMerges resolves Vocab.Merges to id pairs and, for gpt2, the byte
// table, the pre-tokenizer and the whole-word lookup.
func (t *Tokenizer) buildMerges() error {
	v := t.v
	t.merges = make(map[uint64]uint64, len(v.Merges))
	for rank, m := range v.Merges {
		// Split at the first space after the first byte, as llama.cpp
		// does: a piece may begin with a space but contains none after.
		sp := strings.IndexByte(m[min(1, len(m)):], ' ')
		if sp < 0 {
			return fmt.Errorf("tokenizer: merge %d (%q) is not two pieces joined by a space", rank, m)
		}
		sp += min(1, len(m))
		left, lok := t.ids[m[:sp]]
		right, rok := t.ids[m[sp+1:]]
		merged, mok := t.ids[m[:sp]+m[sp+1:]]
		if !lok || !rok || !mok {
			continue // a merge of pieces the vocabulary lacks can never apply
		}
		key := uint64(left)<<32 | uint64(right)
		if _, dup := t.merges[key]; !dup {
			t.merges[key] = uint64(rank)<<32 | uint64(merged)
		}
	}
	if !v.IsBPE() {
		return nil
	}
	for b := range 256 {
		t.byteTok[b] = -1
		if id, ok := t.ids[string(byteRune[b])]; ok {
			t.byteTok[b] = int32(id)
		}
	}
	pre, err := newPreTokenizer(v.Pre)
	if err != nil {
		return err
	}
	t.pre = pre
	if v.IgnoreMerges {
		t.whole = make(map[string]int32, len(v.Pieces))
		for id := range v.Pieces {
			if typ := v.TokenType(id); typ == TypeNormal || typ == 0 {
				if _, dup := t.whole[t.text[id]]; !dup {
					t.whole[t.text[id]] = int32(id)
				}
			}
		}
	}
	return nil
}

// mergeResults is the set of pieces that merges make, which bounds where a
// SentencePiece-style text can be cut into independent segments.
func (t *Tokenizer) mergeResults() map[string]int32 {
	set := make(map[string]int32, len(t.merges))
	for _, val := range t.merges {
		id := int32(uint32(val))
		set[t.v.Pieces[id]] = id
	}
	return set
}

// mergeOf looks up the merge of the pair (a, b): its rank and merged id.
func (t *Tokenizer) mergeOf(a, b int32) (rank uint32, id int32, ok bool) {
	val, ok := t.merges[uint64(uint32(a))<<32|uint64(uint32(b))]
	return uint32(val >> 32), int32(uint32(val)), ok
}

const noRank = ^uint32(0)

// mergeIDs merges the symbols ids of one word in place and returns them.
func (t *Tokenizer) mergeIDs(st *encodeState, ids []int32) []int32 {
	if len(ids) < 2 {
		return ids
	}
	if len(ids) > maxScanWord {
		return t.mergeHeap(st, ids)
	}
	return t.mergeScan(st, ids)
}

// mergeScan is mergeIDs for words: ranks[i] is the rank of merging ids[i]
// and ids[i+1], and each step merges at the lowest, the first of equals.
func (t *Tokenizer) mergeScan(st *encodeState, ids []int32) []int32 {
	ranks := st.ranks[:0]
	for i := 0; i+1 < len(ids); i++ {
		r, _, ok := t.mergeOf(ids[i], ids[i+1])
		if !ok {
			r = noRank
		}
		ranks = append(ranks, r)
	}
	for {
		best := -1
		bestRank := noRank
		for i, r := range ranks {
			if r < bestRank {
				best, bestRank = i, r
			}
		}
		if best < 0 {
			break
		}
		_, id, _ := t.mergeOf(ids[best], ids[best+1])
		ids[best] = id
		ids = append(ids[:best+1], ids[best+2:]...)
		ranks = append(ranks[:best], ranks[best+1:]...)
		if best > 0 {
			ranks[best-1] = t.rankOf(ids[best-1], ids[best])
		}
		if best < len(ranks) {
			ranks[best] = t.rankOf(ids[best], ids[best+1])
		}
	}
	st.ranks = ranks
	return ids
}

func (t *Tokenizer) rankOf(a, b int32) uint32 {
	if r, _, ok := t.mergeOf(a, b); ok {
		return r
	}
	return noRank
}

// mergeCand is a queued merge of the symbol at pos with its right
// neighbour into id, at rank.
type mergeCand struct {
	rank uint32
	pos  int32
	id   int32
}

func (a *mergeCand) before(b *mergeCand) bool {
	return a.rank < b.rank || a.rank == b.rank && a.pos < b.pos
}

// mergeHeap is mergeIDs for long words: symbols in a linked list, the
// candidate merges in a binary heap ordered by rank then position. A
// candidate whose symbols have changed since it was queued is skipped.
func (t *Tokenizer) mergeHeap(st *encodeState, ids []int32) []int32 {
	n := len(ids)
	next := st.next[:0]
	prev := st.prev[:0]
	for i := range n {
		next = append(next, int32(i+1))
		prev = append(prev, int32(i-1))
	}
	next[n-1] = -1
	heap := st.heap[:0]
	push := func(c mergeCand) {
		heap = append(heap, c)
		for i := len(heap) - 1; i > 0; {
			p := (i - 1) / 2
			if !heap[i].before(&heap[p]) {
				break
			}
			heap[i], heap[p] = heap[p], heap[i]
			i = p
		}
	}
	pop := func() mergeCand {
		top := heap[0]
		last := len(heap) - 1
		heap[0] = heap[last]
		heap = heap[:last]
		for i := 0; ; {
			l := 2*i + 1
			if l >= len(heap) {
				break
			}
			m := l
			if r := l + 1; r < len(heap) && heap[r].before(&heap[l]) {
				m = r
			}
			if !heap[m].before(&heap[i]) {
				break
			}
			heap[i], heap[m] = heap[m], heap[i]
			i = m
		}
		return top
	}
	queue := func(pos int32) {
		if r := next[pos]; r >= 0 {
			if rank, id, ok := t.mergeOf(ids[pos], ids[r]); ok {
				push(mergeCand{rank: rank, pos: pos, id: id})
			}
		}
	}
	for i := range n - 1 {
		queue(int32(i))
	}
	const gone = -2
	for len(heap) > 0 {
		c := pop()
		r := next[c.pos]
		if prev[c.pos] == gone || r < 0 {
			continue
		}
		if _, id, ok := t.mergeOf(ids[c.pos], ids[r]); !ok || id != c.id {
			continue // stale: a side has merged with something else
		}
		ids[c.pos] = c.id
		next[c.pos] = next[r]
		if next[r] >= 0 {
			prev[next[r]] = c.pos
		}
		prev[r] = gone
		if p := prev[c.pos]; p >= 0 {
			queue(p)
		}
		queue(c.pos)
	}
	out := ids[:0]
	for i := int32(0); i >= 0; i = next[i] {
		out = append(out, ids[i])
	}
	st.next, st.prev, st.heap = next, prev, heap
	return out
}

// encodeBPE appends the ids of a section of text (between added tokens)
// for a gpt2 vocabulary: normalised, pre-tokenised, each pre-token merged.
func (t *Tokenizer) encodeBPE(st *encodeState, dst []int, text string) []int {
	text = t.normalize(text)
	st.dst = dst
	t.pre.split(text, st.emit)
	dst = st.dst
	st.dst = nil
	return dst
}

// bpeWord appends the ids of one pre-token.
func (t *Tokenizer) bpeWord(st *encodeState, word string) {
	if len(word) == 1 && t.byteTok[word[0]] >= 0 {
		st.dst = append(st.dst, int(t.byteTok[word[0]]))
		return
	}
	// The small per-state cache first: the whole-word map is the size of
	// the vocabulary and slower to probe.
	cacheable := len(word) <= maxCachedSegment
	if cacheable {
		if ids, ok := st.cache[word]; ok {
			for _, id := range ids {
				st.dst = append(st.dst, int(id))
			}
			return
		}
	}
	ids := st.ids[:0]
	if t.whole != nil {
		if id, ok := t.whole[word]; ok {
			t.appendWord(st, word, append(ids, id), cacheable)
			return
		}
	}
	for i := 0; i < len(word); i++ {
		id := t.byteTok[word[i]]
		if id < 0 {
			if t.v.UNK < 0 || len(ids) > 0 && ids[len(ids)-1] == int32(t.v.UNK) {
				continue
			}
			id = int32(t.v.UNK)
		}
		ids = append(ids, id)
	}
	ids = t.mergeIDs(st, ids)
	t.appendWord(st, word, ids, cacheable)
}

// appendWord appends a word's merged ids and caches them.
func (t *Tokenizer) appendWord(st *encodeState, word string, ids []int32, cacheable bool) {
	for _, id := range ids {
		st.dst = append(st.dst, int(id))
	}
	if cacheable {
		if st.cache == nil || len(st.cache) >= maxCacheEntries {
			st.cache = make(map[string][]int32, 1024)
		}
		st.cache[word] = append([]int32(nil), ids...)
	}
	st.ids = ids
}

// encodeMergedSPM appends the ids of a section of text for a
// SentencePiece-style vocabulary with merges: spaces spelled with the
// marker (after a dummy prefix if the vocabulary adds one), then merged by
// rank. Hugging Face merges such a text (Gemma 3's) as one word; it is cut
// where no merged piece spans two neighbouring characters, which gives the
// same ids, and the short segments are cached.
func (t *Tokenizer) encodeMergedSPM(st *encodeState, dst []int, text string, prefix bool) []int {
	st.dst = dst
	seg := st.text[:0]
	last := -1 // where the segment's last character starts
	addCh := func(ch string) {
		if last >= 0 && t.split && t.pairID(seg[last:], ch) == noMatch {
			t.mergeSegment(st, seg)
			seg = seg[:0]
		}
		last = len(seg)
		seg = append(seg, ch...)
	}
	if prefix {
		addCh(t.space)
	}
	for i := 0; i < len(text); {
		if c := text[i]; c < utf8.RuneSelf {
			if c == ' ' {
				addCh(t.space)
			} else {
				addCh(text[i : i+1])
			}
			i++
			continue
		}
		_, n := utf8.DecodeRuneInString(text[i:])
		addCh(text[i : i+n])
		i += n
	}
	if len(seg) > 0 {
		t.mergeSegment(st, seg)
	}
	st.text = seg[:0]
	dst = st.dst
	st.dst = nil
	return dst
}

// mergeSegment appends the ids of one segment of normalised text.
func (t *Tokenizer) mergeSegment(st *encodeState, seg []byte) {
	cacheable := len(seg) <= maxCachedSegment
	if cacheable {
		if ids, ok := st.cache[string(seg)]; ok {
			for _, id := range ids {
				st.dst = append(st.dst, int(id))
			}
			return
		}
	}
	ids := st.ids[:0]
	unk := int32(t.v.UNK)
	for i := 0; i < len(seg); {
		_, n := utf8.DecodeRune(seg[i:])
		ch := seg[i : i+n]
		i += n
		if id, ok := t.ids[string(ch)]; ok {
			ids = append(ids, int32(id))
			continue
		}
		fallback := true
		for _, c := range ch {
			fallback = fallback && t.byteID[c] >= 0
		}
		if fallback {
			for _, c := range ch {
				ids = append(ids, t.byteID[c])
			}
			continue
		}
		if len(ids) == 0 || ids[len(ids)-1] != unk { // tokenizers' fuse_unk
			ids = append(ids, unk)
		}
	}
	ids = t.mergeIDs(st, ids)
	t.appendWord(st, string(seg), ids, cacheable)
}
