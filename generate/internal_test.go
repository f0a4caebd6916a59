package generate

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/degen-llm/degen/internal/shared"
	"github.com/degen-llm/degen/kernels"
	"github.com/degen-llm/degen/model"
	"github.com/degen-llm/degen/model/tokenizer"
)

func stories(t *testing.T) *Engine {
	t.Helper()
	dir, err := shared.Models()
	require.NoError(t, err)
	m, err := model.Load(filepath.Join(dir, "stories260K.bin"), model.LoadOptions{})
	require.NoError(t, err)
	t.Cleanup(func() { m.Close() })
	tok, err := tokenizer.New(m.Vocab)
	require.NoError(t, err)
	pool := kernels.NewPool(1)
	t.Cleanup(pool.Close)
	e, err := NewEngine(m, tok, pool, model.StateOptions{Context: 512})
	require.NoError(t, err)
	return e
}

// The strategy code paths run directly with the settings that make them
// degenerate to greedy decoding: contrastive search with α = 0 (the public
// API would pick greedy for that) and beam search with one beam.
func TestDegenerateStrategiesEqualGreedy(t *testing.T) {
	e := stories(t)
	for _, prompt := range []string{"Once upon a time", "The cat sat on the mat and", "Lily"} {
		ids := e.Encode(prompt)
		p := DefaultParams()
		p.MaxNewTokens = 120
		p.RepetitionPenalty = 1.2 // processors must run identically in each path
		greedy, err := e.dec.Decode(ids, p, 0)
		require.NoError(t, err)
		require.NotEmpty(t, greedy.Sequences[0].Tokens)

		chain, err := e.dec.Chain(p)
		require.NoError(t, err)
		q := p
		q.TopK = 4
		contrastive, err := e.dec.singles(ids, q, chain, 0, StrategyContrastive)
		require.NoError(t, err)
		assert.Equal(t, greedy.Sequences[0].Tokens, contrastive[0].Tokens, "alpha 0, %q", prompt)
		assert.Equal(t, greedy.Sequences[0].FinishReason, contrastive[0].FinishReason)

		// Beam search runs the processors on log-probs (HF), where a
		// repetition penalty multiplies instead of dividing the positive
		// logits greedy sees: a different distribution, so the one-beam
		// comparison is made without processors.
		b := DefaultParams()
		b.MaxNewTokens = p.MaxNewTokens
		plain, err := e.dec.Decode(ids, b, 0)
		require.NoError(t, err)
		plainChain, err := e.dec.Chain(b)
		require.NoError(t, err)
		beams, err := e.dec.beamSearch(ids, b, plainChain)
		require.NoError(t, err)
		assert.Equal(t, plain.Sequences[0].Tokens, beams[0].Tokens, "one beam, %q", prompt)
		assert.Equal(t, FinishLength, beams[0].FinishReason)
	}
}
