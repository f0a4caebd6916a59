package generate_test

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/degen-llm/degen/generate"
	"github.com/degen-llm/degen/generate/sample"
)

// bigramLM is a hand-built language model whose next-token distribution
// depends only on the last token fed. Token 0 is the end of generation.
type bigramLM struct {
	probs  [][]float64 // probs[last][next]
	angles []float64   // hidden state of token i: (cos, sin) of angles[i]
}

const (
	tEOS = 0
	tA   = 1
	tB   = 2
	tC   = 3 // the prompt
)

// tableLM: after the prompt C, A is the most likely token, but A is then
// often followed by more text while B almost always ends the sequence, so
// "B <eos>" (0.4·0.9 = 0.36) beats greedy's "A <eos>" (0.5·0.4 = 0.2).
func tableLM() *bigramLM {
	return &bigramLM{probs: [][]float64{
		tEOS: {1, 0, 0, 0},
		tA:   {0.4, 0.3, 0.3, 0},
		tB:   {0.9, 0.05, 0.05, 0},
		tC:   {0.1, 0.5, 0.4, 0},
	}, angles: []float64{tEOS: math.Pi, tA: 0, tB: math.Pi / 2, tC: 0}}
}

func (l *bigramLM) NewSeq() (generate.Seq, error) {
	return &bigramSeq{lm: l, logits: make([]float32, 4), hidden: make([]float32, 2)}, nil
}
func (l *bigramLM) Context() int   { return 64 }
func (l *bigramLM) VocabSize() int { return 4 }

type bigramSeq struct {
	lm     *bigramLM
	logits []float32
	hidden []float32
}

func (s *bigramSeq) Forward(token, pos int) []float32 {
	for i, p := range s.lm.probs[token] {
		s.logits[i] = float32(math.Log(p)) // log 0 = -Inf: impossible
	}
	// A 2-d "hidden state" per token for contrastive search.
	a := s.lm.angles[token]
	s.hidden[0], s.hidden[1] = float32(math.Cos(a)), float32(math.Sin(a))
	return s.logits
}
func (s *bigramSeq) Logits() []float32 { return s.logits }
func (s *bigramSeq) Hidden() []float32 { return s.hidden }
func (s *bigramSeq) CopyFrom(src generate.Seq, n int) {
	o := src.(*bigramSeq)
	copy(s.logits, o.logits)
	copy(s.hidden, o.hidden)
}

func fakeDecoder() *generate.Decoder {
	return &generate.Decoder{LM: tableLM(), Vocab: sample.VocabInfo{EOS: []int32{tEOS}}}
}

func TestBeamSearchHandComputed(t *testing.T) {
	ln := math.Log
	type hyp struct {
		tokens []int
		score  float64
		reason string
	}
	cases := []struct {
		name  string
		beams int
		lp    float32
		es    generate.EarlyStopping
		n     int
		want  []hyp
	}{
		// Greedy gives "A <eos>"; two beams find "B <eos>" (score ln .36 / 2).
		// After step 1 both finished slots are taken and the best running
		// beam (ln .15 / 2) cannot beat the worst, so the search ends.
		{"two beams", 2, 1, generate.EarlyStoppingFalse, 2, []hyp{
			{[]int{tB}, ln(0.36) / 2, generate.FinishEOS},
			{[]int{tA}, ln(0.2) / 2, generate.FinishEOS},
		}},
		// "never" compares the best running beam at the longest reachable
		// length (ln .15 / 3 > ln .2 / 2), so it searches on and finds
		// "A B <eos>" (ln(.5·.3·.9) / 3), which replaces "A <eos>".
		{"never", 2, 1, generate.EarlyStoppingNever, 2, []hyp{
			{[]int{tB}, ln(0.36) / 2, generate.FinishEOS},
			{[]int{tA, tB}, ln(0.135) / 3, generate.FinishEOS},
		}},
		// With three beams the immediate <eos> (rank 2 of the first step)
		// enters the finished set; early_stopping true stops as soon as three
		// hypotheses are finished (after step 1).
		{"early stopping true", 3, 1, generate.EarlyStoppingTrue, 3, []hyp{
			{[]int{tB}, ln(0.36) / 2, generate.FinishEOS},
			{[]int{tA}, ln(0.2) / 2, generate.FinishEOS},
			{[]int{}, ln(0.1), generate.FinishEOS},
		}},
		// early_stopping false goes on while the best running beam
		// (ln .15 / 2) beats the worst finished one (ln .1); at the budget of
		// 3 the running beams are finalised: "A A <eos>"... the top three of
		// the last step are A B <eos>, A A <eos>, A A A (length).
		{"early stopping false", 3, 1, generate.EarlyStoppingFalse, 3, []hyp{
			{[]int{tB}, ln(0.36) / 2, generate.FinishEOS},
			{[]int{tA, tB}, ln(0.135) / 3, generate.FinishEOS},
			{[]int{tA}, ln(0.2) / 2, generate.FinishEOS},
		}},
		// A negative length penalty multiplies the (negative) sums by
		// length^3: the empty hypothesis wins.
		{"length penalty -3", 3, -3, generate.EarlyStoppingFalse, 3, []hyp{
			{[]int{}, ln(0.1), generate.FinishEOS},
			{[]int{tB}, ln(0.36) * 8, generate.FinishEOS},
			{[]int{tA}, ln(0.2) * 8, generate.FinishEOS},
		}},
		// length_penalty 0: raw sums (canonical beam search with "never").
		{"length penalty 0", 2, 0, generate.EarlyStoppingNever, 2, []hyp{
			{[]int{tB}, ln(0.36), generate.FinishEOS},
			{[]int{tA}, ln(0.2), generate.FinishEOS},
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := generate.DefaultParams()
			p.MaxNewTokens = 3
			p.NumBeams, p.LengthPenalty, p.EarlyStopping, p.NumReturnSequences = tc.beams, tc.lp, tc.es, tc.n
			out, err := fakeDecoder().Decode([]int{tC}, p, 0)
			require.NoError(t, err)
			assert.Equal(t, generate.StrategyBeam, out.Strategy)
			require.Len(t, out.Sequences, len(tc.want))
			for i, w := range tc.want {
				s := out.Sequences[i]
				assert.Equal(t, w.tokens, s.Tokens, "hypothesis %d", i)
				assert.InDelta(t, w.score, s.Score, 1e-5, "hypothesis %d", i)
				assert.Equal(t, w.reason, s.FinishReason, "hypothesis %d", i)
				assert.Equal(t, i, s.SampleIndex)
			}
		})
	}
}

