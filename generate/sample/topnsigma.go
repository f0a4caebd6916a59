package sample

import "math"

// TopNSigma keeps the candidates whose logit is within N standard
// deviations of the maximum (Tang et al. 2024, llama.cpp top-n-sigma): with
// μ and σ the mean and population standard deviation of the finite logits,
// keep z_i ≥ max − N·σ. The kept set does not change with temperature, which
// scales max and σ alike. N ≤ 0 keeps all.
type TopNSigma struct{ N float32 }

func (t TopNSigma) String() string { return "top_n_sigma(" + ff(t.N) + ")" }

func (t TopNSigma) Process(_ *History, c *Candidates) {
	if t.N <= 0 || c.Len() <= 1 {
		return
	}
	mx := math.Inf(-1)
	var sum float64
	cnt := 0
	for _, l := range c.Logits {
		if math.IsInf(float64(l), -1) {
			continue
		}
		mx = max(mx, float64(l))
		sum += float64(l)
		cnt++
	}
	if cnt == 0 {
		return
	}
	mean := sum / float64(cnt)
	var acc float64
	for _, l := range c.Logits {
		if !math.IsInf(float64(l), -1) {
			d := float64(l) - mean
			acc += d * d
		}
	}
	thr := float32(mx - float64(t.N)*math.Sqrt(acc/float64(cnt)))
	c.Filter(func(i int) bool { return c.Logits[i] >= thr })
}
