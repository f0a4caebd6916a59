package generate_test

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/degen-llm/degen/generate"
	"github.com/degen-llm/degen/internal/shared"
	"github.com/degen-llm/degen/kernels"
	"github.com/degen-llm/degen/model"
	"github.com/degen-llm/degen/model/tokenizer"
)

func readRef(t *testing.T, name string) string {
	t.Helper()
	dir, err := shared.Models()
	require.NoError(t, err)
	b, err := os.ReadFile(filepath.Join(dir, "reference", name))
	require.NoError(t, err)
	return string(b)
}

// referenceIDs returns the prompt ids and the generated ids of llama2.c's
// greedy run (the "ids:" line starts with the 4 prompt tokens after BOS).
func referenceIDs(t *testing.T) (prompt, gen []int) {
	for _, line := range strings.Split(readRef(t, "stories260K_greedy_ids.txt"), "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		var ids []int
		for _, f := range strings.Fields(v) {
			n, err := strconv.Atoi(f)
			require.NoError(t, err)
			ids = append(ids, n)
		}
		switch k {
		case "prompt_ids":
			prompt = ids
		case "ids":
			gen = ids
		}
	}
	require.NotEmpty(t, prompt)
	return prompt, gen[len(prompt)-1:]
}

func newEngine(t *testing.T, file string, threads int) *generate.Engine {
	return newEngineCtx(t, file, threads, 0)
}

// newEngineCtx runs with a context of ctx positions (0: the model's own).
// llama.cpp's converter writes context_length 128 into the stories260K GGUF
// file, while the model was trained with 512 positions, as the llama2.c
// header says; llama.cpp's reference runs used a larger context, so the
// comparisons on the GGUF file ask for 512.
func newEngineCtx(t *testing.T, file string, threads, ctx int) *generate.Engine {
	t.Helper()
	dir, err := shared.Models()
	require.NoError(t, err)
	m, err := model.Load(filepath.Join(dir, file), model.LoadOptions{})
	require.NoError(t, err)
	t.Cleanup(func() { m.Close() })
	require.NotNil(t, m.Vocab, "tokenizer found next to the model")
	tok, err := tokenizer.New(m.Vocab)
	require.NoError(t, err)
	pool := kernels.NewPool(threads)
	t.Cleanup(pool.Close)
	e, err := generate.NewEngine(m, tok, pool, model.StateOptions{Context: ctx})
	require.NoError(t, err)
	return e
}

func TestGreedyMatchesLlama2C(t *testing.T) {
	promptIDs, wantIDs := referenceIDs(t)
	wantText := readRef(t, "stories260K_greedy_llama2c.txt")
	const prompt = "Once upon a time"
	require.True(t, strings.HasPrefix(wantText, prompt))
	for _, file := range []string{"stories260K.bin", "stories260K_v1.bin", "stories260K-f32.gguf"} {
		for _, threads := range []int{1, 2} {
			t.Run(file+"/threads="+strconv.Itoa(threads), func(t *testing.T) {
				e := newEngineCtx(t, file, threads, 512)
				assert.Equal(t, promptIDs, e.Encode(prompt))
				res, err := e.Generate(prompt, generate.Params{MaxNewTokens: len(wantIDs)}, nil)
				require.NoError(t, err)
				assert.Equal(t, wantIDs, res.TokenIDs)
				assert.Equal(t, len(promptIDs), res.NPromptTokens)
				assert.Equal(t, generate.FinishLength, res.FinishReason)
				// llama2.c prints the prompt, then the continuation, then a newline.
				assert.Equal(t, strings.TrimSuffix(wantText[len(prompt):], "\n"), res.Text)
			})
		}
	}
}

