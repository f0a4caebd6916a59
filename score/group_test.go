package score

import (
	"encoding/json"
	"math"
	"os"
	"testing"

	"github.com/degen-llm/degen/internal/shared"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type corpusRef struct {
	SimCTG struct {
		MemberIDs []string `json:"member_ids"`
		Rep2      float64  `json:"rep_2"`
		Rep3      float64  `json:"rep_3"`
		Rep4      float64  `json:"rep_4"`
		Diversity float64  `json:"diversity"`
	} `json:"simctg_pooled_all_nonempty"`
	Groups map[string]struct {
		MemberIDs      []string `json:"member_ids"`
		SelfBLEU2      float64  `json:"self_bleu_2"`
		SelfBLEU3      float64  `json:"self_bleu_3"`
		SelfBLEU4      float64  `json:"self_bleu_4"`
		Homogenization float64  `json:"shaib_homogenization_rougel"`
		SelfRep4       float64  `json:"shaib_self_repetition_4"`
		SimCTG         struct {
			Rep2      float64 `json:"rep_2"`
			Rep3      float64 `json:"rep_3"`
			Rep4      float64 `json:"rep_4"`
			Diversity float64 `json:"diversity"`
		} `json:"simctg_pooled"`
	} `json:"groups"`
}

func loadCorpusRef(t testing.TB) corpusRef {
	t.Helper()
	p, err := shared.Path("eval", "metric_corpus_public.json")
	require.NoError(t, err)
	b, err := os.ReadFile(p)
	require.NoError(t, err)
	var c corpusRef
	require.NoError(t, json.Unmarshal(b, &c))
	require.NotEmpty(t, c.Groups)
	return c
}

func caseTexts(t testing.TB) map[string]string {
	m := map[string]string{}
	for _, c := range loadCases(t) {
		m[c.ID] = c.Text
	}
	return m
}

func TestGroupMetricsReference(t *testing.T) {
	ref := loadCorpusRef(t)
	texts := caseTexts(t)
	for name, g := range ref.Groups {
		t.Run(name, func(t *testing.T) {
			var docs []string
			for _, id := range g.MemberIDs {
				docs = append(docs, texts[id])
			}
			sb := SelfBLEU(docs, 2, 3, 4)
			assert.InDelta(t, g.SelfBLEU2, sb[0], 1e-4, "self-BLEU-2")
			assert.InDelta(t, g.SelfBLEU3, sb[1], 1e-4, "self-BLEU-3")
			assert.InDelta(t, g.SelfBLEU4, sb[2], 1e-4, "self-BLEU-4")
			// The package rounds to 3 decimals.
			assert.InDelta(t, g.Homogenization, Homogenization(docs), 5e-4+1e-9, "homogenization")
			assert.InDelta(t, g.SelfRep4, SelfRepetition(docs, 4), 1e-9, "self-repetition")
		})
	}
}

func TestTokenizers(t *testing.T) {
	assert.Equal(t, []string{"Hello", ",", "world", "!", "it", "'", "s", "3", ".", "5", "x_y", "über", "中文", "。"},
		BLEUTokens("Hello, world! it's 3.5 x_y\nüber 中文。"))
	// A combining mark is not \w in Python: "é" written e + U+0301 splits.
	assert.Equal(t, []string{"e", "\u0301", "t"}, BLEUTokens("e\u0301t"))
	// rouge_score drops non-ASCII letters: "über" becomes "ber".
	assert.Equal(t, []string{"hello", "world", "it", "s", "3", "5", "x", "y", "ber"}, RougeTokens("Hello, World! it's 3.5 x_y über 中文"))
	assert.Empty(t, RougeTokens("中文 ÄÖÜ"))
	assert.Equal(t, []string{"a", "b", "c"}, WhitespaceTokens(" a\u00a0b\x1cc "))
}

func TestSelfBLEUHand(t *testing.T) {
	// Two identical texts: every precision is 1 and lengths match → 1.
	assert.InDeltaSlice(t, []float64{1, 1}, SelfBLEU([]string{"a b c d", "a b c d"}, 2, 4), 1e-12)
	// Disjoint texts: no unigram match → 0 (nltk returns 0 outright).
	assert.Equal(t, []float64{0}, SelfBLEU([]string{"a b", "c d"}, 2))
	// "a b c" vs "a b d": p1 = 2/3, p2 = 1/2, equal lengths → BP 1;
	// BLEU-2 = sqrt(2/3 · 1/2) for both hypotheses.
	assert.InDeltaSlice(t, []float64{math.Sqrt(1.0 / 3)}, SelfBLEU([]string{"a b c", "a b d"}, 2), 1e-12)
	// "a a" vs "a b c": hypothesis 1: p1 = 1/2 (clipped), p2 = 0 → method1
	// 0.1/1; c=2 < r=3 → BP = e^(1−3/2). Hypothesis 2: p1 = 1/3, p2 = 0.1/2,
	// c=3 > r=2 → BP 1.
	h1 := math.Exp(1-1.5) * math.Exp(0.5*math.Log(0.5)+0.5*math.Log(0.1))
	h2 := math.Exp(0.5*math.Log(1.0/3) + 0.5*math.Log(0.05))
	assert.InDeltaSlice(t, []float64{(h1 + h2) / 2}, SelfBLEU([]string{"a a", "a b c"}, 2), 1e-12)
	assert.True(t, math.IsNaN(SelfBLEU([]string{"a"}, 2)[0]))
	// Empty hypothesis: BLEU 0; each "x" matches the other (closest
	// reference length 1, not the empty one) → 1. Mean 2/3.
	assert.InDeltaSlice(t, []float64{2.0 / 3}, SelfBLEU([]string{"", "x", "x"}, 1), 1e-12)
}

func TestHomogenizationAndSelfRepetitionHand(t *testing.T) {
	// "a b c d" vs "a c d e": LCS "a c d" = 3 → P = R = 3/4 → F1 0.75.
	assert.InDelta(t, 0.75, Homogenization([]string{"a b c d", "a c d e"}), 1e-12)
	// Three texts: pairs (1,2)=0.75, (1,3)=0, (2,3)=0 → mean 0.25.
	assert.InDelta(t, 0.25, Homogenization([]string{"a b c d", "a c d e", "x y"}), 1e-12)
	// Disjoint: 0 here (the package returns 1.0).
	assert.Equal(t, 0.0, Homogenization([]string{"a b", "c d"}))
	// Identical non-Latin texts: 1 (package's exact-match rule), though
	// ROUGE sees no tokens.
	assert.Equal(t, 1.0, Homogenization([]string{"中文", "中文"}))
	assert.True(t, math.IsNaN(Homogenization([]string{"x"})))

	// Docs: "a b c d e", "a b c d", "x y": the 4-gram "a b c d" is in two
	// docs. Doc 1 has {abcd, bcde}: ln(1+1); doc 2 {abcd}: ln(1+1); doc 3
	// none: ln 1. Mean 2 ln 2 / 3.
	assert.InDelta(t, 2*math.Ln2/3, SelfRepetition([]string{"a b c d e", "a b c d", "x y"}, 4), 1e-12)
	assert.Equal(t, 0.0, SelfRepetition([]string{"a b c d a b c d"}, 4))
	assert.True(t, math.IsNaN(SelfRepetition(nil, 4)))
}
