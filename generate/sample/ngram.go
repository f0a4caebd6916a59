package sample

import (
	"slices"
	"strconv"
)

// NoRepeatNGram bans every token that would complete an n-gram already
// present in the context (HF NoRepeatNGramLogitsProcessor, fairseq's beam
// blocking): with t context tokens, prompt included, and the last N−1 of
// them as prefix, each earlier n-gram starting with that prefix sets the
// logit of its last token to −∞. N = 1 bans every token seen; N ≤ 0 is off.
type NoRepeatNGram struct{ N int }

func (p NoRepeatNGram) String() string { return "no_repeat_ngram_size(" + strconv.Itoa(p.N) + ")" }

func (p NoRepeatNGram) Process(h *History, c *Candidates) {
	toks := h.tokens()
	n, t := p.N, len(toks)
	if n <= 0 || t+1 < n {
		return
	}
	prefix := toks[t-n+1:]
	banned := c.scratchInts(0)
	for s := 0; s+n <= t; s++ {
		if slices.Equal(toks[s:s+n-1], prefix) {
			banned = append(banned, toks[s+n-1])
		}
	}
	c.ints = banned
	ban(c, banned)
}

// ban sets the logits of the candidates with the given ids to −∞.
func ban(c *Candidates, ids []int32) {
	if len(ids) == 0 {
		return
	}
	c.adjustTallied(ids, func(i int, _ int32) { c.Logits[i] = negInf })
}
