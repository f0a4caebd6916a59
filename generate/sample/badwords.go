package sample

import (
	"slices"
	"strconv"
)

// BadWords bans token sequences (HF NoBadWordsLogitsProcessor, vLLM
// bad_words): a one-token sequence is always banned; for a longer one, its
// last token is banned whenever the context ends with the other tokens.
// Hugging Face drops one-token sequences equal to an EOS id (so generation
// can always end); NewBadWords does too. A sequence whose prefix is longer
// than the context is skipped (current HF; older releases also skipped one
// whose prefix was exactly the context length).
type BadWords struct {
	single []int32   // always banned
	multi  [][]int32 // banned last token when the prefix matches
}

// NewBadWords builds the processor from token-id sequences, dropping empty
// sequences and one-token sequences equal to an id of eos.
func NewBadWords(seqs [][]int32, eos []int32) BadWords {
	var b BadWords
	for _, s := range seqs {
		switch {
		case len(s) == 0:
		case len(s) == 1:
			if !slices.Contains(eos, s[0]) && !slices.Contains(b.single, s[0]) {
				b.single = append(b.single, s[0])
			}
		default:
			b.multi = append(b.multi, slices.Clone(s))
		}
	}
	return b
}

func (b BadWords) String() string {
	return "bad_words(" + strconv.Itoa(len(b.single)+len(b.multi)) + ")"
}

func (b BadWords) Process(h *History, c *Candidates) {
	toks := h.tokens()
	banned := append(c.scratchInts(0), b.single...)
	for _, s := range b.multi {
		pre := s[:len(s)-1]
		if len(pre) <= len(toks) && slices.Equal(toks[len(toks)-len(pre):], pre) {
			banned = append(banned, s[len(s)-1])
		}
	}
	c.ints = banned
	ban(c, banned)
}
