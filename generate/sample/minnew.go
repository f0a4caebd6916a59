package sample

import "strconv"

// MinNewTokens sets the end-of-generation ids to −∞ while fewer than N
// tokens have been generated (HF MinNewTokensLengthLogitsProcessor; the
// prompt does not count).
type MinNewTokens struct {
	N   int
	EOS []int32
}

func (p MinNewTokens) String() string { return "min_new_tokens(" + strconv.Itoa(p.N) + ")" }

func (p MinNewTokens) Process(h *History, c *Candidates) {
	if h.Generated() >= p.N {
		return
	}
	ban(c, p.EOS)
}
