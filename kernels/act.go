package kernels

import (
	"math"
	"sync"
)

// Act holds n activation vectors of cols elements converted for the
// products with one weight type, the way llama.cpp's CPU backend converts
// them (ggml's vec_dot_type) before every matrix product:
//
//	weights               activations
//	F32                   float32, as given
//	F16                   rounded to F16 (ties to even)
//	BF16                  rounded to BF16 (ties to even)
//	Q4_0, Q5_0, Q8_0      Q8_0 blocks of 32: d = max|x|/127 rounded to F16,
//	                      q = x·(127/max|x|) rounded half to even (as ggml's
//	                      AVX2 quantize_row_q8_0; the scalar reference rounds
//	                      half away from zero)
//	Q4_1, Q5_1            Q8_1: Q8_0 plus s = d·Σq rounded to F16, d unrounded
//	Q2_K .. Q6_K          Q8_K blocks of 256: d = 1/(-127/m) in float32, where
//	                      m is the first element of largest magnitude, q =
//	                      -127·x/m rounded half to even, and the sums of each
//	                      16 quants
//
// The weights' blocks are then multiplied with these integer blocks
// exactly, and only the float32 accumulation of the block results differs
// from ggml's order (for Q4_1 and Q5_1 not even that, see qdot.go). A model prepares each matrix's input once per token
// (or batch), then hands row ranges of the product to a Pool: the
// conversion is not repeated per range.
//
// An Act reuses its buffers: in steady state Prepare allocates nothing.
type Act struct {
	wt      DType // the weight type it was prepared for
	n, cols int
	f       []float32 // (n, cols) the float inputs of the float kernels, see Prepare
	q       []int8    // (n, cols) quants of the Q8 formats
	d       []float32 // (n, cols/block) block scales (the F16 value for Q8_0 and Q8_1)
	s       []float32 // (n, cols/32) Q8_1 sums
	bs      []int16   // (n, cols/16) Q8_K sums of 16 quants
	b32     []int16   // (n, cols/256, 16) Q8_K: eight zeros, then the sums of each 32 quants
}

// actKind is the activation format of a weight type.
type actKind uint8

const (
	actF32 actKind = iota
	actF16
	actBF16
	actQ8_0
	actQ8_1
	actQ8K
)

func (t DType) actKind() actKind {
	switch t {
	case F32:
		return actF32
	case F16:
		return actF16
	case BF16:
		return actBF16
	case Q4_0, Q5_0, Q8_0:
		return actQ8_0
	case Q4_1, Q5_1:
		return actQ8_1
	case Q2_K, Q3_K, Q4_K, Q5_K, Q6_K:
		return actQ8K
	}
	panic("kernels: unknown dtype")
}

// N is the number of vectors the Act was last prepared with.
func (a *Act) N() int { return a.n }

// Cols is the length of each vector.
func (a *Act) Cols() int { return a.cols }

// Type is the weight type the vectors were converted for; MatMulAct
// accepts any weight type with the same conversion (Q8_K serves all
// K-quants, Q8_0 serves Q4_0, Q5_0 and Q8_0).
func (a *Act) Type() DType { return a.wt }

// grow returns s resized to n elements, reallocated only if it is too
// small.
func grow[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	return s[:n]
}

