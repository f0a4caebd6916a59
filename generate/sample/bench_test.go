package sample

import (
	"math/rand/v2"
	"testing"
)

const benchVocab = 32000

func benchLogits() []float32 {
	r := rand.New(rand.NewPCG(1, 1))
	z := make([]float32, benchVocab)
	for i := range z {
		z[i] = float32(r.NormFloat64() * 2.5)
	}
	return z
}

func benchHistory() *History {
	r := rand.New(rand.NewPCG(2, 2))
	toks := make([]int32, 512)
	for i := range toks {
		toks[i] = int32(r.IntN(2000)) // text-like: a few thousand distinct ids
	}
	return &History{Tokens: toks, Prompt: 100, State: NewState(0, 0)}
}

func benchChain(b *testing.B, edit func(*Config)) {
	cfg := Defaults()
	cfg.DoSample = true
	edit(&cfg)
	v := VocabInfo{Size: benchVocab, EOS: []int32{2}, Piece: func(id int) string { return string(rune('a' + id%40)) }}
	ch, err := BuildChain(cfg, v)
	if err != nil {
		b.Fatal(err)
	}
	z, h := benchLogits(), benchHistory()
	c := NewCandidates(benchVocab)
	rng := NewRNG(0, 0)
	b.ReportAllocs()
	for b.Loop() {
		c.Reset(z)
		ch.Process(h, c)
		if ch.Select(h, c, rng.Float32()) < 0 {
			b.Fatal("no token")
		}
	}
}

// BenchmarkDefaultChain is Hugging Face's sampling default: top_k(50).
func BenchmarkDefaultChain(b *testing.B) { benchChain(b, func(*Config) {}) }

// BenchmarkLlamaCppChain is llama.cpp's default order and values with
// penalties and DRY switched on over a 512-token context.
func BenchmarkLlamaCppChain(b *testing.B) {
	benchChain(b, func(c *Config) {
		c.RepetitionPenalty, c.FrequencyPenalty, c.PresencePenalty = 1.1, 0.1, 0.1
		c.DRYMultiplier = 0.8
		c.TopK, c.TopP, c.MinP, c.Temperature = 40, 0.95, 0.05, 0.8
		c.Samplers = ParseSamplers("penalties;dry;top_n_sigma;top_k;typ_p;top_p;min_p;xtc;temperature")
	})
}

// BenchmarkTopPFullVocab: nucleus over all 32000 ids, no top_k first.
func BenchmarkTopPFullVocab(b *testing.B) {
	benchChain(b, func(c *Config) { c.TopK, c.TopP = 0, 0.9 })
}

// BenchmarkMinPFullVocab: min_p needs no softmax and no sort.
func BenchmarkMinPFullVocab(b *testing.B) {
	benchChain(b, func(c *Config) { c.TopK, c.MinP = 0, 0.05 })
}

// BenchmarkTypicalFullVocab: typical_p sorts the whole vocabulary by score.
func BenchmarkTypicalFullVocab(b *testing.B) {
	benchChain(b, func(c *Config) { c.TopK, c.TypicalP = 0, 0.9 })
}

func BenchmarkGreedy(b *testing.B) {
	z := benchLogits()
	c := NewCandidates(benchVocab)
	b.ReportAllocs()
	for b.Loop() {
		c.Reset(z)
		Greedy(c)
	}
}
