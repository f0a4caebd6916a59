package sample

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Hand-computed cases on decoding.md's running example z0 (p ≈ .5630,
// .2071, .1256, .0762, .0280; H = 1.2065 nats) and small tie cases.
func TestTruncationWorkedExamples(t *testing.T) {
	tests := []struct {
		name string
		p    Processor
		z    []float32
		want []int32
	}{
		{"top_k 2", TopK{K: 2}, z0, []int32{0, 1}},
		{"top_k 0 is off", TopK{K: 0}, z0, []int32{0, 1, 2, 3, 4}},
		{"top_k ≥ vocab keeps all", TopK{K: 9}, z0, []int32{0, 1, 2, 3, 4}},
		{"top_k keeps ties at the k-th logit (HF)", TopK{K: 2}, []float32{3, 1, 2, 2, 2}, []int32{0, 2, 3, 4}},
		{"top_k exact breaks ties by lower id", TopK{K: 2, Exact: true}, []float32{3, 1, 2, 2, 2}, []int32{0, 2}},
		{"top_k min_keep raises k", TopK{K: 1, MinKeep: 3}, z0, []int32{0, 1, 2}},
		{"top_p 0.8 (decoding.md)", TopP{P: 0.8}, z0, []int32{0, 1, 2}},
		{"top_p 0.5 keeps the crossing token", TopP{P: 0.5}, z0, []int32{0}},
		{"top_p 0.57 needs two", TopP{P: 0.57}, z0, []int32{0, 1}},
		{"top_p 1 is off", TopP{P: 1}, z0, []int32{0, 1, 2, 3, 4}},
		{"top_p tiny keeps the best", TopP{P: 1e-9}, z0, []int32{0}},
		{"top_p min_keep", TopP{P: 0.1, MinKeep: 2}, z0, []int32{0, 1}},
		{"min_p 0.2 (decoding.md)", MinP{P: 0.2}, z0, []int32{0, 1, 2}},
		{"min_p 0.37 cuts at 0.2083", MinP{P: 0.37}, z0, []int32{0}},
		{"min_p 0 is off", MinP{P: 0}, z0, []int32{0, 1, 2, 3, 4}},
		{"min_p min_keep", MinP{P: 0.9, MinKeep: 2}, z0, []int32{0, 1}},
		{"typical_p 0.5 (decoding.md)", TypicalP{P: 0.5}, z0, []int32{0, 1}},
		{"typical_p 0.85: cum .2071 .7701 < .85 → last = 2", TypicalP{P: 0.85}, z0, []int32{0, 1, 2}},
		{"typical_p 0.9: HF keeps the token crossing the mass too", TypicalP{P: 0.9}, z0, []int32{0, 1, 2, 3}},
		{"typical_p 0.2 keeps the most typical", TypicalP{P: 0.2}, z0, []int32{1}},
		{"typical_p min_keep in score order", TypicalP{P: 0.2, MinKeep: 2}, z0, []int32{0, 1}},
		{"epsilon 0.1", EpsilonCutoff{Epsilon: 0.1}, z0, []int32{0, 1, 2}},
		{"epsilon 0.2", EpsilonCutoff{Epsilon: 0.2}, z0, []int32{0, 1}},
		{"epsilon keeps the top logit", EpsilonCutoff{Epsilon: 0.9}, z0, []int32{0}},
		{"epsilon min_keep", EpsilonCutoff{Epsilon: 0.9, MinKeep: 3}, z0, []int32{0, 1, 2}},
		{"eta 0.1 → η = 0.0946 (decoding.md)", EtaCutoff{Epsilon: 0.1}, z0, []int32{0, 1, 2}},
		{"eta 0.5 → η = min(.5, .707·e^−H = .2109)", EtaCutoff{Epsilon: 0.5}, z0, []int32{0}},
		{"top_n_sigma 1 (σ = 1, decoding.md)", TopNSigma{N: 1}, z0, []int32{0, 1}},
		{"top_n_sigma 2.5", TopNSigma{N: 2.5}, z0, []int32{0, 1, 2, 3}},
		{"top_n_sigma ignores -inf", TopNSigma{N: 1}, []float32{2, 1, 0.5, 0, -1, float32(math.Inf(-1))}, []int32{0, 1}},
		{"temperature 0 keeps the arg-max", Temperature{T: 0}, []float32{1, 4, 4, 2}, []int32{1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := cands(tt.z...)
			tt.p.Process(nil, c)
			checkAligned(t, c)
			assert.Equal(t, tt.want, ids(c))
			for i, id := range c.IDs {
				if _, ok := tt.p.(Temperature); !ok {
					assert.Equal(t, tt.z[id], c.Logits[i], "truncation leaves logits alone")
				}
			}
		})
	}
}

