package score

import (
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestReferenceCases checks every per-text value of the eval set that this
// package computes, on the references' tokenisation (Python's str.split).
func TestReferenceCases(t *testing.T) {
	s6 := mustScorer(t, Options{Tokens: Whitespace})
	s9 := mustScorer(t, Options{Tokens: Whitespace, ZlibLevel: 9})
	for _, c := range loadCases(t) {
		t.Run(c.ID+"_"+c.Case, func(t *testing.T) {
			e := c.Expect
			r9 := mustScore(t, s9, c.Text)
			r := mustScore(t, s6, c.Text)
			assert.Equal(t, int(*e["n_tokens"]), r.Tokens)
			uniq := 0
			for _, id := range s6.IDs() {
				uniq = max(uniq, int(id)+1)
			}
			assert.Equal(t, int(*e["uniq_tokens"]), uniq)
			for j, n := range r.NGrams {
				assertNum(t, e[fmt.Sprintf("seq_rep_%d", n)], r.SeqRep[j], 1e-4, fmt.Sprintf("seq_rep_%d", n))
				assertNum(t, e[fmt.Sprintf("distinct_%d", n)], r.Distinct[j], 1e-4, fmt.Sprintf("distinct_%d", n))
			}
			assertNum(t, e["entropy_bits"], r.EntropyBits, 1e-4, "entropy_bits")
			// The size model is exact, so hold it to far better than 2 %.
			assertNum(t, e["zlib_ratio_6"], r.ZlibRatio, 1e-9, "zlib_ratio_6")
			assertNum(t, e["zlib_ratio_9"], r9.ZlibRatio, 1e-9, "zlib_ratio_9")
			for n := 2; n <= 4; n++ {
				assertNum(t, e[fmt.Sprintf("simctg_rep_%d", n)], r.SimCTG.Rep(n), 1e-9, fmt.Sprintf("simctg_rep_%d", n))
			}
			assertNum(t, e["simctg_diversity"], r.SimCTG.Diversity(), 1e-9, "simctg_diversity")
			assert.Equal(t, int(*e["tail_period_vllm_ws"]), TailPeriod(s6.IDs(), 1, 64, 3), "tail_period_vllm_ws")
		})
	}
}

// naiveLongestRepeat is the quadratic definition: the largest m such that
// two different start positions begin equal runs of m tokens.
func naiveLongestRepeat(toks []string) int {
	best := 0
	for i := range toks {
		for j := i + 1; j < len(toks); j++ {
			m := 0
			for j+m < len(toks) && toks[i+m] == toks[j+m] {
				m++
			}
			best = max(best, m)
		}
	}
	return best
}

func TestHandCases(t *testing.T) {
	nan := math.NaN()
	tests := []struct {
		name        string
		tok         Tokenization
		text        string
		tokens      int
		seqRep      [4]float64
		entropy     float64
		longest     int
		simctgRep   [3]float64
		simctgDiver float64
	}{
		// "a a a a": 1 unique of 4 unigrams, 1 of 3 bigrams, …
		{"a_x4", Words, "a a a a", 4, [4]float64{0.75, 2.0 / 3, 0.5, 0}, 0, 3, [3]float64{50, 0, nan}, nan},
		// metrics.md §10 example 1 (verified there against the original code).
		{"a_x5", Words, "a a a a a", 5, [4]float64{0.8, 0.75, 2.0 / 3, 0.5}, 0, 4, [3]float64{66.67, 50, 0}, 0.16665},
		{"empty", Words, "", 0, [4]float64{nan, nan, nan, nan}, nan, 0, [3]float64{nan, nan, nan}, nan},
		{"spaces_only", Words, " \n\t ", 0, [4]float64{nan, nan, nan, nan}, nan, 0, [3]float64{nan, nan, nan}, nan},
		{"one_word", Words, "hello", 1, [4]float64{0, nan, nan, nan}, 0, 0, [3]float64{nan, nan, nan}, nan},
		// Shorter than n: defined orders only.
		{"two_words", Words, "to be", 2, [4]float64{0, 0, nan, nan}, 1, 0, [3]float64{nan, nan, nan}, nan},
		// "to be or not to be": 4 distinct of 6 → 1/3; bigram "to be" twice → 1−4/5.
		// Entropy: p = 2/6, 2/6, 1/6, 1/6 → 1.9182958340544896 bits.
		{"hamlet", Words, "to be or not to be", 6, [4]float64{1.0 / 3, 0.2, 0, 0}, 1.9182958340544896, 2,
			[3]float64{0, 0, 0}, 1},
		// Chinese: every character a token in Words mode. 我爱你我爱你 → 3 of 6
		// unigrams, 3 of 5 bigrams, 3 of 4 trigrams (我爱你 twice), 3 of 3 4-grams.
		{"zh_words", Words, "我爱你我爱你", 6, [4]float64{0.5, 0.4, 0.25, 0}, math.Log2(3), 3,
			[3]float64{25, 0, 0}, 0.75},
		// Whitespace tokenisation keeps it one token.
		{"zh_whitespace", Whitespace, "我爱你我爱你", 1, [4]float64{0, nan, nan, nan}, 0, 0, [3]float64{nan, nan, nan}, nan},
		// Chars: "abab" → a b a b.
		{"chars", Chars, "ab ab", 4, [4]float64{0.5, 1.0 / 3, 0, 0}, 1, 2, [3]float64{0, 0, nan}, nan},
		// German with ß: tokens compare as exact strings, so Straße ≠ Strasse and
		// all four bigrams differ.
		{"de", Words, "Straße und Strasse und Straße", 5, [4]float64{0.4, 0, 0, 0},
			-(0.4*math.Log2(0.4) + 0.4*math.Log2(0.4) + 0.2*math.Log2(0.2)), 1, [3]float64{0, 0, 0}, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := mustScorer(t, Options{Tokens: tc.tok})
			r := mustScore(t, s, tc.text)
			assert.Equal(t, tc.tokens, r.Tokens)
			for j := range 4 {
				if math.IsNaN(tc.seqRep[j]) {
					assert.True(t, math.IsNaN(r.SeqRep[j]), "seq_rep_%d", j+1)
					assert.True(t, math.IsNaN(r.Distinct[j]), "distinct_%d", j+1)
				} else {
					assert.InDelta(t, tc.seqRep[j], r.SeqRep[j], 1e-12, "seq_rep_%d", j+1)
					assert.InDelta(t, 1-tc.seqRep[j], r.Distinct[j], 1e-12, "distinct_%d", j+1)
				}
			}
			if math.IsNaN(tc.entropy) {
				assert.True(t, math.IsNaN(r.EntropyBits))
			} else {
				assert.InDelta(t, tc.entropy, r.EntropyBits, 1e-12)
			}
			assert.Equal(t, tc.longest, r.LongestRepeat)
			for n := 2; n <= 4; n++ {
				if math.IsNaN(tc.simctgRep[n-2]) {
					assert.True(t, math.IsNaN(r.SimCTG.Rep(n)), "simctg rep %d", n)
				} else {
					assert.InDelta(t, tc.simctgRep[n-2], r.SimCTG.Rep(n), 1e-12, "simctg rep %d", n)
				}
			}
			if math.IsNaN(tc.simctgDiver) {
				assert.True(t, math.IsNaN(r.SimCTG.Diversity()))
			} else {
				assert.InDelta(t, tc.simctgDiver, r.SimCTG.Diversity(), 1e-12)
			}
			if tc.text == "" {
				assert.True(t, math.IsNaN(r.ZlibRatio))
			} else {
				assert.Greater(t, r.ZlibRatio, 0.0)
			}
		})
	}
}

