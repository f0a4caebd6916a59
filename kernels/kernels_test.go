package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// maxLen covers every loop of every kernel with at least one element to
// spare: the 4×16-element unrolled dot loop of AVX-512, its 16-wide loop and
// masked tails, and AVX2's 8-wide loops and scalar tails.
const maxLen = 4*16 + 3

func TestImplSelection(t *testing.T) {
	names := Impls()
	require.NotEmpty(t, names)
	assert.Equal(t, "generic", names[0])
	assert.Equal(t, names[len(names)-1], Impl(), "the best available implementation is the default")
	_, err := UseImpl("no-such-impl")
	assert.Error(t, err)
	for _, name := range names {
		withImpl(name, func() { assert.Equal(t, name, Impl()) })
	}
	assert.Equal(t, names[len(names)-1], Impl(), "restore puts the default back")
}

func TestDot(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	forEachImpl(t, func(t *testing.T) {
		for n := 0; n <= maxLen; n++ {
			for _, off := range []int{0, 1, 3} {
				a := randF32(r, n+off)[off:]
				b := randF32(r, n+off+2)[off+2:]
				want := dotGeneric(a, b)
				got := Dot(a, b)
				assert.InDelta(t, want, got, sumTol(n, absDot(a, b)), "n=%d off=%d", n, off)
			}
		}
	})
}

func TestDotLarge(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, n := range []int{255, 256, 257, 4095, 100003} {
		a, b := randF32(r, n), randF32(r, n)
		want := dotGeneric(a, b)
		forEachImpl(t, func(t *testing.T) {
			assert.InDelta(t, want, Dot(a, b), sumTol(n, absDot(a, b)), "n=%d", n)
		})
	}
}

// TestDotExact checks values whose products and sums are all exact in
// float32, so that every order of summation must give the same answer.
func TestDotExact(t *testing.T) {
	forEachImpl(t, func(t *testing.T) {
		for n := 0; n <= maxLen; n++ {
			a, b := make([]float32, n), make([]float32, n)
			var want float32
			for i := range a {
				a[i] = float32(i%7 - 3)
				b[i] = float32(i%5 - 2)
				want += a[i] * b[i]
			}
			assert.Equal(t, want, Dot(a, b), "n=%d", n)
		}
	})
}

func TestDotPanicsOnMismatch(t *testing.T) {
	assert.Panics(t, func() { Dot(make([]float32, 3), make([]float32, 4)) })
}

// dequant returns m as float32 rows, the exact weights every kernel uses.
func dequant(m *Mat) []float32 {
	w := make([]float32, m.Rows*m.Cols)
	for i := 0; i < m.Rows; i++ {
		m.Row(w[i*m.Cols:(i+1)*m.Cols], i)
	}
	return w
}

// matVecCase is one shape; colsFor lists the widths tried for a dtype.
func colsFor(dt DType) []int {
	if dt == Q8_0 {
		return []int{0, 32, 64, 96, 128, 160}
	}
	cols := make([]int, 0, maxLen+1)
	for c := 0; c <= maxLen; c++ {
		cols = append(cols, c)
	}
	return cols
}

func TestMatVec(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for _, dt := range []DType{F32, F16, Q8_0} {
		t.Run(dt.String(), func(t *testing.T) {
			forEachImpl(t, func(t *testing.T) {
				for _, cols := range colsFor(dt) {
					for _, rows := range []int{1, 3, 4, 5, 9} {
						off := 1 + cols%3
						m := randMat(r, dt, rows, cols, off)
						w := dequant(&m)
						x := randF32(r, cols+off)[off:]
						// every sub-range of rows, so groups of four start anywhere
						for r0 := 0; r0 <= rows; r0++ {
							for r1 := r0; r1 <= rows; r1++ {
								out, check := guarded(rows, off)
								MatVec(out, &m, x, r0, r1)
								check(t)
								for i := 0; i < rows; i++ {
									if i < r0 || i >= r1 {
										require.Equal(t, uint32(0x7fc0dead), math.Float32bits(out[i]), "row %d outside [%d,%d) written", i, r0, r1)
										continue
									}
									want := make([]float32, rows)
									matVecReference(want, &m, x, i)
									row := w[i*cols : (i+1)*cols]
									require.InDelta(t, want[i], out[i], sumTol(cols, absDot(row, x)),
										"rows=%d cols=%d r=[%d,%d) row %d", rows, cols, r0, r1, i)
								}
							}
						}
					}
				}
			})
		})
	}
}