func TestTemperatureScales(t *testing.T) {
	for _, tt := range []struct {
		T    float32
		want []float32
	}{
		{1, z0},
		{0.5, []float32{4, 2, 1, 0, -2}},
		{2, []float32{1, 0.5, 0.25, 0, -0.5}},
	} {
		c := cands(z0...)
		Temperature{T: tt.T}.Process(nil, c)
		assert.Equal(t, tt.want, c.Logits, "T=%v", tt.T)
	}
}

// Properties over random distributions, including many ties and -inf.
func TestTruncationProperties(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for trial := range 200 {
		n := 1 + r.IntN(200)
		z := make([]float32, n)
		for i := range z {
			switch r.IntN(10) {
			case 0:
				z[i] = float32(math.Inf(-1))
			case 1:
				z[i] = 1
			default:
				z[i] = float32(r.NormFloat64() * 3)
			}
		}
		z[r.IntN(n)] = 5 // at least one finite logit
		best := Greedy(cands(z...))
		for _, p := range []Processor{
			TopK{K: 1 + r.IntN(n)}, TopK{K: 1 + r.IntN(n), Exact: true}, TopP{P: r.Float32()}, MinP{P: r.Float32()},
			TypicalP{P: r.Float32()}, EpsilonCutoff{Epsilon: r.Float32()}, EtaCutoff{Epsilon: r.Float32()},
			TopNSigma{N: r.Float32() * 3}, Temperature{T: 0},
		} {
			c := cands(z...)
			p.Process(nil, c)
			checkAligned(t, c)
			require.GreaterOrEqual(t, c.Len(), 1, "trial %d %s keeps at least one", trial, p)
			switch p.(type) {
			case TypicalP: // typical sampling may drop the arg-max
			default:
				assert.Contains(t, c.IDs, best, "trial %d %s keeps the arg-max", trial, p)
			}
			if k, ok := p.(TopK); ok && k.Exact {
				assert.Equal(t, min(k.K, n), c.Len())
			}
		}
		// Identities.
		for _, p := range []Processor{TopK{K: n}, TopK{K: 0}, TopP{P: 1}, MinP{P: 0}, TypicalP{P: 1}, Temperature{T: 1}} {
			c := cands(z...)
			p.Process(nil, c)
			assert.Equal(t, z, logits(c), "%s is the identity", p)
		}
	}
}

// After top_k leaves the set sorted, top_p must not need to sort again and
// must agree with top_p applied to the same k candidates fresh.
func TestTopKThenTopPAgreesWithFreshSet(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 9))
	z := make([]float32, 1000)
	for i := range z {
		z[i] = float32(r.NormFloat64() * 2)
	}
	c := cands(z...)
	TopK{K: 40}.Process(nil, c)
	require.True(t, c.Sorted)
	sub := make([]float32, 0, 40)
	for _, id := range c.IDs {
		sub = append(sub, z[id])
	}
	TopP{P: 0.7}.Process(nil, c)
	fresh := cands(sub...)
	TopP{P: 0.7}.Process(nil, fresh)
	assert.Equal(t, fresh.Len(), c.Len())
}
