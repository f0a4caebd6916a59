package kernels

import (
	"math"
	"testing"
)

// swigluRef is h·sigmoid(h)·g in float64.
func swigluRef(h, g float32) float64 {
	v := float64(h)
	return v / (1 + math.Exp(-v)) * float64(g)
}

// swigluTol is the allowed distance from the float64 value: the float32
// e^x is within 3 ulp, and the addition, division and two products add
// about 2 more; 2e-6 relative is 16 ulp. Results that underflow (h below
// about -88, where e^-h overflows float32) are held to an absolute bound.
func swigluTol(want float64) float64 { return 2e-6*math.Abs(want) + 1e-30 }

var swigluSpecials = []float32{0, float32(math.Copysign(0, -1)), 1e-30, -1e-30, 1e-40, 0.5, -0.5, 1, -1,
	3.7, -3.7, 20, -20, 87.5, -87.5, 88.8, -88.8, 89, -89, 103.9, -103.9, 104.5, -104.5, 200, -200, 3e38, -3e38}

func TestSwiGLU(t *testing.T) {
	r := newTestRand(31)
	forEachImpl(t, func(t *testing.T) {
		for n := 0; n <= maxLen; n++ {
			for _, off := range []int{0, 1, 3} {
				h, check := guarded(n, off)
				in := make([]float32, n)
				g := randF32(r, n+off)[off:]
				for i := range in {
					in[i] = (r.Float32()*2 - 1) * 12
					if i%5 == 0 {
						in[i] = swigluSpecials[r.IntN(len(swigluSpecials))]
					}
				}
				copy(h, in)
				SwiGLU(h, g)
				check(t)
				for i := range h {
					want := swigluRef(in[i], g[i])
					if d := math.Abs(float64(h[i]) - want); !(d <= swigluTol(want)) {
						t.Fatalf("n=%d off=%d: SwiGLU(%v, %v) = %v, want %v", n, off, in[i], g[i], h[i], want)
					}
				}
			}
		}
	})
}

// TestSwiGLUNonFinite: infinities and NaN come out as the generic kernel
// gives them (silu(+Inf) = +Inf, silu(-Inf) = -Inf·0 = NaN, NaN stays NaN).
func TestSwiGLUNonFinite(t *testing.T) {
	inf := float32(math.Inf(1))
	nan := float32(math.NaN())
	in := []float32{inf, -inf, nan, inf, 2}
	g := []float32{2, 2, 2, -1, nan}
	want := append([]float32(nil), in...)
	withImpl("generic", func() { SwiGLU(want, g) })
	forEachImpl(t, func(t *testing.T) {
		got := append([]float32(nil), in...)
		SwiGLU(got, g)
		for i := range got {
			same := got[i] == want[i] || (got[i] != got[i] && want[i] != want[i])
			if !same {
				t.Errorf("SwiGLU(%v, %v) = %v, generic %v", in[i], g[i], got[i], want[i])
			}
		}
	})
}

func FuzzSwiGLU(f *testing.F) {
	f.Add([]byte{0x00, 0x3c, 0x00, 0x40, 0x00, 0xbc, 0x00, 0x3c, 0x01, 0x80, 0xff, 0x7b})
	f.Fuzz(func(t *testing.T, data []byte) {
		n := len(data) / 4
		hv := halves(data, n)
		// widen the halves' range (±65504) down to where SwiGLU lives,
		// keeping their spread of magnitudes
		for i := range hv {
			hv[i] /= 256
		}
		g := halves(data[2*n:], n)
		want := append([]float32(nil), hv...)
		withImpl("generic", func() { SwiGLU(want, g) })
		for _, name := range fastImpls() {
			got := append([]float32(nil), hv...)
			withImpl(name, func() { SwiGLU(got, g) })
			for i := range got {
				ref := swigluRef(hv[i], g[i])
				if d := math.Abs(float64(got[i]) - ref); !(d <= swigluTol(ref)) {
					t.Fatalf("%s: SwiGLU(%v, %v) = %v, want %v (generic %v)", name, hv[i], g[i], got[i], ref, want[i])
				}
			}
		}
	})
}
