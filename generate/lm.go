package generate

import (
	"github.com/degen-llm/degen/kernels"
	"github.com/degen-llm/degen/model"
)

// LM is the language model the strategies drive: a source of sequence
// states. It is an interface so that beam and contrastive search can be
// checked on small hand-built models whose best sequences can be worked out
// on paper.
type LM interface {
	// NewSeq allocates one sequence state (a KV cache).
	NewSeq() (Seq, error)
	// Context is the number of positions a Seq holds.
	Context() int
	// VocabSize is the length of the logits.
	VocabSize() int
}

// Seq is one sequence's state. Forward feeds token at position pos
// (positions in order from 0, or from n after CopyFrom(_, n)) and returns
// the next-token logits, valid until the next call. Hidden is the final
// hidden state of the last Forward (contrastive search compares them).
// CopyFrom makes this Seq a copy of src's first n positions, including src's
// current logits and hidden state: that is how beams and contrastive
// candidates fork a sequence.
type Seq interface {
	Forward(token, pos int) []float32
	Logits() []float32
	Hidden() []float32
	CopyFrom(src Seq, n int)
}

// modelLM runs a model.Model: one model.State per Seq.
type modelLM struct {
	m    *model.Model
	pool *kernels.Pool
	opt  model.StateOptions
	ctx  int

	batch    *model.Batch // shared activations of ForwardBatch
	batchCap int
	states   []*model.State // ForwardBatch's argument, reused
}

func (l *modelLM) NewSeq() (Seq, error) {
	st, err := l.m.NewState(l.pool, l.opt)
	if err != nil {
		return nil, err
	}
	return modelSeq{st}, nil
}

func (l *modelLM) Context() int   { return l.ctx }
func (l *modelLM) VocabSize() int { return l.m.Config.VocabSize }

// ForwardBatch advances every sequence one token in one pass over the
// weights (model.Batch), growing the batch buffers when seqs is the largest
// batch yet. forwardAll sends single sequences to Forward instead.
func (l *modelLM) ForwardBatch(seqs []Seq, tokens, pos []int) {
	n := len(seqs)
	if l.batch == nil || l.batchCap < n {
		l.batch, l.batchCap = l.m.NewBatch(l.pool, n), n
	}
	l.states = l.states[:0]
	for _, q := range seqs {
		l.states = append(l.states, q.(modelSeq).s)
	}
	l.batch.Forward(l.states, tokens, pos)
	clear(l.states) // keep no states alive through the scratch slice
}

type modelSeq struct{ s *model.State }

func (q modelSeq) Forward(token, pos int) []float32 { return q.s.Forward(token, pos) }

// Prefill feeds the prompt as one batch (see model.State.Prefill).
func (q modelSeq) Prefill(tokens []int, pos0 int, hidden []float32) []float32 {
	return q.s.Prefill(tokens, pos0, hidden)
}
func (q modelSeq) Logits() []float32       { return q.s.Logits }
func (q modelSeq) Hidden() []float32       { return q.s.Hidden }
func (q modelSeq) CopyFrom(src Seq, n int) { q.s.CopyFrom(src.(modelSeq).s, n) }

// prefiller is a Seq that can feed a whole prompt at once: one matrix-matrix
// product per weight instead of one matrix-vector product per token.
// hidden, if not nil, receives every position's final hidden state.
type prefiller interface {
	Prefill(tokens []int, pos0 int, hidden []float32) []float32
}

// batcher is an LM that can advance several of its sequences together, one
// token each: seqs[i] is fed tokens[i] at pos[i], and each is left as its
// own Forward would leave it (same logits and hidden state, bit for bit).
// Reading each weight once for the whole batch makes n sequences cost
// little more than one on a memory-bound model.
type batcher interface {
	ForwardBatch(seqs []Seq, tokens, pos []int)
}

// forwardAll feeds tokens[i] at pos[i] to seqs[i] for every i: in one batch
// when the LM can, else one sequence after the other.
func forwardAll(lm LM, seqs []Seq, tokens, pos []int) {
	if b, ok := lm.(batcher); ok && len(seqs) > 1 {
		b.ForwardBatch(seqs, tokens, pos)
		return
	}
	for i, q := range seqs {
		q.Forward(tokens[i], pos[i])
	}
}

// feedPrompt feeds prompt from position 0, as a batch when seq can, and
// returns the final hidden state of every position in hidden when asked
// (contrastive search), as (len(prompt), dim) rows.
func feedPrompt(seq Seq, prompt []int, wantHidden bool, hidden []float32) []float32 {
	if p, ok := seq.(prefiller); ok {
		var h []float32
		if wantHidden {
			dim := len(seq.Hidden())
			h = growFloats(hidden, len(prompt)*dim)
		}
		p.Prefill(prompt, 0, h)
		return h
	}
	hidden = hidden[:0]
	for pos, id := range prompt {
		seq.Forward(id, pos)
		if wantHidden {
			hidden = append(hidden, seq.Hidden()...)
		}
	}
	return hidden
}

func growFloats(b []float32, n int) []float32 {
	if cap(b) < n {
		return make([]float32, n)
	}
	return b[:n]
}
