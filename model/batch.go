package model

import (
	"fmt"

	"github.com/degen-llm/degen/kernels"
)

// Batch advances several sequences together, one token each per step: the
// beams of beam search, the candidates of contrastive search, the samples
// of one prompt or independent records. Every projection is one
// matrix-matrix product over the batch, so each weight row is read from
// memory once per step for all sequences: for a memory-bound model, n
// sequences cost little more than one.
//
// The sequences keep their own States (KV caches, positions); Batch holds
// the shared activation buffers. All States must belong to the model and
// pool the Batch was made with.
type Batch struct {
	m    *Model
	pool *kernels.Pool
	cap  int

	step   stepBufs
	hidden []float32 // (n, dim)
	logits []float32 // (n, vocab)
}

// NewBatch allocates buffers for up to n sequences.
func (m *Model) NewBatch(pool *kernels.Pool, n int) *Batch {
	c := m.Config
	b := &Batch{m: m, pool: pool, cap: n,
		hidden: make([]float32, n*c.Dim), logits: make([]float32, n*c.VocabSize),
	}
	b.step.grow(&c, n, 0)
	return b
}

// Forward feeds tokens[i] at position pos[i] to states[i] for every i and
// leaves each state's Logits and Hidden as State.Forward would. It
// allocates nothing once its attention scores have room for the largest
// context among the states.
func (b *Batch) Forward(states []*State, tokens, pos []int) {
	n := len(states)
	if n == 0 || n > b.cap || len(tokens) != n || len(pos) != n {
		panic(fmt.Sprintf("model: Batch.Forward of %d states (capacity %d), %d tokens, %d positions", n, b.cap, len(tokens), len(pos)))
	}
	m := b.m
	c := &m.Config
	st := &b.step
	stride := 0
	for i, s := range states {
		if s.m != m {
			panic("model: Batch.Forward with a state of another model")
		}
		if pos[i] < 0 || pos[i] >= s.ctx {
			panic(fmt.Sprintf("model: position %d out of range [0,%d)", pos[i], s.ctx))
		}
		if tokens[i] < 0 || tokens[i] >= c.VocabSize {
			panic(fmt.Sprintf("model: token %d out of range [0,%d)", tokens[i], c.VocabSize))
		}
		stride = max(stride, s.ctx)
	}
	// Scores are laid out by the largest context, so that steps at growing
	// positions never reallocate.
	st.grow(c, n, b.cap*c.NHeads*stride)
	st.stride = stride
	st.states, st.pos = append(st.states[:0], states...), append(st.pos[:0], pos...)
	for i, s := range states {
		st.load(m, i, tokens[i], s, pos[i])
	}
	st.blocks(m, b.pool, n)
	d := c.Dim
	hidden := b.hidden[:n*d]
	for i := 0; i < n; i++ {
		kernels.RMSNorm(hidden[i*d:(i+1)*d], st.x[i*d:(i+1)*d], m.Weights.FinalNorm, c.NormEps)
	}
	logits := b.logits[:n*c.VocabSize]
	st.matMul(b.pool, logits, &m.Weights.Output, hidden, n)
	softcap(logits, c.LogitSoftcap)
	for i, s := range states {
		copy(s.Hidden, hidden[i*d:(i+1)*d])
		copy(s.Logits, logits[i*c.VocabSize:(i+1)*c.VocabSize])
	}
}
