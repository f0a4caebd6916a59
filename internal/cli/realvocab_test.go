package cli

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/degen-llm/degen/internal/shared"
)

// A synthetic Qwen2-architecture model with the real Qwen2.5 vocabulary and
// chat template (random weights, so its text is noise, but every token,
// merge, special token and template is the real one): what the decoding
// controls, score --model, detect and --max-retries are tested on beside
// stories260K.
var (
	qwenOnce sync.Once
	qwenPath string
	qwenErr  error
	qwenDir  string // removed by TestMain
)

func tinyQwen(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds a model with the 151,936-token Qwen vocabulary")
	}
	qwenOnce.Do(func() {
		vocab, err := shared.Path("models", "vocab", "qwen2.5")
		if err != nil {
			qwenErr = err
			return
		}
		if qwenDir, qwenErr = os.MkdirTemp("", "degen-tiny-qwen"); qwenErr != nil {
			return
		}
		qwenPath = filepath.Join(qwenDir, "tiny-qwen2.gguf")
		var stdout, stderr bytes.Buffer
		code := Main([]string{"model", "synth", "-q", "--shape", "qwen2.5-0.5b", "--layers", "2", "--dim", "64", "--heads", "4",
			"--kv-heads", "2", "--hidden", "128", "--type", "q8_0", "--seed", "7", "--vocab", vocab, "-o", qwenPath}, nil, &stdout, &stderr)
		if code != 0 {
			qwenErr = &usageError{stderr.String()}
		}
	})
	require.NoError(t, qwenErr)
	return qwenPath
}

// genQwen runs generate on the tiny Qwen model and returns the records.
func genQwen(t *testing.T, in string, args ...string) []map[string]json.RawMessage {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := Main(append([]string{"generate", "-q", "-m", tinyQwen(t), "--max-new-tokens", "24"}, args...), strings.NewReader(in), &stdout, &stderr)
	require.Equal(t, 0, code, stderr.String())
	var out []map[string]json.RawMessage
	for _, l := range strings.Split(strings.TrimSpace(stdout.String()), "\n") {
		var m map[string]json.RawMessage
		require.NoError(t, json.Unmarshal([]byte(l), &m), l)
		out = append(out, m)
	}
	return out
}

type genInfo struct {
	TokenIDs     []int    `json:"token_ids"`
	FinishReason string   `json:"finish_reason"`
	NPrompt      int      `json:"n_prompt_tokens"`
	Strategy     string   `json:"strategy"`
	Sampler      string   `json:"sampler"`
	Score        *float64 `json:"sequence_score"`
	LogProbs     []struct {
		ID  int     `json:"id"`
		LP  float64 `json:"logprob"`
		Top []struct {
			ID int `json:"id"`
		} `json:"top"`
	} `json:"logprobs"`
}

func info(t *testing.T, rec map[string]json.RawMessage) (genInfo, string) {
	t.Helper()
	var g genInfo
	require.NoError(t, json.Unmarshal(rec["generation"], &g))
	var text string
	require.NoError(t, json.Unmarshal(rec["text"], &text))
	return g, text
}

const chatRecord = `{"messages":[{"role":"system","content":"You are a poet."},{"role":"user","content":"Write about the sea, again and again."}]}` + "\n"

