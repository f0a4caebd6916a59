package model

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestRopeFrequencies(t *testing.T) {
	c := Config{Dim: 64, NHeads: 4, SeqLen: 512, RopeTheta: 10000} // head_dim 16, 8 pairs
	base := make([]float32, 8)
	assert.Equal(t, float32(1), ropeFrequencies(base, c, RopeScaling{}))
	for i, f := range base {
		// llama2.c's 1/10000^(2i/16).
		assert.InDelta(t, 1/math.Pow(10000, float64(2*i)/16), float64(f), 1e-7) // float32
	}

	t.Run("linear divides positions by the factor", func(t *testing.T) {
		got := make([]float32, 8)
		assert.Equal(t, float32(1), ropeFrequencies(got, c, RopeScaling{Type: "linear", Factor: 4}))
		for i := range got {
			assert.InDelta(t, base[i]/4, got[i], 1e-9)
		}
	})

	t.Run("freq base replaces theta", func(t *testing.T) {
		got := make([]float32, 8)
		ropeFrequencies(got, c, RopeScaling{FreqBase: 40000})
		assert.Equal(t, base[0], got[0])
		assert.InDelta(t, 1/math.Pow(40000, 14.0/16), float64(got[7]), 1e-9)
	})

	t.Run("yarn factor 1 is no scaling", func(t *testing.T) {
		got := make([]float32, 8)
		assert.Equal(t, float32(1), ropeFrequencies(got, c, RopeScaling{Type: "yarn", Factor: 1}))
		assert.Equal(t, base, got)
	})

	t.Run("yarn keeps fast pairs and interpolates slow ones", func(t *testing.T) {
		got := make([]float32, 8)
		ms := ropeFrequencies(got, c, RopeScaling{Type: "yarn", Factor: 4})
		assert.InDelta(t, 1+0.1*math.Log(4), float64(ms), 1e-6)
		// Ramp bounds by hand: dim(r) = 16·ln(512/(2πr)) / (2·ln 10000):
		// dim(32) = 0.81 -> low 0; dim(1) = 3.82 -> high 4.
		assert.Equal(t, base[0], got[0], "pair 0 rotates 512/(2π) ≈ 81 times: kept")
		for i := 4; i < 8; i++ {
			assert.InDelta(t, base[i]/4, got[i], 1e-12, "slow pair %d is interpolated", i)
		}
		for i := 1; i < 4; i++ {
			keep := 1 - float64(i)/4
			want := float64(base[i])/4*(1-keep) + float64(base[i])*keep
			assert.InDelta(t, want, float64(got[i]), 1e-7, "pair %d on the ramp", i)
		}
	})
}
