package sample

import (
	"errors"
	"math"
	"slices"
)

// ErrNoDistribution is returned by [Check] when the processed logits define
// no distribution: no candidate left, all −∞, or a NaN (a broken model).
var ErrNoDistribution = errors.New("sample: logits define no distribution (all -inf or NaN), check the model output and the bans")

// Check reports ErrNoDistribution when Greedy or Sample would return −1.
func Check(c *Candidates) error {
	mx := float32(math.Inf(-1))
	for _, l := range c.Logits {
		if l != l {
			return ErrNoDistribution
		}
		mx = max(mx, l)
	}
	if math.IsInf(float64(mx), 0) {
		return ErrNoDistribution
	}
	return nil
}

// Greedy returns the id with the highest processed logit; ties go to the
// lowest id, like torch.argmax over a vocabulary in id order. NaN logits are
// skipped; −1 means there is no candidate (or only NaNs).
func Greedy(c *Candidates) int32 {
	best := int32(-1)
	var bl float32
	for i, l := range c.Logits {
		if l != l {
			continue
		}
		id := c.IDs[i]
		if best < 0 || l > bl || (l == bl && id < best) {
			best, bl = id, l
		}
	}
	return best
}

// Sample draws an id from the softmax of the processed logits with the coin
// (uniform in [0,1), drawn by the caller, as llama2.c's sample_mult does):
// it walks the candidates in their current order and returns the first whose
// cumulative probability exceeds coin. It leaves the distribution in Probs.
// It returns −1 when there is no distribution ([Check] says why).
func Sample(c *Candidates, coin float32) int32 {
	if !c.Softmax() {
		return -1
	}
	target := float64(coin)
	var cum float64
	last := -1
	for i, p := range c.Probs {
		if p <= 0 {
			continue
		}
		cum += float64(p)
		last = i
		if target < cum {
			return c.IDs[i]
		}
	}
	// Rounding left cum just below coin: the last token with mass wins.
	if last < 0 {
		return -1
	}
	return c.IDs[last]
}

// TokenLogProb is one token with its log-probability.
type TokenLogProb struct {
	ID      int32   `json:"id"`
	LogProb float32 `json:"logprob"`
}

// LogProbs returns the log-probability of chosen under the log-softmax of
// the processed logits (−∞ if it is not a candidate any more), and the n
// most probable candidates, best first (ties by lower id), appended to
// dst[:0]. It does not reorder c.
func LogProbs(c *Candidates, chosen int32, n int, dst []TokenLogProb) (float32, []TokenLogProb) {
	dst = dst[:0]
	mx := float32(math.Inf(-1))
	for _, l := range c.Logits {
		mx = max(mx, l)
	}
	if math.IsInf(float64(mx), 0) || mx != mx {
		return float32(math.Inf(-1)), dst
	}
	var sum float64
	for _, l := range c.Logits {
		sum += math.Exp(float64(l - mx))
	}
	lse := float64(mx) + math.Log(sum)
	lp := float32(math.Inf(-1))
	for i, id := range c.IDs {
		if id == chosen {
			lp = float32(float64(c.Logits[i]) - lse)
			break
		}
	}
	if n <= 0 {
		return lp, dst
	}
	// Top n by a size-n heap, without touching c's order.
	h := c.topHeap(min(n, c.Len()))
	slices.SortFunc(h, rank)
	for _, e := range h {
		dst = append(dst, TokenLogProb{e.id, float32(float64(e.logit) - lse)})
	}
	return lp, dst
}
