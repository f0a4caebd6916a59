package kernels

import (
	"math"
	"math/big"
	"testing"

	"github.com/stretchr/testify/require"
)

// fma32Exact is a·b+c rounded once to float32 (ties to even), computed
// exactly with big.Float: the reference fma32 must meet.
func fma32Exact(a, b, c float32) float32 {
	x := new(big.Float).SetPrec(2000).SetFloat64(float64(a))
	x.Mul(x, new(big.Float).SetFloat64(float64(b)))
	x.Add(x, new(big.Float).SetFloat64(float64(c)))
	f, _ := x.Float32()
	return f
}

func TestFMA32(t *testing.T) {
	// Sums whose float64 rounding lands exactly on a float32 midpoint, so
	// that a second rounding (ties to even) goes the wrong way:
	// (2²³+1)·(2²⁴-2)·2⁻⁷¹ = 2⁻²⁴-2⁻⁷⁰, and 1+2⁻²³ plus that lies just
	// below the midpoint 1+3·2⁻²⁴: it rounds down to 1+2⁻²³;
	// 8392705·16769026·2⁻⁷¹ = 2⁻²⁴+2⁻⁷⁰, and 1 plus that lies just above
	// the midpoint 1+2⁻²⁴: it rounds up to 1+2⁻²³.
	one, next := float32(1), float32(1+0x1p-23)
	for _, c := range []struct{ a, b, c, want float32 }{
		{0x1p23 + 1, float32(math.Ldexp(0x1p24-2, -71)), next, next},
		{8392705, float32(math.Ldexp(16769026, -71)), one, next},
	} {
		naive := float32(float64(c.a)*float64(c.b) + float64(c.c))
		require.NotEqual(t, c.want, naive, "not a double-rounding case")
		require.Equal(t, c.want, fma32Exact(c.a, c.b, c.c))
		require.Equal(t, c.want, fma32(c.a, c.b, c.c))
	}

	cases := [][3]float32{
		{0, 0, 0}, {-0.0, 1, float32(math.Copysign(0, -1))}, {2, 3, -6}, {1e-30, 1e-30, 1e-45},
		{3e38, 2, -3e38}, {math.MaxFloat32, 1, math.MaxFloat32}, {1e-20, 1e-20, 0},
	}
	r := newTestRand(7)
	for i := 0; i < 200000; i++ {
		x, y, z := randF32(r, 3)[0], randF32(r, 3)[1], randF32(r, 3)[2]
		switch i % 4 {
		case 1: // the kernels' shape: a scale times a small integer plus an accumulator
			y = float32(r.IntN(15000) - 7500)
		case 2: // wide exponent gaps
			x *= float32(math.Ldexp(1, r.IntN(80)-40))
			z *= float32(math.Ldexp(1, r.IntN(80)-40))
		case 3: // near-cancellation
			z = -x*y + float32(math.Ldexp(float64(z), -r.IntN(30)))
		}
		cases = append(cases, [3]float32{x, y, z})
	}
	for _, c := range cases {
		want, got := fma32Exact(c[0], c[1], c[2]), fma32(c[0], c[1], c[2])
		require.Equal(t, math.Float32bits(want), math.Float32bits(got), "fma32(%g, %g, %g)", c[0], c[1], c[2])
	}
}

// TestQ81ImplsAgreeExactly checks that every implementation gives the
// generic Q4_1 and Q5_1 products bit for bit (the generic code follows
// ggml's x86 arithmetic, which TestAgainstGGMLModel checks), for row
// lengths up to 64 blocks, inputs of mixed magnitudes and every row count
// of the four-row kernels.
func TestQ81ImplsAgreeExactly(t *testing.T) {
	r := newTestRand(81)
	for _, dt := range []DType{Q4_1, Q5_1} {
		for _, cols := range []int{32, 64, 96, 160, 512, 2048} {
			rows := 1 + r.IntN(9)
			n := 1 + r.IntN(5)
			m := NewRaw(dt, randRaw(r, dt, rows, cols), rows, cols)
			x := randF32(r, n*cols)
			for i := range x {
				x[i] *= float32(math.Ldexp(1, r.IntN(16)-8))
			}
			var a Act
			a.Prepare(dt, x, n, cols)
			want := make([]float32, n*rows)
			withImpl("generic", func() { MatMulAct(want, &m, &a, 0, rows) })
			forEachImpl(t, func(t *testing.T) {
				got := make([]float32, n*rows)
				MatMulAct(got, &m, &a, 0, rows)
				for i := range got {
					require.Equal(t, math.Float32bits(want[i]), math.Float32bits(got[i]), "%v cols %d: product %d is %g, generic %g", dt, cols, i, got[i], want[i])
				}
			})
		}
	}
}
