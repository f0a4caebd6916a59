package sample

import "math"

// EpsilonCutoff removes candidates whose probability is below Epsilon
// (Hewitt et al. 2022, "truncation sampling as language model desmoothing";
// HF EpsilonLogitsWarper), except the MinKeep highest logits (ties with the
// MinKeep-th kept). Epsilon ≤ 0 keeps all.
type EpsilonCutoff struct {
	Epsilon float32
	MinKeep int
}

func (t EpsilonCutoff) String() string { return "epsilon_cutoff(" + ff(t.Epsilon) + ")" }

func (t EpsilonCutoff) Process(_ *History, c *Candidates) {
	if t.Epsilon <= 0 || c.Len() <= 1 || !c.Softmax() {
		return
	}
	cutoff(c, t.Epsilon, t.MinKeep)
}

// EtaCutoff is the entropy-dependent variant (HF EtaLogitsWarper): with H
// the entropy of the softmax in nats, the threshold is
// η = min(ε, √ε·exp(−H)). Epsilon ≤ 0 keeps all.
type EtaCutoff struct {
	Epsilon float32
	MinKeep int
}

func (t EtaCutoff) String() string { return "eta_cutoff(" + ff(t.Epsilon) + ")" }

func (t EtaCutoff) Process(_ *History, c *Candidates) {
	if t.Epsilon <= 0 || c.Len() <= 1 || !c.Softmax() {
		return
	}
	eps := float64(t.Epsilon)
	eta := min(eps, math.Sqrt(eps)*math.Exp(-entropy(c)))
	cutoff(c, float32(eta), t.MinKeep)
}

// cutoff keeps candidates with p ≥ thr or a logit at least the minKeep-th
// largest. c.Probs must be current.
func cutoff(c *Candidates, thr float32, minKeep int) {
	kth := c.kthLogit(keepAtLeast(minKeep))
	c.Filter(func(i int) bool { return c.Probs[i] >= thr || c.Logits[i] >= kth })
}
