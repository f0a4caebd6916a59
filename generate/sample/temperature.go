package sample

// Temperature divides every logit by T (HF TemperatureLogitsWarper, llama.cpp
// temp). T < 1 sharpens the distribution, T > 1 flattens it, T = 1 is the
// identity. T ≤ 0 keeps only the arg-max (lowest id on ties), as llama.cpp,
// vLLM and ollama treat temperature 0: greedy. Hugging Face instead rejects
// T = 0 and asks for do_sample=false, which gives the same tokens.
type Temperature struct{ T float32 }

func (t Temperature) String() string { return "temperature(" + ff(t.T) + ")" }

func (t Temperature) Process(_ *History, c *Candidates) {
	switch {
	case t.T == 1:
		return
	case t.T <= 0:
		best := Greedy(c)
		c.Filter(func(i int) bool { return c.IDs[i] == best })
		return
	}
	// Dividing by a positive number keeps the order, so Sorted stays.
	for i := range c.Logits {
		c.Logits[i] /= t.T
	}
}