// TestRealVocabDecodingControls runs every family of decoding control on a
// model with a byte-level BPE vocabulary and a chat template, and checks the
// property each control promises.
func TestRealVocabDecodingControls(t *testing.T) {
	greedy, _ := info(t, genQwen(t, chatRecord)[0])
	require.Len(t, greedy.TokenIDs, 24)
	// The template's prompt: <|im_start|>system ... <|im_start|>assistant\n.
	assert.Greater(t, greedy.NPrompt, 20)

	hasRepeat := func(ids []int, n int) bool {
		seen := map[string]bool{}
		for i := 0; i+n <= len(ids); i++ {
			k := joinInts(ids[i : i+n])
			if seen[k] {
				return true
			}
			seen[k] = true
		}
		return false
	}
	t.Run("greedy repeats (random weights)", func(t *testing.T) {
		assert.True(t, hasRepeat(greedy.TokenIDs, 2), "a random model loops: the controls below have something to do")
	})
	t.Run("no_repeat_ngram_size", func(t *testing.T) {
		g, _ := info(t, genQwen(t, chatRecord, "--no-repeat-ngram-size", "2")[0])
		assert.False(t, hasRepeat(g.TokenIDs, 2), "no bigram twice (nor one of the prompt's, which the ban counts too)")
	})
	for _, flags := range [][]string{
		{"--repetition-penalty", "1.5"},
		{"--frequency-penalty", "1", "--presence-penalty", "1"},
		// The random model's loop is of "\n", a default sequence breaker
		// (which DRY never penalises, as llama.cpp): break on "|" instead.
		{"--dry-multiplier", "0.8", "--dry-allowed-length", "1", "--dry-sequence-breakers", "|"},
	} {
		t.Run(strings.Join(flags, " "), func(t *testing.T) {
			g, _ := info(t, genQwen(t, chatRecord, flags...)[0])
			assert.NotEqual(t, greedy.TokenIDs, g.TokenIDs, "the penalty changed the output")
			assert.NotEmpty(t, g.Sampler)
		})
	}
	t.Run("bad_words", func(t *testing.T) {
		// Ban the text of the token the greedy output repeats.
		g, text := info(t, genQwen(t, chatRecord)[0])
		first := []rune(text)[:1]
		require.NotEmpty(t, first)
		b, banned := info(t, genQwen(t, chatRecord, "--bad-words", string(first))[0])
		assert.NotContains(t, banned, string(first))
		assert.NotContains(t, b.TokenIDs, g.TokenIDs[0])
	})
	t.Run("logit_bias and logprobs", func(t *testing.T) {
		g, _ := info(t, genQwen(t, chatRecord, "--logit-bias", "9707=100", "--logprobs", "2")[0])
		assert.Equal(t, 9707, g.TokenIDs[0], "a +100 bias wins")
		require.Len(t, g.LogProbs, len(g.TokenIDs))
		assert.Len(t, g.LogProbs[0].Top, 2)
		assert.Equal(t, 9707, g.LogProbs[0].Top[0].ID)
	})
	t.Run("stop string", func(t *testing.T) {
		_, text := info(t, genQwen(t, chatRecord)[0])
		r := []rune(text)
		require.Greater(t, len(r), 4)
		stop := string(r[2:4])
		g, stopped := info(t, genQwen(t, chatRecord, "--stop", stop)[0])
		assert.Equal(t, "stop", g.FinishReason)
		assert.NotContains(t, stopped, stop)
	})
	t.Run("end of turn ends the output", func(t *testing.T) {
		// <|im_end|> forced first: the output ends at once, with no text.
		g, text := info(t, genQwen(t, chatRecord, "--logit-bias", "151645=100")[0])
		assert.Equal(t, "eos", g.FinishReason)
		assert.Equal(t, "", text)
	})
	t.Run("min_new_tokens", func(t *testing.T) {
		g, _ := info(t, genQwen(t, chatRecord, "--logit-bias", "151645=100", "--min-new-tokens", "5")[0])
		assert.GreaterOrEqual(t, len(g.TokenIDs), 5)
	})
	t.Run("sampling reproducible", func(t *testing.T) {
		a, _ := info(t, genQwen(t, chatRecord, "--do-sample", "--seed", "3", "--temperature", "1.5", "--top-p", "0.9", "--min-p", "0.01")[0])
		b, _ := info(t, genQwen(t, chatRecord, "--do-sample", "--seed", "3", "--temperature", "1.5", "--top-p", "0.9", "--min-p", "0.01")[0])
		assert.Equal(t, a.TokenIDs, b.TokenIDs)
		assert.NotEqual(t, greedy.TokenIDs, a.TokenIDs)
	})
	for _, flags := range [][]string{
		{"--do-sample", "--seed", "1", "--top-k", "5", "--typical-p", "0.9"},
		{"--do-sample", "--seed", "1", "--xtc-probability", "0.5", "--xtc-threshold", "0.01"},
		{"--do-sample", "--seed", "1", "--mirostat", "2"},
		{"--do-sample", "--seed", "1", "--top-n-sigma", "1", "--epsilon-cutoff", "0.0003"},
	} {
		t.Run(strings.Join(flags, " "), func(t *testing.T) {
			g, _ := info(t, genQwen(t, chatRecord, flags...)[0])
			assert.Len(t, g.TokenIDs, 24)
		})
	}
	t.Run("beam search", func(t *testing.T) {
		recs := genQwen(t, chatRecord, "--num-beams", "3", "--num-return-sequences", "2")
		require.Len(t, recs, 2)
		a, _ := info(t, recs[0])
		b, _ := info(t, recs[1])
		require.NotNil(t, a.Score)
		assert.GreaterOrEqual(t, *a.Score, *b.Score, "best first")
		assert.Equal(t, "beam_search", a.Strategy)
	})
	t.Run("contrastive search", func(t *testing.T) {
		g, _ := info(t, genQwen(t, chatRecord, "--penalty-alpha", "0.6", "--top-k", "4")[0])
		assert.Equal(t, "contrastive_search", g.Strategy)
		assert.Len(t, g.TokenIDs, 24)
	})
	t.Run("batch equals one by one", func(t *testing.T) {
		in := chatRecord + `{"prompt":"The sea"}` + "\n" + strings.Replace(chatRecord, "poet", "sailor", 1)
		one := genQwen(t, in)
		bat := genQwen(t, in, "--batch", "3")
		for i := range one {
			a, _ := info(t, one[i])
			b, _ := info(t, bat[i])
			assert.Equal(t, a.TokenIDs, b.TokenIDs, "record %d", i)
		}
	})
}

