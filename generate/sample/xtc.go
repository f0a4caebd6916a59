package sample

// XTC, "exclude top choices" (llama.cpp xtc, by p-e-w): with probability
// Probability per step, of the candidates whose probability is at least
// Threshold all but the least probable are removed, pushing the model off
// its most predictable continuations while keeping a viable one. Nothing
// happens when Probability ≤ 0, Threshold > 0.5 (at most one candidate can
// reach it), fewer than two candidates are left, fewer than two reach the
// threshold, or the removal would leave fewer than MinKeep.
//
// The coin comes from h.State (llama.cpp gives XTC its own RNG), drawn only
// when the enabled checks pass, as llama.cpp does; with a nil State XTC never
// fires.
type XTC struct {
	Probability float32
	Threshold   float32
	MinKeep     int
}

func (x XTC) String() string { return "xtc(" + ff(x.Probability) + "," + ff(x.Threshold) + ")" }

func (x XTC) Process(h *History, c *Candidates) {
	if x.Probability <= 0 || x.Threshold > 0.5 || c.Len() < 2 || h == nil {
		return
	}
	coin, ok := h.State.coin()
	if !ok || coin > x.Probability || !c.Softmax() {
		return
	}
	above := c.prefixWhile(func(i int) bool { return c.Probs[i] >= x.Threshold })
	last := max(above-1, 0) // the least probable candidate above the threshold
	if last > 0 && c.Len()-last >= keepAtLeast(x.MinKeep) {
		wasSorted := c.Sorted
		c.dropFront(last)
		c.Sorted = wasSorted
	}
}
