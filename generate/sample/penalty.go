package sample

// RepetitionPenalty is the CTRL-style multiplicative penalty (Keskar et al.
// 2019) with Hugging Face's sign rule (RepetitionPenaltyLogitsProcessor):
// for every distinct id in the scope's window, once however often it occurs,
// z ← z/θ if z > 0, else z ← z·θ. θ > 1 discourages repeats, 0 < θ < 1
// encourages them, θ = 1 is the identity. llama.cpp multiplies at z = 0
// where HF divides; 0 stays 0 either way.
type RepetitionPenalty struct {
	Penalty float32
	Scope   Scope
}

func (p RepetitionPenalty) String() string {
	return "repetition_penalty(" + ff(p.Penalty) + p.Scope.suffix() + ")"
}

func (p RepetitionPenalty) Process(h *History, c *Candidates) {
	if p.Penalty == 1 {
		return
	}
	c.adjustTallied(p.Scope.Window(h), func(i int, _ int32) {
		if z := c.Logits[i]; z > 0 {
			c.Logits[i] = z / p.Penalty
		} else {
			c.Logits[i] = z * p.Penalty
		}
	})
}

// FrequencyPenalty subtracts Penalty times the number of occurrences of each
// id in the scope's window (OpenAI's frequency_penalty, llama.cpp
// penalty_freq): z ← z − count·α. Negative values encourage repetition.
type FrequencyPenalty struct {
	Penalty float32
	Scope   Scope
}

func (p FrequencyPenalty) String() string {
	return "frequency_penalty(" + ff(p.Penalty) + p.Scope.suffix() + ")"
}

func (p FrequencyPenalty) Process(h *History, c *Candidates) {
	if p.Penalty == 0 {
		return
	}
	c.adjustTallied(p.Scope.Window(h), func(i int, n int32) { c.Logits[i] -= float32(n) * p.Penalty })
}

// PresencePenalty subtracts Penalty once from each id present in the
// scope's window (OpenAI's presence_penalty, llama.cpp penalty_present).
// Applied after FrequencyPenalty it gives OpenAI's
// z − count·α_freq − [count > 0]·α_pres.
type PresencePenalty struct {
	Penalty float32
	Scope   Scope
}

func (p PresencePenalty) String() string {
	return "presence_penalty(" + ff(p.Penalty) + p.Scope.suffix() + ")"
}

func (p PresencePenalty) Process(h *History, c *Candidates) {
	if p.Penalty == 0 {
		return
	}
	c.adjustTallied(p.Scope.Window(h), func(i int, _ int32) { c.Logits[i] -= p.Penalty })
}