func TestLongestRepeatMatchesNaive(t *testing.T) {
	cases := []string{
		"a", "a b", "a a", "a b a", "a b c a b c", "x a b c d e f g h i j a b c d e f g h i j y",
		strings.Repeat("a b c ", 40) + "a b", strings.Repeat("z ", 300),
	}
	// Pseudo-random texts over small vocabularies hit every branch of the
	// lifting (lengths around powers of two included).
	state := uint64(12345)
	next := func() uint64 { state = state*6364136223846793005 + 1442695040888963407; return state >> 33 }
	for i := range 200 {
		n := int(next()%120) + 1
		v := int(next()%4) + 2
		var sb strings.Builder
		for range n {
			fmt.Fprintf(&sb, "w%d ", next()%uint64(v))
		}
		if i%3 == 0 { // a long planted repeat
			base := sb.String()
			sb.WriteString("q ")
			sb.WriteString(base[:len(base)/2])
		}
		cases = append(cases, sb.String())
	}
	s := mustScorer(t, Options{Tokens: Whitespace})
	for i, text := range cases {
		r := mustScore(t, s, text)
		require.Equal(t, naiveLongestRepeat(strings.Fields(text)), r.LongestRepeat, "case %d: %q", i, text)
	}
}

func TestResultJSON(t *testing.T) {
	s := mustScorer(t, Options{})
	r := mustScore(t, s, "a a a")
	got := string(r.AppendJSON(nil))
	assert.Equal(t, `{"tokens":3,"seq_rep_1":0.6666666666666667,"seq_rep_2":0.5,"seq_rep_3":0,"seq_rep_4":null,`+
		`"distinct_1":0.3333333333333333,"distinct_2":0.5,"distinct_3":1,"distinct_4":null,`+
		`"entropy_bits":0,"zlib_ratio":0.38461538461538464,"longest_repeat":2}`, got)
	var m map[string]any
	require.NoError(t, json.Unmarshal([]byte(got), &m))

	r = mustScore(t, s, "")
	assert.Equal(t, `{"tokens":0,"seq_rep_1":null,"seq_rep_2":null,"seq_rep_3":null,"seq_rep_4":null,`+
		`"distinct_1":null,"distinct_2":null,"distinct_3":null,"distinct_4":null,`+
		`"entropy_bits":null,"zlib_ratio":null,"longest_repeat":0}`, string(r.AppendJSON(nil)))

	// zlib ratios from Python's len(s)/len(zlib.compress(s)).
	s2 := mustScorer(t, Options{NGrams: []int{5, 2}})
	r = mustScore(t, s2, "a b a b a b")
	b, err := json.Marshal(r)
	require.NoError(t, err)
	assert.Equal(t, `{"tokens":6,"seq_rep_2":0.6,"seq_rep_5":0,"distinct_2":0.4,"distinct_5":1,`+
		`"entropy_bits":1,"zlib_ratio":0.7857142857142857,"longest_repeat":4}`, string(b))
}

