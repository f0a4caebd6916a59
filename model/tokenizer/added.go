package tokenizer

// Added tokens (Hugging Face's added_tokens, GGUF's user-defined and
// control pieces) are cut out of the text before anything else, as whole
// strings: at each position the longest token that starts there, the
// leftmost position first (tokenizers' leftmost-longest Aho-Corasick,
// llama.cpp's tokenizer_st_partition). The text between them is encoded
// normally. User-defined tokens are always cut out; control and unknown
// ones (the special tokens of a chat template) only when the caller asks,
// so that "<|im_start|>" typed by a user stays text.

// addedMatcher is a byte trie of the token texts.
type addedMatcher struct {
	first [256]bool        // bytes that start some token
	next  map[uint64]int32 // (node<<8 | byte) → child node; the root is node 0
	id    []int32          // (nodes) the token that ends at the node, -1 if none
}

func newAddedMatcher() *addedMatcher {
	return &addedMatcher{next: map[uint64]int32{}, id: []int32{-1}}
}

// add inserts a token; an earlier token of the same text is kept.
func (m *addedMatcher) add(text string, id int) {
	if text == "" {
		return
	}
	m.first[text[0]] = true
	node := int32(0)
	for i := 0; i < len(text); i++ {
		key := uint64(node)<<8 | uint64(text[i])
		child, ok := m.next[key]
		if !ok {
			child = int32(len(m.id))
			m.id = append(m.id, -1)
			m.next[key] = child
		}
		node = child
	}
	if m.id[node] < 0 {
		m.id[node] = int32(id)
	}
}

// empty reports whether the matcher holds no token.
func (m *addedMatcher) empty() bool { return m == nil || len(m.id) == 1 }

// at is the id and length of the longest token starting at s[i], or -1.
func (m *addedMatcher) at(s string, i int) (int, int) {
	best, bestLen := -1, 0
	node := int32(0)
	for j := i; j < len(s); j++ {
		child, ok := m.next[uint64(node)<<8|uint64(s[j])]
		if !ok {
			break
		}
		node = child
		if id := m.id[node]; id >= 0 {
			best, bestLen = int(id), j+1-i
		}
	}
	return best, bestLen
}

// split calls text for each run of s between tokens and token for each
// token, in order.
func (m *addedMatcher) split(s string, text func(string), token func(int)) {
	start := 0
	for i := 0; i < len(s); i++ {
		if !m.first[s[i]] {
			continue
		}
		id, n := m.at(s, i)
		if id < 0 {
			continue
		}
		if start < i {
			text(s[start:i])
		}
		token(id)
		i += n - 1
		start = i + 1
	}
	if start < len(s) {
		text(s[start:])
	}
}

// splitter cuts added tokens out of a text (see addedMatcher.split).
type splitter interface {
	split(s string, text func(string), token func(int))
}

// literalMatcher cuts special tokens out of a text except inside the
// literal ranges, where only the user-defined ones are cut, as in a text
// encoded without Special: EncodeOptions.Literal.
type literalMatcher struct {
	special, plain *addedMatcher // plain may be nil (no user-defined tokens)
	literal        [][2]int
}

func (l *literalMatcher) split(s string, text func(string), token func(int)) {
	start, r := 0, 0 // r: the first literal range that does not end before i
	for i := 0; i < len(s); i++ {
		for r < len(l.literal) && l.literal[r][1] <= i {
			r++
		}
		inside := r < len(l.literal) && l.literal[r][0] <= i
		m := l.special
		if inside {
			m = l.plain
		}
		if m == nil || !m.first[s[i]] {
			continue
		}
		id, n := m.at(s, i)
		if id >= 0 && !inside && r < len(l.literal) && l.literal[r][0] < i+n && l.plain != nil {
			// A special token would reach into a literal range: only a
			// user-defined one may start here.
			id, n = l.plain.at(s, i)
			if i+n > l.literal[r][0] {
				id = -1
			}
		} else if id >= 0 && !inside && r < len(l.literal) && l.literal[r][0] < i+n {
			id = -1
		}
		if id < 0 {
			continue
		}
		if start < i {
			text(s[start:i])
		}
		token(id)
		i += n - 1
		start = i + 1
	}
	if start < len(s) {
		text(s[start:])
	}
}