// TestRealVocabScoreDetectRetries: score --model, detect on token ids and
// --max-retries on the real-vocabulary model.
func TestRealVocabScoreDetectRetries(t *testing.T) {
	recs := genQwen(t, chatRecord+`{"prompt":"Once upon a time"}`+"\n", "--max-new-tokens", "48")
	var in strings.Builder
	for _, r := range recs {
		b, _ := json.Marshal(r)
		in.Write(b)
		in.WriteByte('\n')
	}
	var stdout, stderr bytes.Buffer
	code := Main([]string{"score", "-q", "--model", tinyQwen(t)}, strings.NewReader(in.String()), &stdout, &stderr)
	require.Equal(t, 0, code, stderr.String())
	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	require.Len(t, lines, 2)
	for _, l := range lines {
		var r struct {
			Score struct {
				PPL *float64 `json:"ppl"`
				Acc *float64 `json:"acc"`
			} `json:"score"`
		}
		require.NoError(t, json.Unmarshal([]byte(l), &r))
		require.NotNil(t, r.Score.PPL, l)
		// Greedy outputs of the model itself: it predicted every one.
		assert.Equal(t, 1.0, *r.Score.Acc)
		assert.Greater(t, *r.Score.PPL, 1.0)
	}
	stdout.Reset()
	code = Main([]string{"detect", "-q"}, strings.NewReader(strings.Join(lines, "\n")+"\n"), &stdout, &stderr)
	require.Equal(t, 0, code, stderr.String())
	assert.Contains(t, stdout.String(), `"degenerate":true`, "a random model's greedy loop is flagged")

	// --max-retries regenerates the loop with the ladder.
	retried := genQwen(t, chatRecord, "--max-new-tokens", "48", "--max-retries", "2")
	var g struct {
		Retries []struct {
			Attempt int `json:"attempt"`
		} `json:"retries"`
	}
	require.NoError(t, json.Unmarshal(retried[0]["generation"], &g))
	assert.NotEmpty(t, g.Retries)
}