// matVecReference computes one row with the generic kernel, on x as MatVec
// converts it for m's type.
func matVecReference(out []float32, m *Mat, x []float32, row int) {
	if m.Type == F32 {
		matVecF32Generic(out, m.F32, x, m.Cols, row, row+1)
		return
	}
	var a Act
	a.Prepare(m.Type, x, 1, m.Cols)
	matMulActGeneric(out, m, &a, row, row+1)
}

// TestMatVecGrouping checks that a row's result does not depend on which
// slot of a 4-row group it falls in or on the range around it: bit for bit.
func TestMatVecGrouping(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for _, dt := range []DType{F32, F16, Q8_0} {
		t.Run(dt.String(), func(t *testing.T) {
			forEachImpl(t, func(t *testing.T) {
				const rows, cols = 11, 96
				m := randMat(r, dt, rows, cols, 0)
				x := randF32(r, cols)
				whole := make([]float32, rows)
				MatVec(whole, &m, x, 0, rows)
				for r0 := 0; r0 < rows; r0++ {
					part := make([]float32, rows)
					MatVec(part, &m, x, r0, rows)
					single := make([]float32, rows)
					MatVec(single, &m, x, r0, r0+1)
					assert.Equal(t, whole[r0:], part[r0:], "start %d", r0)
					assert.Equal(t, whole[r0], single[r0], "row %d alone", r0)
				}
			})
		})
	}
}

func TestMatMul(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	for _, dt := range []DType{F32, F16, Q8_0} {
		t.Run(dt.String(), func(t *testing.T) {
			forEachImpl(t, func(t *testing.T) {
				for _, cols := range colsFor(dt) {
					if dt != Q8_0 && cols%5 != 0 && cols > 20 {
						continue // every length is covered by TestMatVec; keep this one quick
					}
					for _, n := range []int{1, 2, 3, 4, 5, 8, 9, 16, 24} {
						for _, rs := range [][3]int{{1, 0, 1}, {5, 0, 5}, {7, 2, 7}, {9, 1, 6}} {
							rows, r0, r1 := rs[0], rs[1], rs[2]
							m := randMat(r, dt, rows, cols, 1)
							w := dequant(&m)
							x := randF32(r, n*cols+3)[3:]
							out, check := guarded(n*rows, 2)
							MatMul(out, &m, x, n, r0, r1)
							check(t)
							for v := 0; v < n; v++ {
								xv := x[v*cols : (v+1)*cols]
								// reference: generic per vector
								want := make([]float32, rows)
								// bitwise: the fast MatVec of the same implementation
								same, _ := guarded(rows, 0)
								MatVec(same, &m, xv, r0, r1)
								for i := 0; i < rows; i++ {
									got := out[v*rows+i]
									if i < r0 || i >= r1 {
										require.Equal(t, uint32(0x7fc0dead), math.Float32bits(got), "row %d vec %d outside range written", i, v)
										continue
									}
									matVecReference(want, &m, xv, i)
									row := w[i*cols : (i+1)*cols]
									require.InDelta(t, want[i], got, sumTol(cols, absDot(row, xv)), "cols=%d n=%d row %d vec %d", cols, n, i, v)
									require.Equal(t, same[i], got, "MatMul and MatVec differ: cols=%d n=%d row %d vec %d", cols, n, i, v)
								}
							}
						}
					}
				}
			})
		})
	}
}

func TestMatMulPanicsOnMismatch(t *testing.T) {
	m := NewF32(make([]float32, 6), 2, 3)
	assert.Panics(t, func() { MatMul(make([]float32, 4), &m, make([]float32, 5), 2, 0, 2) })
	assert.Panics(t, func() { MatVec(make([]float32, 2), &m, make([]float32, 3), 1, 3) })
}

// TestF16ToF32Exhaustive checks all 65536 halves against a value built
// from the IEEE 754 binary16 definition in float64, and the round trip.
func TestF16ToF32Exhaustive(t *testing.T) {
	for h := 0; h < 1<<16; h++ {
		sign, exp, mant := h>>15, (h>>10)&0x1f, h&0x3ff
		var want float64
		switch {
		case exp == 0x1f && mant != 0:
			want = math.NaN()
		case exp == 0x1f:
			want = math.Inf(1)
		case exp == 0: // subnormal: mant · 2⁻²⁴
			want = math.Ldexp(float64(mant), -24)
		default:
			want = math.Ldexp(1+float64(mant)/1024, exp-15)
		}
		if sign == 1 {
			want = -want
		}
		got := F16ToF32(uint16(h))
		if math.IsNaN(want) {
			require.True(t, math.IsNaN(float64(got)), "half %#04x", h)
			continue
		}
		require.Equal(t, want, float64(got), "half %#04x", h)
		require.Equal(t, math.Signbit(want), math.Signbit(float64(got)), "half %#04x sign", h)
		require.Equal(t, uint16(h), F32ToF16(got), "round trip of half %#04x", h)
	}
}