func TestBeamSearchBudget(t *testing.T) {
	// With a budget of 1 every candidate of the first step is finished:
	// the top two are A (length) and B (length), ranked before <eos>.
	p := generate.DefaultParams()
	p.MaxNewTokens, p.NumBeams, p.NumReturnSequences = 1, 2, 2
	out, err := fakeDecoder().Decode([]int{tC}, p, 0)
	require.NoError(t, err)
	require.Len(t, out.Sequences, 2)
	assert.Equal(t, []int{tA}, out.Sequences[0].Tokens)
	assert.Equal(t, generate.FinishLength, out.Sequences[0].FinishReason)
	assert.InDelta(t, math.Log(0.5), out.Sequences[0].Score, 1e-6)
	assert.Equal(t, []int{tB}, out.Sequences[1].Tokens)
}

func TestDiverseBeamSearchHandComputed(t *testing.T) {
	// Two groups of one beam. Without a diversity penalty both groups run
	// the same one-beam search ("A <eos>"); with it group 1 may not start
	// with group 0's A and takes B, ending "B <eos>" (ln .36 / 2), which is
	// the better hypothesis.
	for _, tc := range []struct {
		penalty float32
		want    [][]int
		scores  []float64
	}{
		{0, [][]int{{tA}, {tA}}, []float64{math.Log(0.2) / 2, math.Log(0.2) / 2}},
		{10, [][]int{{tB}, {tA}}, []float64{math.Log(0.36) / 2, math.Log(0.2) / 2}},
	} {
		p := generate.DefaultParams()
		p.MaxNewTokens, p.NumBeams, p.NumBeamGroups, p.NumReturnSequences = 2, 2, 2, 2
		p.DiversityPenalty = tc.penalty
		out, err := fakeDecoder().Decode([]int{tC}, p, 0)
		require.NoError(t, err)
		assert.Equal(t, generate.StrategyDiverseBeam, out.Strategy)
		require.Len(t, out.Sequences, 2)
		for i := range tc.want {
			assert.Equal(t, tc.want[i], out.Sequences[i].Tokens, "penalty %v", tc.penalty)
			assert.InDelta(t, tc.scores[i], out.Sequences[i].Score, 1e-5)
		}
	}
}

func TestBeamSearchOnLogProbsWithRepetitionPenalty(t *testing.T) {
	// The chain runs on log-probs: a repetition penalty of 2 doubles the
	// (negative) log-prob of the prompt token C... which is impossible
	// anyway, and of A after "A": "A A" costs ln .3·2. The result of the
	// two-beam search must still be B <eos> with ln .4 + ln .9 (neither
	// token was seen before it).
	p := generate.DefaultParams()
	p.MaxNewTokens, p.NumBeams, p.RepetitionPenalty = 3, 2, 2
	out, err := fakeDecoder().Decode([]int{tC}, p, 0)
	require.NoError(t, err)
	assert.Equal(t, "repetition_penalty(2)", out.Sampler)
	assert.Equal(t, []int{tB}, out.Sequences[0].Tokens)
	assert.InDelta(t, math.Log(0.36)/2, out.Sequences[0].Score, 1e-5)
}

