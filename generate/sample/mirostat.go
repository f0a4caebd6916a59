package sample

import (
	"math"
	"strconv"
)

// MirostatV2 is mirostat 2.0 (Basu et al. 2021, llama.cpp mirostat-v2): it
// steers the surprise −log₂ p of the chosen tokens towards Tau. Each step it
// removes the candidates whose surprise exceeds μ (keeping at least the
// best) and renormalises; after the choice, Observe updates
// μ ← μ − Eta·(−log₂ p(chosen) − Tau), with p after renormalisation. μ lives
// in h.State and starts at 2·Tau. Mirostat replaces the truncation samplers:
// it should be the last processor, after temperature.
type MirostatV2 struct {
	Tau, Eta float32
}

func (m MirostatV2) String() string { return "mirostat_v2(" + ff(m.Tau) + "," + ff(m.Eta) + ")" }

func (m MirostatV2) Process(h *History, c *Candidates) {
	if c.Len() == 0 || !c.Softmax() {
		return
	}
	mu := muOf(h, m.Tau)
	keep := c.prefixWhile(func(i int) bool { return -log2(c.Probs[i]) <= mu })
	c.Truncate(max(keep, 1))
	c.Sorted = true
	c.Softmax()
}

func (m MirostatV2) Observe(h *History, c *Candidates, chosen int32) {
	observeSurprise(h, c, chosen, m.Tau, m.Eta)
}

// Mirostat is mirostat 1.0 (llama.cpp mirostat): from the M most probable
// candidates it estimates the Zipf exponent ŝ = Σ tᵢbᵢ / Σ tᵢ², with
// tᵢ = ln((i+2)/(i+1)) and bᵢ = ln(pᵢ/pᵢ₊₁), then keeps the top
// k = ((ε̂·2^μ)/(1 − N^(−ε̂)))^(1/ŝ) candidates, ε̂ = ŝ − 1, N the vocabulary
// size, and renormalises. μ is updated as in [MirostatV2].
type Mirostat struct {
	Tau, Eta float32
	M        int // candidates used for the estimate; llama.cpp uses 100
	N        int // vocabulary size
}

func (m Mirostat) String() string {
	return "mirostat(" + ff(m.Tau) + "," + ff(m.Eta) + "," + strconv.Itoa(m.M) + ")"
}

func (m Mirostat) Process(h *History, c *Candidates) {
	n := c.Len()
	if n == 0 || !c.Softmax() {
		return
	}
	mu := muOf(h, m.Tau)
	c.sortTop(min(max(m.M, 2), n))
	var sumTB, sumTT float64
	for i := 0; i < m.M-1 && i < n-1; i++ {
		t := math.Log(float64(i+2) / float64(i+1))
		b := math.Log(float64(c.Probs[i]) / float64(c.Probs[i+1]))
		sumTB += t * b
		sumTT += t * t
	}
	sHat := sumTB / sumTT
	epsHat := sHat - 1
	k := math.Pow(epsHat*math.Exp2(float64(mu))/(1-math.Pow(float64(m.N), -epsHat)), 1/sHat)
	kk := n
	if !math.IsNaN(k) && k < float64(n) {
		kk = max(int(k), 1)
	}
	c.sortTop(kk)
	c.Truncate(kk)
	c.Sorted = true
	c.Softmax()
}

func (m Mirostat) Observe(h *History, c *Candidates, chosen int32) {
	observeSurprise(h, c, chosen, m.Tau, m.Eta)
}

func muOf(h *History, tau float32) float32 {
	if h != nil && h.State != nil && h.State.muSet {
		return h.State.mu
	}
	return 2 * tau
}

func observeSurprise(h *History, c *Candidates, chosen int32, tau, eta float32) {
	if h == nil || h.State == nil || !c.Softmax() {
		return
	}
	for i, id := range c.IDs {
		if id == chosen {
			mu := muOf(h, tau)
			h.State.SetMu(mu - eta*(-log2(c.Probs[i])-tau))
			return
		}
	}
}

func log2(p float32) float32 { return float32(math.Log2(float64(p))) }
