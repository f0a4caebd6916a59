package sample

import (
	"strconv"
	"strings"
)

// Processor reshapes the candidates of one step: it changes logits or
// removes candidates. Processors are stateless values; what they need of the
// past comes from h, so one processor (and one Chain) may be shared by every
// sequence and goroutine. String names the processor and its parameters with
// the Config key, e.g. "top_k(40)".
type Processor interface {
	Process(h *History, c *Candidates)
	String() string
}

// Observer is implemented by the processors that keep per-sequence state in
// h.State (mirostat): after the strategy picks a token from c, Chain.Observe
// lets them update that state.
type Observer interface {
	Observe(h *History, c *Candidates, chosen int32)
}

// Chain is an ordered list of processors, applied first to last.
type Chain []Processor

// Process runs every processor of the chain on c.
func (ch Chain) Process(h *History, c *Candidates) {
	for _, p := range ch {
		p.Process(h, c)
	}
}

// Observe tells the stateful processors which token was chosen from c (the
// candidates as Process left them), so they can update h.State.
func (ch Chain) Observe(h *History, c *Candidates, chosen int32) {
	for _, p := range ch {
		if o, ok := p.(Observer); ok {
			o.Observe(h, c, chosen)
		}
	}
}

// String lists the processors in order, e.g.
// "repetition_penalty(1.3) > top_k(40) > temperature(0.8)"; an empty chain
// gives "".
func (ch Chain) String() string {
	var b strings.Builder
	for i, p := range ch {
		if i > 0 {
			b.WriteString(" > ")
		}
		b.WriteString(p.String())
	}
	return b.String()
}

// ff formats a float32 parameter in its shortest round-tripping form.
func ff(x float32) string { return strconv.FormatFloat(float64(x), 'g', -1, 32) }

// keepAtLeast is the effective min_tokens_to_keep: never below 1.
func keepAtLeast(n int) int { return max(n, 1) }

// Select draws a token with the coin from candidates that Process has
// shaped, then lets the stateful processors observe it: the sampling step of
// a chain with mirostat. It returns −1 when there is no distribution.
func (ch Chain) Select(h *History, c *Candidates, coin float32) int32 {
	id := Sample(c, coin)
	if id >= 0 {
		ch.Observe(h, c, id)
	}
	return id
}