// Prepare converts the n vectors x (n, cols) for products with weights of
// type t. cols must be a whole number of t's blocks. For F32, F16 and BF16
// weights the Act keeps float32 vectors (x, or x rounded to F16 or BF16,
// whose products with the weights are then exact in float32); for Q8_0
// weights it also keeps the Q8_0 blocks dequantised to float32, which the
// float kernels multiply (their products equal ggml's integer ones up to
// float32 rounding).
func (a *Act) Prepare(t DType, x []float32, n, cols int) {
	if len(x) != n*cols || n < 0 || cols%t.BlockSize() != 0 {
		panic("kernels: Act.Prepare shape mismatch")
	}
	a.wt, a.n, a.cols = t, n, cols
	switch t.actKind() {
	case actF32:
		a.f = grow(a.f, n*cols)
		copy(a.f, x)
	case actF16:
		a.f = grow(a.f, n*cols)
		for i, v := range x {
			a.f[i] = F16ToF32(F32ToF16(v))
		}
	case actBF16:
		a.f = grow(a.f, n*cols)
		for i, v := range x {
			a.f[i] = BF16ToF32(F32ToBF16(v))
		}
	case actQ8_0, actQ8_1:
		nb := n * cols / 32
		a.q = grow(a.q, n*cols)
		a.d = grow(a.d, nb)
		withSum := t.actKind() == actQ8_1
		if withSum {
			a.s = grow(a.s, nb)
		}
		for b := 0; b < nb; b++ {
			d, s := quantizeQ8Block(a.q[32*b:32*b+32], x[32*b:32*b+32])
			a.d[b] = d
			if withSum {
				a.s[b] = s
			}
		}
		if t == Q8_0 {
			a.f = grow(a.f, n*cols)
			for i, q := range a.q {
				a.f[i] = float32(q) * a.d[i/32]
			}
		}
	case actQ8K:
		nb := n * cols / QK
		a.q = grow(a.q, n*cols)
		a.d = grow(a.d, nb)
		a.bs = grow(a.bs, n*cols/16)
		a.b32 = grow(a.b32, n*cols/16)
		for b := 0; b < nb; b++ {
			bs := a.bs[16*b : 16*b+16]
			a.d[b] = quantizeQ8KBlock(a.q[QK*b:QK*b+QK], bs, x[QK*b:QK*b+QK])
			// the layout the Q4_K and Q5_K kernels multiply with [scales | mins]
			b32 := a.b32[16*b : 16*b+16]
			for j := 0; j < 8; j++ {
				b32[j] = 0
				b32[8+j] = bs[2*j] + bs[2*j+1]
			}
		}
	}
}

// quantizeQ8Block quantises 32 values as ggml's AVX2 quantize_row_q8_0 and
// quantize_row_q8_1 do, returning the block scale as stored (rounded to F16)
// and the Q8_1 sum s = F16(d·Σq) with the unrounded d.
func quantizeQ8Block(q []int8, x []float32) (d, s float32) {
	var amax float32
	for _, v := range x {
		amax = max(amax, abs32(v))
	}
	dr := amax / 127
	var id float32
	if amax != 0 {
		id = 127 / amax
	}
	sum := 0
	for j, v := range x {
		r := math.RoundToEven(float64(v * id))
		r = max(-128, min(127, r)) // the saturating packs
		q[j] = int8(r)
		sum += int(q[j])
	}
	return F16ToF32(F32ToF16(dr)), F16ToF32(F32ToF16(dr * float32(sum)))
}

// quantizeQ8KBlock quantises 256 values as ggml's quantize_row_q8_K_ref
// (the one its x86 build uses), filling the sums of each 16 quants, and
// returns the block scale. An all-zero block has scale 0 and zero quants
// and sums.
func quantizeQ8KBlock(q []int8, bs []int16, x []float32) float32 {
	var amax, mx float32
	for _, v := range x {
		if a := abs32(v); a > amax {
			amax, mx = a, v
		}
	}
	if amax == 0 {
		clear(q)
		clear(bs)
		return 0
	}
	iscale := -127 / mx
	for j, v := range x {
		q[j] = int8(min(127, nearestInt(float32(iscale*v))))
	}
	for j := range bs {
		s := 0
		for _, v := range q[16*j : 16*j+16] {
			s += int(v)
		}
		bs[j] = int16(s)
	}
	return 1 / iscale
}

// nearestInt rounds to the nearest integer, ties to even, as ggml's
// nearest_int does by adding 1.5·2²³ in float32 (|f| < 2²²).
func nearestInt(f float32) int {
	v := math.Float32bits(f + 12582912)
	return int(v&0x007fffff) - 0x00400000
}

func abs32(v float32) float32 { return math.Float32frombits(math.Float32bits(v) &^ (1 << 31)) }

// actPool holds the Acts that MatVec and MatMul prepare their float32
// inputs in, so that calls with float32 vectors allocate nothing in steady
// state either.
var actPool = sync.Pool{New: func() any { return new(Act) }}
