package kernels

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// forEachImpl runs f once per kernel implementation this CPU and build
// support, with that implementation forced, as a subtest named after it.
func forEachImpl(t *testing.T, f func(t *testing.T)) {
	t.Helper()
	for _, name := range Impls() {
		t.Run(name, func(t *testing.T) {
			restore, err := UseImpl(name)
			require.NoError(t, err)
			defer restore()
			f(t)
		})
	}
}

// withImpl runs f with the named implementation forced.
func withImpl(name string, f func()) {
	restore, err := UseImpl(name)
	if err != nil {
		panic(err)
	}
	defer restore()
	f()
}

// sumTol bounds how far two float32 evaluations of one sum of n products
// may differ. Any evaluation order, with or without FMA, has an error of at
// most γ_n·Σ|a_i b_i| with γ_n = n·u/(1-n·u), u = 2⁻²⁴ (Higham, Accuracy
// and Stability of Numerical Algorithms, §3.1); two such results differ by
// at most twice that. n+2 leaves room for the final scaling of Q8_0 blocks.
// The small absolute term covers sums of subnormal products.
func sumTol(n int, absSum float64) float64 {
	u := 0x1p-24
	nu := float64(n+2) * u
	return 2*nu/(1-nu)*absSum + 1e-37
}

func absDot(a, b []float32) float64 {
	var s float64
	for i := range a {
		s += math.Abs(float64(a[i]) * float64(b[i]))
	}
	return s
}

func randF32(r *rand.Rand, n int) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(r.Float64()*2 - 1)
	}
	return v
}

// randF16Raw returns n random halves in [-1, 1) as little-endian bytes.
func randF16Raw(r *rand.Rand, n int) []byte {
	b := make([]byte, 2*n)
	for i := 0; i < n; i++ {
		h := F32ToF16(float32(r.Float64()*2 - 1))
		b[2*i], b[2*i+1] = byte(h), byte(h>>8)
	}
	return b
}

// randQ8Raw returns rows*cols/32 random Q8_0 blocks with scales like a
// real quantiser's (max|w|/127 for weights of order 0.1).
func randQ8Raw(r *rand.Rand, rows, cols int) []byte {
	nb := rows * (cols / Q8Block)
	b := make([]byte, nb*Q8BlockBytes)
	for i := 0; i < nb; i++ {
		blk := b[i*Q8BlockBytes : (i+1)*Q8BlockBytes]
		h := F32ToF16(float32(0.0001 + r.Float64()*0.002))
		blk[0], blk[1] = byte(h), byte(h>>8)
		for j := 2; j < Q8BlockBytes; j++ {
			blk[j] = byte(r.IntN(256))
		}
	}
	return b
}

// randMat builds a (rows, cols) matrix of type dt whose storage starts off
// elements (F32) or bytes (the other types) into a larger slice, so that kernels
// see unaligned rows.
func randMat(r *rand.Rand, dt DType, rows, cols, off int) Mat {
	m := Mat{Type: dt, Rows: rows, Cols: cols}
	switch dt {
	case F32:
		m.F32 = randF32(r, off+rows*cols)[off:]
	case F16:
		m.Raw = append(make([]byte, off), randF16Raw(r, rows*cols)...)[off:]
	default:
		m.Raw = append(make([]byte, off), randRaw(r, dt, rows, cols)...)[off:]
	}
	return m
}

// guarded returns a slice of n elements inside a buffer whose other
// elements hold a sentinel NaN, and a check that the sentinels survived.
func guarded(n, off int) (s []float32, check func(t *testing.T)) {
	const guard = 19
	sentinel := math.Float32frombits(0x7fc0dead)
	buf := make([]float32, off+n+guard)
	for i := range buf {
		buf[i] = sentinel
	}
	s = buf[off : off+n : off+n]
	return s, func(t *testing.T) {
		t.Helper()
		for i, v := range buf {
			if i >= off && i < off+n {
				continue
			}
			if math.Float32bits(v) != 0x7fc0dead {
				t.Fatalf("guard element %d (output is [%d, %d)) overwritten with %v", i, off, off+n, v)
			}
		}
	}
}

func newTestRand(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, seed+1)) }