// TestF32ToF16Rounding checks round-to-nearest-even at midpoints between
// adjacent halves, overflow to infinity and underflow to zero.
func TestF32ToF16Rounding(t *testing.T) {
	tests := []struct {
		f    float32
		want uint16
	}{
		{1 + 0x1p-11, 0x3c00},               // midpoint 1 and next: even is 1
		{1 + 3*0x1p-11, 0x3c02},             // midpoint 1+2⁻¹⁰ and 1+2⁻⁹: even is upper
		{1 + 0x1p-11 + 0x1p-20, 0x3c01},     // just above the midpoint
		{65504, 0x7bff},                     // largest half
		{65520, 0x7c00},                     // rounds up past it to infinity
		{0x1p-24, 0x0001},                   // smallest subnormal
		{0x1p-25, 0x0000},                   // half of it: ties to even (zero)
		{0x1p-25 + 0x1p-40, 0x0001},         // above half: rounds up
		{-0x1p-14, 0x8400},                  // smallest negative normal
		{float32(math.Inf(-1)), 0xfc00},     // -inf
		{0x1p-14 - 0x1p-25, 0x0400},         // largest subnormal midpoint rounds into the normals
		{float32(math.NaN()), 0x7e00},       // quiet NaN
		{-float32(math.Copysign(0, -1)), 0}, // +0
	}
	for _, tc := range tests {
		t.Run(fmt.Sprint(tc.f), func(t *testing.T) {
			assert.Equal(t, tc.want, F32ToF16(tc.f))
		})
	}
}

// TestKernelsAllocateNothing: the forward pass calls these per token.
func TestKernelsAllocateNothing(t *testing.T) {
	r := newTestRand(14)
	for _, dt := range []DType{F32, F16, Q8_0} {
		t.Run(dt.String(), func(t *testing.T) {
			forEachImpl(t, func(t *testing.T) {
				m := randMat(r, dt, 9, 96, 0)
				// 3 vectors take the register tiles, 20 (a prompt) the
				// scratch block of converted rows
				x := randF32(r, 20*96)
				out := make([]float32, 20*9)
				MatMul(out, &m, x, 20, 0, 9) // fills the scratch pool
				// the race detector's sync.Pool drops the scratch buffers
				// and (for every type but F32) the pooled Acts at random
				if !raceEnabled || dt == F32 {
					assert.Zero(t, testing.AllocsPerRun(50, func() { MatVec(out[:9], &m, x[:96], 0, 9) }))
					assert.Zero(t, testing.AllocsPerRun(50, func() { MatMul(out[:3*9], &m, x[:3*96], 3, 0, 9) }))
				}
				if !raceEnabled {
					assert.Zero(t, testing.AllocsPerRun(50, func() { MatMul(out, &m, x, 20, 0, 9) }))
				}
				assert.Zero(t, testing.AllocsPerRun(50, func() { _ = Dot(x[:96], x[96:192]) }))
			})
		})
	}
}

// TestMissingAccountsForEveryImpl: what Impls and Missing list together is
// every implementation the package has, each once, so the test script's
// "ran / not run" line cannot leave one out.
func TestMissingAccountsForEveryImpl(t *testing.T) {
	seen := map[string]int{}
	for _, name := range Impls() {
		seen[name]++
	}
	for _, m := range Missing() {
		seen[m.Name]++
		assert.NotEmpty(t, m.Reason, m.Name)
		_, err := UseImpl(m.Name)
		assert.Error(t, err, "%s is missing, so it cannot be forced", m.Name)
	}
	assert.Equal(t, map[string]int{"generic": 1, "avx2": 1, "avx512": 1}, seen)
	d := Describe()
	assert.True(t, strings.HasPrefix(d, Impl()+" (runnable: "+strings.Join(Impls(), " ")), d)
	for _, m := range Missing() {
		assert.Contains(t, d, "not "+m.Name+": "+m.Reason)
	}
}
