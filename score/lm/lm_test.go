package lm

import (
	"math"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/degen-llm/degen/internal/shared"
	"github.com/degen-llm/degen/kernels"
	"github.com/degen-llm/degen/model"
)

func load(t *testing.T) *model.Model {
	dir, err := shared.Models()
	require.NoError(t, err)
	m, err := model.Load(filepath.Join(dir, "stories260K.bin"), model.LoadOptions{})
	require.NoError(t, err)
	t.Cleanup(func() { m.Close() })
	return m
}

// greedy is llama2.c's greedy story after BOS: every token is the model's
// argmax, so accuracy must be 1.
var greedy = []int{1, 403, 407, 261, 378, 432, 383, 286, 261, 376, 298, 315, 421, 395, 317, 426, 338, 401, 396, 267, 337, 410, 408, 419, 292, 411, 322, 265, 282, 295, 433, 426, 385, 328, 432, 358, 394, 261, 370, 432, 352, 266, 268, 388, 426, 338}

func TestGreedyTextIsPredicted(t *testing.T) {
	m := load(t)
	pool := kernels.NewPool(1)
	defer pool.Close()
	s, err := New(m, pool, 0, 0, []int{4, 16})
	require.NoError(t, err)
	// Score the continuation after the 4-token prompt "Once upon a time".
	acc, err := s.Score(greedy, 5)
	require.NoError(t, err)
	r := acc.Result()
	assert.Equal(t, len(greedy)-5, r.Tokens)
	assert.Equal(t, 1.0, r.Acc)
	assert.Equal(t, 0.0, r.WRep[0], "no wrong predictions, so no wrong repeats")
	assert.Less(t, r.PPL, 3.0)
}

func TestNLLByHand(t *testing.T) {
	// The NLL of token ids[1] given BOS is log-sum-exp(logits) − logit.
	m := load(t)
	pool := kernels.NewPool(1)
	defer pool.Close()
	st, err := m.NewState(pool, model.StateOptions{})
	require.NoError(t, err)
	logits := st.Forward(1, 0)
	var z float64
	for _, v := range logits {
		z += math.Exp(float64(v))
	}
	want := math.Log(z) - float64(logits[403])
	s, err := New(m, pool, 0, 0, nil)
	require.NoError(t, err)
	acc, err := s.Score([]int{1, 403}, 1)
	require.NoError(t, err)
	assert.InDelta(t, want, acc.Result().NLLMean, 1e-9)
}

func TestSlidingWindowScoresEveryTokenOnce(t *testing.T) {
	// A context of 16 with stride 8 over 46 tokens: every token from the
	// second on is scored once, some with less context than in one pass.
	m := load(t)
	pool := kernels.NewPool(2)
	defer pool.Close()
	s, err := New(m, pool, 16, 8, nil)
	require.NoError(t, err)
	acc, err := s.Score(greedy, 1)
	require.NoError(t, err)
	assert.Equal(t, len(greedy)-1, acc.Result().Tokens)
	full, err := New(m, pool, 0, 0, nil)
	require.NoError(t, err)
	accFull, err := full.Score(greedy, 1)
	require.NoError(t, err)
	// Less context can only make a well-predicted story less likely.
	assert.GreaterOrEqual(t, acc.Result().NLLMean, accFull.Result().NLLMean-1e-6)
	_, err = New(m, pool, 16, 17, nil)
	assert.ErrorContains(t, err, "stride")
}

func TestBadIDs(t *testing.T) {
	m := load(t)
	pool := kernels.NewPool(1)
	defer pool.Close()
	s, err := New(m, pool, 0, 0, nil)
	require.NoError(t, err)
	_, err = s.Score([]int{1, 9999}, 1)
	assert.ErrorContains(t, err, "outside the model's vocabulary")
	acc, err := s.Score([]int{1}, 1)
	require.NoError(t, err)
	assert.Zero(t, acc.Result().Tokens)
}