func TestContrastiveHandComputed(t *testing.T) {
	// Hidden states: C and A point the same way, B is orthogonal to both,
	// <eos> opposite C and A. Context: C. Step 1, top-2 by probability:
	// A (.5, cos 1 with C), B (.4, cos 0). α = .5: A: .25 − .5 = −.25;
	// B: .2 − 0 = .2 → B, where greedy takes A. Step 2 from B: <eos> (.9,
	// max cos over {C, B} = 0) scores .45; A (.05, cos 1) −.475 → <eos>.
	cases := []struct {
		alpha float32
		want  []int
	}{
		{0.5, []int{tB}},
		// A small α leaves the probabilities in charge: A: .5·.95 − .05 = .425
		// beats B: .38; then from A: <eos> (.4, max cos over {C, A} = −1)
		// scores .38 + .05; A (.3, cos 1) .285 − .05 → <eos>.
		{0.05, []int{tA}},
	}
	for _, tc := range cases {
		p := generate.DefaultParams()
		p.MaxNewTokens, p.PenaltyAlpha, p.TopK = 5, tc.alpha, 2
		out, err := fakeDecoder().Decode([]int{tC}, p, 0)
		require.NoError(t, err)
		assert.Equal(t, generate.StrategyContrastive, out.Strategy)
		assert.Equal(t, tc.want, out.Sequences[0].Tokens, "alpha %v", tc.alpha)
		assert.Equal(t, generate.FinishEOS, out.Sequences[0].FinishReason)
	}
	// Greedy on the same model takes A.
	p := generate.DefaultParams()
	p.MaxNewTokens = 5
	out, err := fakeDecoder().Decode([]int{tC}, p, 0)
	require.NoError(t, err)
	assert.Equal(t, []int{tA}, out.Sequences[0].Tokens)
}

func TestBeamTieContinuationBeforeEOS(t *testing.T) {
	// After the prompt, <eos> and B are exactly tied (0.3 each) for the
	// second place behind A (0.4). The tie rule puts the continuation
	// first, so B takes rank 1 and <eos> falls to rank 2, past num_beams=2,
	// and does not enter the finished set: the budget of 1 then finishes
	// A and B. Ranking <eos> first (lower id) would return "" instead of B.
	lm := &bigramLM{probs: [][]float64{
		tEOS: {1, 0, 0, 0},
		tA:   {0.4, 0.3, 0.3, 0},
		tB:   {0.9, 0.05, 0.05, 0},
		tC:   {0.3, 0.4, 0.3, 0},
	}, angles: []float64{0, 0, 0, 0}}
	for _, es := range []generate.EarlyStopping{generate.EarlyStoppingTrue, generate.EarlyStoppingFalse, generate.EarlyStoppingNever} {
		p := generate.DefaultParams()
		p.MaxNewTokens, p.NumBeams, p.NumReturnSequences, p.EarlyStopping = 1, 2, 2, es
		d := &generate.Decoder{LM: lm, Vocab: sample.VocabInfo{EOS: []int32{tEOS}}}
		out, err := d.Decode([]int{tC}, p, 0)
		require.NoError(t, err)
		require.Len(t, out.Sequences, 2)
		assert.Equal(t, []int{tA}, out.Sequences[0].Tokens, "early stopping %s", es)
		assert.Equal(t, []int{tB}, out.Sequences[1].Tokens, "early stopping %s", es)
		assert.Equal(t, generate.FinishLength, out.Sequences[1].FinishReason)
		assert.InDelta(t, math.Log(0.3), out.Sequences[1].Score, 1e-6)
	}
}

func TestDiverseBeamPenaltyAtLastStep(t *testing.T) {
	// Two groups of one beam and a budget of one token: the budget ends
	// both groups at their first step, but group 1 must still lose the
	// penalty for group 0's A (HF checks the length after all groups have
	// chosen), so it takes B (ln .4) instead of a second A.
	p := generate.DefaultParams()
	p.MaxNewTokens, p.NumBeams, p.NumBeamGroups, p.NumReturnSequences = 1, 2, 2, 2
	p.DiversityPenalty = 10
	out, err := fakeDecoder().Decode([]int{tC}, p, 0)
	require.NoError(t, err)
	require.Len(t, out.Sequences, 2)
	assert.Equal(t, []int{tA}, out.Sequences[0].Tokens)
	assert.InDelta(t, math.Log(0.5), out.Sequences[0].Score, 1e-6)
	assert.Equal(t, []int{tB}, out.Sequences[1].Tokens)
	assert.InDelta(t, math.Log(0.4), out.Sequences[1].Score, 1e-6)
	assert.Equal(t, generate.FinishLength, out.Sequences[1].FinishReason)
}