func TestScoreIDs(t *testing.T) {
	s := mustScorer(t, Options{Tokens: Model})
	_, err := s.Score("text")
	require.Error(t, err)
	r := s.ScoreIDs([]int32{7, 7, 7, 7}, "")
	assert.InDelta(t, 0.75, r.SeqRep[0], 1e-12)
	assert.Equal(t, 3, r.LongestRepeat)
	assert.True(t, math.IsNaN(r.ZlibRatio))
	assert.Equal(t, []uint64{7, 7, 7, 7}, s.Keys())
	// Large ids (a 128k vocabulary) and negative ones are just labels.
	r = s.ScoreIDs([]int32{127999, -1, 127999, -1, 5}, "x")
	assert.InDelta(t, 1-3.0/5, r.SeqRep[0], 1e-12)
	assert.Equal(t, 2, r.LongestRepeat)
}

func TestOptions(t *testing.T) {
	for _, o := range []Options{{NGrams: []int{0}}, {NGrams: []int{MaxNGram + 1}}, {ZlibLevel: 3}, {ZlibLevel: 10}, {Tokens: 9}} {
		_, err := NewScorer(o)
		assert.Error(t, err, "%+v", o)
	}
	for _, name := range []string{"words", "chars", "whitespace", "model"} {
		tk, err := ParseTokenization(name)
		require.NoError(t, err)
		assert.Equal(t, name, tk.String())
	}
	tk, err := ParseTokenization("ws")
	require.NoError(t, err)
	assert.Equal(t, Whitespace, tk)
	_, err = ParseTokenization("bpe")
	assert.Error(t, err)
}

func TestTailPeriod(t *testing.T) {
	tests := []struct {
		toks []string
		want int
	}{
		{strings.Fields("a b c a b c a b c"), 3},
		{strings.Fields("x a a a"), 1},
		{strings.Fields("a a"), 0},
		{strings.Fields("a b a b a"), 0}, // only two copies of "a b" before the tail a
		{strings.Fields("q a b a b a b"), 2},
		{nil, 0},
	}
	for _, tc := range tests {
		assert.Equal(t, tc.want, TailPeriod(tc.toks, 1, 64, 3), "%v", tc.toks)
	}
	assert.Equal(t, 0, TailPeriod(strings.Fields("a a a"), 1, 0, 3))
	assert.Equal(t, 0, TailPeriod(strings.Fields("a a a"), 1, 4, 1))
	assert.Equal(t, 2, TailPeriod(strings.Fields("a b a b"), 0, 4, 2))
}
