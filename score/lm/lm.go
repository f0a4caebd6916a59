// Package lm computes the model metrics of degen score by teacher forcing:
// the text's tokens are fed through the model and, at every position, the
// gold next token is compared with the model's distribution, giving
// perplexity, next-token accuracy and Welleck et al.'s rep/wrep (see
// score.NextToken). Texts longer than the context are scored with the
// strided sliding window of score.SlidingWindows, each token scored once.
package lm

import (
	"errors"
	"fmt"
	"math"

	"github.com/degen-llm/degen/kernels"
	"github.com/degen-llm/degen/model"
	"github.com/degen-llm/degen/score"
)

// Scorer scores token sequences with one model. It owns a KV cache, so it
// is not safe for concurrent use.
type Scorer struct {
	st      *model.State
	ctx     int
	stride  int
	windows []int

	targets []int32
	preds   []int32
	nlls    []float64
}

// New prepares a scorer. ctx is the window length (0: the model's context),
// stride the step between windows (0: half the window, as the HF guide
// suggests), windows the l of rep/wrep.
func New(m *model.Model, pool *kernels.Pool, ctx, stride int, windows []int) (*Scorer, error) {
	st, err := m.NewState(pool, model.StateOptions{Context: ctx})
	if err != nil {
		return nil, err
	}
	ctx = st.Context()
	if stride <= 0 {
		stride = max(ctx/2, 1)
	}
	if stride > ctx {
		return nil, fmt.Errorf("stride %d is longer than the context %d: tokens between windows would never be scored", stride, ctx)
	}
	return &Scorer{st: st, ctx: ctx, stride: stride, windows: windows}, nil
}

// Score feeds ids (BOS and any prompt first) and scores the tokens
// ids[from:] (from ≥ 1: the first token has no context), each predicted
// from the tokens before it within its window. It returns a fresh
// accumulator holding those positions, ready to be merged into a corpus.
func (s *Scorer) Score(ids []int, from int) (*score.NextToken, error) {
	acc, err := score.NewNextToken(s.windows...)
	if err != nil {
		return nil, err
	}
	if from < 1 {
		from = 1
	}
	if from >= len(ids) {
		return acc, nil
	}
	vocab := s.st.Model().Config.VocabSize
	for _, id := range ids {
		if id < 0 || id >= vocab {
			return nil, fmt.Errorf("token id %d is outside the model's vocabulary of %d", id, vocab)
		}
	}
	s.targets, s.preds, s.nlls = s.targets[:0], s.preds[:0], s.nlls[:0]
	plan, err := score.SlidingWindows(len(ids), s.ctx, s.stride)
	if err != nil {
		return nil, err
	}
	for _, w := range plan {
		firstScored := w.End - w.Scored // token index of the first target scored here
		for i := w.Begin; i < w.End-1; i++ {
			logits := s.st.Forward(ids[i], i-w.Begin)
			t := i + 1 // the token these logits predict
			if t < firstScored || t < from {
				continue
			}
			pred, nll := judge(logits, ids[t])
			s.targets = append(s.targets, int32(ids[t]))
			s.preds = append(s.preds, pred)
			s.nlls = append(s.nlls, nll)
		}
	}
	if len(s.targets) != len(ids)-from {
		return nil, errors.New("lm: sliding windows did not score every token once")
	}
	return acc, acc.AddSequence(s.targets, s.preds, s.nlls)
}

// judge returns the prediction and −ln p(gold). The prediction is the
// argmax, except that a gold token tied with the maximum counts as
// predicted (Welleck et al.'s hits@1: no logit strictly above the gold).
func judge(logits []float32, gold int) (int32, float64) {
	best := 0
	mx := logits[0]
	for i, v := range logits {
		if v > mx {
			best, mx = i, v
		}
	}
	if logits[gold] == mx {
		best = gold
	}
	var z float64
	for _, v := range logits {
		z += math.Exp(float64(v - mx))
	}
	return int32(best), math.Log(z) - float64(logits[gold]-mx)
}
