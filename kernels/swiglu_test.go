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

// softmaxRef is the softmax of x in float64.
func softmaxRef(x []float32) []float64 {
	mx := math.Inf(-1)
	for _, v := range x {
		mx = math.Max(mx, float64(v))
	}
	out := make([]float64, len(x))
	var sum float64
	for i, v := range x {
		out[i] = math.Exp(float64(v) - mx)
		sum += out[i]
	}
	for i := range out {
		out[i] /= sum
	}
	return out
}

func TestSoftmax(t *testing.T) {
	r := newTestRand(32)
	forEachImpl(t, func(t *testing.T) {
		for _, n := range []int{1, 2, 15, 16, 17, 31, 33, 64, 100, 1000} {
			for _, spread := range []float32{0.01, 1, 10, 100} {
				for _, off := range []int{0, 1} {
					x, check := guarded(n, off)
					in := make([]float32, n)
					for i := range in {
						in[i] = (r.Float32()*2 - 1) * spread
					}
					copy(x, in)
					Softmax(x)
					check(t)
					want := softmaxRef(in)
					mx := float32(math.Inf(-1))
					for _, v := range in {
						mx = max(mx, v)
					}
					var sum float64
					for i := range x {
						sum += float64(x[i])
						// each output: e^x within a few ulp, the sum within n
						// roundings, and the scaling; and x-max rounded to
						// float32 moves e^(x-max) by up to |x-max|·2^-24
						// relative
						d := math.Abs(float64(in[i] - mx))
						tol := want[i]*(float64(n+16)+d)*0x1p-23 + 1e-38
						if d := math.Abs(float64(x[i]) - want[i]); !(d <= tol) {
							t.Fatalf("n=%d spread=%v: softmax[%d] = %v, want %v", n, spread, i, x[i], want[i])
						}
					}
					if math.Abs(sum-1) > float64(n+16)*0x1p-23 {
						t.Fatalf("n=%d spread=%v: outputs sum to %v", n, spread, sum)
					}
				}
			}
		}
	})
}

// TestSoftmaxNonFinite: a NaN or +Inf input makes every output NaN, in
// every implementation; -Inf inputs get probability 0.
func TestSoftmaxNonFinite(t *testing.T) {
	inf := float32(math.Inf(1))
	forEachImpl(t, func(t *testing.T) {
		for _, bad := range []float32{float32(math.NaN()), inf} {
			x := []float32{1, 2, bad, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}
			Softmax(x)
			for i, v := range x {
				if v == v {
					t.Fatalf("input %v: output %d = %v, want NaN", bad, i, v)
				}
			}
		}
		x := []float32{float32(math.Inf(-1)), 0, 0}
		Softmax(x)
		if x[0] != 0 || x[1] != 0.5 || x[2] != 0.5 {
			t.Fatalf("softmax(-Inf, 0, 0) = %v", x)
		}
	})
}

func FuzzSoftmax(f *testing.F) {
	f.Add([]byte{0x00, 0x3c, 0x00, 0x40, 0x00, 0xbc, 0x00, 0x3c, 0x01, 0x80, 0xff, 0x7b})
	f.Fuzz(func(t *testing.T, data []byte) {
		n := len(data) / 2
		if n == 0 {
			return
		}
		in := halves(data, n)
		for i := range in {
			in[i] /= 64 // attention scores live in tens, not tens of thousands
		}
		want := softmaxRef(in)
		mx := float32(math.Inf(-1))
		for _, v := range in {
			mx = max(mx, v)
		}
		for _, name := range fastImpls() {
			x := append([]float32(nil), in...)
			withImpl(name, func() { Softmax(x) })
			for i := range x {
				d := math.Abs(float64(in[i] - mx))
				tol := want[i]*(float64(n+16)+d)*0x1p-23 + 1e-38
				if e := math.Abs(float64(x[i]) - want[i]); !(e <= tol) {
					t.Fatalf("%s: softmax[%d] of %d = %v, want %v", name, i, n, x[i], want[i])
				}
			}
		}
	})
}
