package sample

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
)

var inf = float32(math.Inf(-1))

func TestRepetitionPenalty(t *testing.T) {
	tests := []struct {
		name string
		p    RepetitionPenalty
		h    *History
		want []float32
	}{
		// decoding.md §3.1: θ = 1.2, S = {0, 3, 4}.
		{"HF example", RepetitionPenalty{Penalty: 1.2}, hist(1, 0, 3, 4), []float32{2 / 1.2, 1, 0.5, 0, -1.2}},
		{"once per distinct id", RepetitionPenalty{Penalty: 1.2}, hist(0, 0, 0, 0, 4, 4), []float32{2 / 1.2, 1, 0.5, 0, -1.2}},
		{"θ < 1 rewards", RepetitionPenalty{Penalty: 0.5}, hist(0, 0, 4), []float32{4, 1, 0.5, 0, -0.5}},
		{"θ = 1 is the identity", RepetitionPenalty{Penalty: 1}, hist(0, 0, 1, 2, 3, 4), z0},
		{"prompt counts by default", RepetitionPenalty{Penalty: 2}, hist(2, 0, 1, 2), []float32{1, 0.5, 0.25, 0, -1}},
		{"skip prompt", RepetitionPenalty{Penalty: 2, Scope: Scope{SkipPrompt: true}}, hist(2, 0, 1, 2), []float32{2, 1, 0.25, 0, -1}},
		{"last_n window", RepetitionPenalty{Penalty: 2, Scope: Scope{LastN: 2}}, hist(0, 0, 1, 2), []float32{2, 0.5, 0.25, 0, -1}},
		{"last_n and skip prompt", RepetitionPenalty{Penalty: 2, Scope: Scope{LastN: 5, SkipPrompt: true}}, hist(3, 0, 1, 2, 4), []float32{2, 1, 0.5, 0, -2}},
		{"ids outside the vocabulary are ignored", RepetitionPenalty{Penalty: 2}, hist(0, 99, -1, 4), []float32{2, 1, 0.5, 0, -2}},
		{"empty history", RepetitionPenalty{Penalty: 2}, nil, z0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := cands(z0...)
			tt.p.Process(tt.h, c)
			assert.InDeltaSlice(t, tt.want, c.Logits, 1e-6)
			assert.Zero(t, c.counts[0]+c.counts[1]+c.counts[2]+c.counts[3]+c.counts[4], "scratch tallies are cleared")
		})
	}
}

// The penalty must land on the right ids when the candidates were already
// truncated and reordered (a samplers list with top_k before penalties).
func TestPenaltiesOnTruncatedSortedSet(t *testing.T) {
	c := cands(z0...)
	TopK{K: 3}.Process(nil, c) // ids 0, 1, 2 in order
	RepetitionPenalty{Penalty: 2}.Process(hist(0, 2, 4), c)
	assert.Equal(t, []int32{0, 1, 2}, c.IDs)
	assert.Equal(t, []float32{2, 1, 0.25}, c.Logits)
	assert.False(t, c.Sorted)
}

func TestFrequencyAndPresencePenalty(t *testing.T) {
	// decoding.md §3.3: counts {0: 3, 4: 1}, α_f = 0.5, α_p = 0.3.
	h := hist(0, 0, 4, 0, 0)
	c := cands(z0...)
	Chain{FrequencyPenalty{Penalty: 0.5}, PresencePenalty{Penalty: 0.3}}.Process(h, c)
	assert.InDeltaSlice(t, []float32{0.2, 1, 0.5, 0, -1.8}, c.Logits, 1e-6)

	t.Run("negative encourages", func(t *testing.T) {
		c := cands(z0...)
		FrequencyPenalty{Penalty: -1}.Process(hist(0, 1, 1), c)
		assert.Equal(t, []float32{2, 3, 0.5, 0, -1}, c.Logits)
	})
	t.Run("zero is the identity", func(t *testing.T) {
		c := cands(z0...)
		Chain{FrequencyPenalty{}, PresencePenalty{}}.Process(h, c)
		assert.Equal(t, z0, c.Logits)
	})
	t.Run("OpenAI scope: output only", func(t *testing.T) {
		c := cands(z0...)
		FrequencyPenalty{Penalty: 1, Scope: Scope{SkipPrompt: true}}.Process(hist(2, 0, 0, 0, 4), c)
		assert.Equal(t, []float32{1, 1, 0.5, 0, -2}, c.Logits)
	})
}