func TestLlamaCppGreedyPrefix(t *testing.T) {
	// llama.cpp's 200-token greedy text on the GGUF file: it prints the
	// prompt with the SentencePiece dummy-prefix space.
	want := readRef(t, "stories260K_greedy_llamacpp_n200.txt")
	e := newEngineCtx(t, "stories260K-f32.gguf", 2, 512)
	res, err := e.Generate("Once upon a time", generate.Params{MaxNewTokens: 200}, nil)
	require.NoError(t, err)
	assert.Equal(t, strings.TrimRight(want, "\n"), " Once upon a time"+res.Text)
}

func TestStopString(t *testing.T) {
	e := newEngine(t, "stories260K.bin", 1)
	res, err := e.Generate("Once upon a time", generate.Params{MaxNewTokens: 100, Stop: []string{"Lily"}}, nil)
	require.NoError(t, err)
	assert.Equal(t, generate.FinishStop, res.FinishReason)
	assert.Equal(t, ", there was a little girl named ", res.Text)
}

func TestContextLimit(t *testing.T) {
	dir, err := shared.Models()
	require.NoError(t, err)
	m, err := model.Load(filepath.Join(dir, "stories260K.bin"), model.LoadOptions{})
	require.NoError(t, err)
	defer m.Close()
	tok, err := tokenizer.New(m.Vocab)
	require.NoError(t, err)
	pool := kernels.NewPool(1)
	defer pool.Close()
	e, err := generate.NewEngine(m, tok, pool, model.StateOptions{Context: 16})
	require.NoError(t, err)
	res, err := e.Generate("Once upon a time", generate.Params{MaxNewTokens: 100}, nil)
	require.NoError(t, err)
	assert.Equal(t, generate.FinishContext, res.FinishReason)
	// 5 prompt tokens fill positions 0..4; positions 5..15 take 11 more
	// tokens, and the token produced at position 15 is the 12th.
	assert.Len(t, res.TokenIDs, 12)
	_, err = e.Generate(strings.Repeat("Once upon a time ", 10), generate.Params{MaxNewTokens: 1}, nil)
	assert.ErrorContains(t, err, "more than the context")
}

func TestMaxNewTokensZero(t *testing.T) {
	e := newEngine(t, "stories260K.bin", 1)
	res, err := e.Generate("Once upon a time", generate.Params{MaxNewTokens: 0}, nil)
	require.NoError(t, err)
	assert.Empty(t, res.TokenIDs)
	assert.Equal(t, "", res.Text)
	assert.Equal(t, generate.FinishLength, res.FinishReason)
}

func TestGGUFTrainedContext(t *testing.T) {
	e := newEngine(t, "stories260K-f32.gguf", 1)
	require.Equal(t, 128, e.Model.Config.SeqLen)
	res, err := e.Generate("Once upon a time", generate.Params{MaxNewTokens: 252}, nil)
	require.NoError(t, err)
	assert.Equal(t, generate.FinishContext, res.FinishReason)
	assert.Len(t, res.TokenIDs, 128-5+1)
}

func TestStopOnLoop(t *testing.T) {
	// "Tom had a big red ball." makes stories260K loop on one sentence;
	// with stop_on_loop the output ends as soon as three copies are there.
	e := newEngine(t, "stories260K.bin", 1)
	p := generate.DefaultParams()
	p.MaxNewTokens = 200
	full, err := e.Generate("Tom had a big red ball.", p, nil)
	require.NoError(t, err)
	p.StopOnLoop = true
	res, err := e.Generate("Tom had a big red ball.", p, nil)
	require.NoError(t, err)
	assert.Equal(t, generate.FinishRepetition, res.FinishReason)
	assert.Less(t, len(res.TokenIDs), len(full.TokenIDs))
	assert.Equal(t, full.TokenIDs[:len(res.TokenIDs)], res.TokenIDs, "the same text up to the stop")
	// Beam search stops its hypotheses the same way.
	p.NumBeams = 2
	beam, err := e.Generate("Tom had a big red ball.", p, nil)
	require.NoError(t, err)
	assert.Equal(t, generate.FinishRepetition, beam.FinishReason)
}
