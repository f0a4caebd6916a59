package kernels

import (
	"math"
	"sync"
)

// GeGLU computes h[i] = GELU(h[i]) · g[i] (Gemma's feed-forward gate) with
// llama.cpp's CPU arithmetic, so that Gemma models match it: GELU in its
// tanh form, 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))), read from a table
// indexed by x rounded to F16 and stored as F16 (ggml's GGML_GELU_FP16),
// 0 below -10 and x above 10. The table's rounding (about 2⁻¹¹ of the
// value) is what llama.cpp computes; Hugging Face's float32 GELU differs
// from it by that much.
func GeGLU(h, g []float32) {
	if len(h) != len(g) {
		panic("kernels: GeGLU length mismatch")
	}
	geluOnce.Do(buildGELU)
	for i, x := range h {
		switch {
		case x <= -10:
			h[i] = 0
		case x >= 10:
			h[i] = x * g[i]
		default:
			h[i] = geluTable[F32ToF16(x)] * g[i]
		}
	}
}

var (
	geluOnce  sync.Once
	geluTable *[1 << 16]float32 // GELU of every F16 value, rounded to F16
)

func buildGELU() {
	t := new([1 << 16]float32)
	const sqrt2OverPi = 0.79788456080286535587989211986876
	const coefA = 0.044715
	for i := range t {
		x := F16ToF32(uint16(i))
		// float32 operations in ggml_gelu_f32's order, tanh in float64
		// rounded (tanhf is correctly rounded or within an ulp of it).
		inner := float32(sqrt2OverPi) * x * (1 + float32(coefA)*x*x)
		y := 0.5 * x * (1 + float32(math.Tanh(float64(inner))))
		t[i] = F16ToF32(F32ToF16(y))
	}
	geluTable = t
}