func TestNoRepeatNGram(t *testing.T) {
	tests := []struct {
		name string
		n    int
		toks []int32
		ban  []int32
	}{
		{"trigram 1 2 3 seen, context ends 1 2", 3, []int32{1, 2, 3, 1, 2}, []int32{3}},
		{"bigram after 2", 2, []int32{1, 2, 3, 1, 2}, []int32{3}},
		{"repeated token bans itself", 2, []int32{4, 4, 4}, []int32{4}},
		{"several continuations", 2, []int32{0, 1, 0, 3, 0}, []int32{1, 3}},
		{"unigram bans everything seen", 1, []int32{0, 2, 2}, []int32{0, 2}},
		{"context too short", 3, []int32{1}, nil},
		{"no complete earlier n-gram", 3, []int32{1, 2}, nil},
		{"off", 0, []int32{1, 1, 1}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := cands(z0...)
			NoRepeatNGram{N: tt.n}.Process(hist(1, tt.toks...), c)
			want := append([]float32(nil), z0...)
			for _, b := range tt.ban {
				want[b] = inf
			}
			assert.Equal(t, want, c.Logits)
		})
	}
}

func TestBadWords(t *testing.T) {
	bw := NewBadWords([][]int32{{4}, {2}, {1, 3}, {0, 1, 2}, {}}, []int32{2})
	tests := []struct {
		name string
		toks []int32
		ban  []int32
	}{
		{"single always, EOS single dropped", []int32{0}, []int32{4}},
		{"prefix 1 matches", []int32{2, 1}, []int32{3, 4}},
		{"prefix 0 1 matches both", []int32{3, 0, 1}, []int32{2, 3, 4}},
		{"prefix exactly the context", []int32{0, 1}, []int32{2, 3, 4}},
		{"prefix longer than the context is skipped", []int32{1}, []int32{3, 4}},
		{"no match", []int32{1, 0}, []int32{4}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := cands(z0...)
			bw.Process(hist(0, tt.toks...), c)
			want := append([]float32(nil), z0...)
			for _, b := range tt.ban {
				want[b] = inf
			}
			assert.Equal(t, want, c.Logits)
		})
	}
	assert.Equal(t, "bad_words(3)", bw.String())
}

func TestMinNewTokens(t *testing.T) {
	p := MinNewTokens{N: 2, EOS: []int32{2, 3}}
	for gen, banned := range map[int]bool{0: true, 1: true, 2: false, 5: false} {
		toks := make([]int32, 3+gen)
		c := cands(z0...)
		p.Process(hist(3, toks...), c)
		if banned {
			assert.Equal(t, []float32{2, 1, inf, inf, -1}, c.Logits, "generated %d", gen)
		} else {
			assert.Equal(t, z0, c.Logits, "generated %d", gen)
		}
	}
}

func TestLogitBias(t *testing.T) {
	b := NewLogitBias(map[int32]float32{4: 5, 0: -100, 7: 1})
	c := cands(z0...)
	b.Process(nil, c)
	assert.Equal(t, []float32{-98, 1, 0.5, 0, 4}, c.Logits)

	c = cands(z0...)
	TopK{K: 2}.Process(nil, c)
	b.Process(nil, c)
	assert.Equal(t, []int32{0, 1}, c.IDs)
	assert.Equal(t, []float32{-98, 1}, c.Logits)
	assert.False(t, c.Sorted)
}
