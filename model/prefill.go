package model

import (
	"fmt"
	"math"

	"github.com/degen-llm/degen/kernels"
)

// maxStepScores bounds the attention scores one prefill chunk holds (16M
// floats, 64 MB), and maxStepRows its rows: a long prompt with a long
// context is run in chunks, which gives the same numbers (see stepBufs).
const (
	maxStepScores = 1 << 24
	maxStepRows   = 256
)

// Prefill runs tokens at positions pos0, pos0+1, ... through the model as
// one batch: every projection is a matrix-matrix product that reads each
// weight once for all tokens, and attention is causal within the batch. It
// fills the KV cache exactly as len(tokens) calls of Forward would, and
// returns the logits of the last token (Hidden is its final hidden state).
// If hidden is not nil it receives the final hidden state of every token,
// (len(tokens), dim), for contrastive search.
func (s *State) Prefill(tokens []int, pos0 int, hidden []float32) []float32 {
	m := s.m
	c := &m.Config
	n := len(tokens)
	if n == 0 {
		panic("model: Prefill of no tokens")
	}
	if pos0 < 0 || pos0+n > s.ctx {
		panic(fmt.Sprintf("model: positions %d..%d out of range [0,%d)", pos0, pos0+n-1, s.ctx))
	}
	if hidden != nil && len(hidden) != n*c.Dim {
		panic("model: Prefill hidden has the wrong size")
	}
	for _, tok := range tokens {
		if tok < 0 || tok >= c.VocabSize {
			panic(fmt.Sprintf("model: token %d out of range [0,%d)", tok, c.VocabSize))
		}
	}
	b := &s.step
	d := c.Dim
	for done := 0; done < n; {
		// The chunk's rows attend to at most end positions each.
		rows := min(n-done, maxStepRows)
		for rows > 1 && rows*c.NHeads*(pos0+done+rows) > max(maxStepScores, c.NHeads*s.ctx) {
			rows /= 2
		}
		end := pos0 + done + rows
		b.grow(c, rows, rows*c.NHeads*end)
		b.stride = end
		b.states, b.pos = b.states[:0], b.pos[:0]
		for i := 0; i < rows; i++ {
			p := pos0 + done + i
			b.states = append(b.states, s)
			b.pos = append(b.pos, p)
			b.load(m, i, tokens[done+i], s, p)
		}
		b.blocks(m, s.pool, rows)
		if hidden != nil {
			for i := 0; i < rows; i++ {
				t := done + i
				kernels.RMSNorm(hidden[t*d:(t+1)*d], b.x[i*d:(i+1)*d], m.Weights.FinalNorm, c.NormEps)
			}
		}
		done += rows
		if done == n {
			kernels.RMSNorm(s.Hidden, b.x[(rows-1)*d:rows*d], m.Weights.FinalNorm, c.NormEps)
		}
	}
	s.matVec(s.Logits, &m.Weights.Output, s.Hidden)
	softcap(s.Logits, c.LogitSoftcap)
	return s.Logits
}

// softcap squashes logits to cap·tanh(logit/cap) when cap > 0.
func softcap(logits []float32, cap float32) {
	if cap <= 0 {
		return
	}
	for i, v := range logits {
		logits[i] = cap * float32(math.Tanh(float64(v/cap)))
	}
}
