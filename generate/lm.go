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

type modelSeq struct{ s *model.State }

func (q modelSeq) Forward(token, pos int) []float32 { return q.s.Forward(token, pos) }
func (q modelSeq) Logits() []float32                { return q.s.Logits }
func (q modelSeq) Hidden() []float32                { return q.s.Hidden }
func (q modelSeq) CopyFrom(src Seq, n int)          { q.s.CopyFrom(src.(modelSeq).s, n) }
