package generate_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/degen-llm/degen/generate"
)

// TestPenaltyParityLlamaCpp compares greedy decoding after each penalty with
// llama.cpp's output, token for token through the text: 150 new tokens, the
// penalty window being the whole context (prompt and BOS included).
func TestPenaltyParityLlamaCpp(t *testing.T) {
	cases := []struct {
		name string
		ref  string
		set  func(p *generate.Params)
	}{
		{"none", "penalty_none_llamacpp.txt", func(p *generate.Params) {}},
		{"repeat1.3", "penalty_repeat1.3_llamacpp.txt", func(p *generate.Params) { p.RepetitionPenalty = 1.3 }},
		{"freq0.5_pres0.5", "penalty_freq0.5_pres0.5_llamacpp.txt", func(p *generate.Params) {
			p.FrequencyPenalty, p.PresencePenalty = 0.5, 0.5
		}},
		{"dry0.8", "penalty_dry0.8_llamacpp.txt", func(p *generate.Params) {
			p.DRYMultiplier, p.DRYBase, p.DRYAllowedLength = 0.8, 1.75, 2
		}},
	}
	for _, file := range []string{"stories260K.bin", "stories260K-f32.gguf"} {
		e := newEngineCtx(t, file, 1, 512)
		for _, tc := range cases {
			t.Run(file+"/"+tc.name, func(t *testing.T) {
				p := generate.DefaultParams()
				p.MaxNewTokens = 150
				tc.set(&p)
				res, err := e.Generate("Once upon a time", p, nil)
				require.NoError(t, err)
				want := strings.TrimRight(readRef(t, tc.ref), "\n")
				assert.Equal(t, want, " Once upon a time"+res.Text)
				assert.Equal(t, generate.FinishLength, res.FinishReason)
				assert.Len(t, res.TokenIDs, 150)
			})
		}
	}
}
