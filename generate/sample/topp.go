package sample

// TopP is nucleus sampling (HF TopPLogitsWarper, llama.cpp top-p): walking
// the candidates from the most probable, a candidate is kept iff the
// probability mass strictly before it is below P, so the one that crosses P
// is kept. P ≥ 1 keeps all; P = 0 keeps only the best. At least MinKeep are
// kept. Ties at the cut are ordered by lower id (HF's torch.sort leaves them
// arbitrary).
type TopP struct {
	P       float32
	MinKeep int
}

func (t TopP) String() string { return "top_p(" + ff(t.P) + ")" }

func (t TopP) Process(_ *History, c *Candidates) {
	if t.P >= 1 || c.Len() <= 1 {
		return
	}
	if !c.Softmax() {
		return
	}
	minKeep := keepAtLeast(t.MinKeep)
	p := float64(t.P)
	n := c.Len()
	if c.Sorted || n <= 256 {
		var before float64
		cut := c.prefixWhile(func(i int) bool {
			if i >= minKeep && before >= p {
				return false
			}
			before += float64(c.Probs[i])
			return true
		})
		c.Truncate(cut)
		c.Sorted = true
		return
	}
	// Unsorted and large: select the nucleus without sorting it. Kept are
	// the K best, K the smallest count whose mass reaches P.
	keys := c.wkeys(n)
	for i, l := range c.Logits {
		keys[i] = wkey{k: -float64(l), w: float64(c.Probs[i]), id: c.IDs[i], i: int32(i)}
	}
	k := massCut(keys, p)
	if k < minKeep {
		c.keepTop(minKeep)
		return
	}
	keep := c.scratchInts(n)
	clear(keep)
	for _, kk := range keys[:k] {
		keep[kk.i] = 1
	}
	c.Filter(func(i int) bool { return keep[i] == 1 })
}
