package kernels

import "math"

// Dot returns the sum of a[i]*b[i]. len(a) must equal len(b).
func Dot(a, b []float32) float32 {
	if len(a) != len(b) {
		panic("kernels: Dot length mismatch")
	}
	return dot(a, b)
}

func dotGeneric(a, b []float32) float32 {
	var s float32
	for i := range a {
		s += a[i] * b[i]
	}
	return s
}

// MatVec computes out[r] = dot(m[r,:], x) for rows r in [r0, r1).
// out has m.Rows elements (only [r0, r1) are written), x has m.Cols.
// For every type but F32, x is first converted as llama.cpp converts it
// (see Act) and the product is MatMulAct's: a caller that splits one
// product into row ranges should Prepare an Act once and call MatMulAct
// for each range instead, which converts x only once.
func MatVec(out []float32, m *Mat, x []float32, r0, r1 int) {
	if len(x) != m.Cols || len(out) != m.Rows || r0 < 0 || r1 > m.Rows || r0 > r1 {
		panic("kernels: MatVec shape mismatch")
	}
	if m.Type == F32 {
		matVecF32(out, m.F32, x, m.Cols, r0, r1)
		return
	}
	if r0 == r1 {
		return
	}
	a := actPool.Get().(*Act)
	a.Prepare(m.Type, x, 1, m.Cols)
	matMulAct(out, m, a, r0, r1)
	actPool.Put(a)
}

// matVecFloat is the product with float32 inputs of the F32, F16 and Q8_0
// kernels: x itself for F32, the rounded or dequantised inputs of an Act
// for F16 and Q8_0.
func matVecFloat(out []float32, m *Mat, x []float32, r0, r1 int) {
	switch m.Type {
	case F32:
		matVecF32(out, m.F32, x, m.Cols, r0, r1)
	case F16:
		matVecF16(out, m.Raw, x, m.Cols, r0, r1)
	case Q8_0:
		matVecQ8(out, m.Raw, x, m.Cols, r0, r1)
	default:
		panic("kernels: no float kernel for " + m.Type.String())
	}
}

func matVecF32Generic(out, w, x []float32, cols, r0, r1 int) {
	for r := r0; r < r1; r++ {
		out[r] = dotGeneric(w[r*cols:(r+1)*cols], x)
	}
}

func matVecF16Generic(out []float32, w []byte, x []float32, cols, r0, r1 int) {
	for r := r0; r < r1; r++ {
		row := w[r*2*cols : (r+1)*2*cols]
		var s float32
		for j := range x {
			s += F16ToF32(uint16(row[2*j])|uint16(row[2*j+1])<<8) * x[j]
		}
		out[r] = s
	}
}

func matVecQ8Generic(out []float32, w []byte, x []float32, cols, r0, r1 int) {
	rb := cols / Q8Block * Q8BlockBytes
	for r := r0; r < r1; r++ {
		row := w[r*rb : (r+1)*rb]
		var s float32
		for b := 0; b < cols/Q8Block; b++ {
			blk := row[b*Q8BlockBytes : (b+1)*Q8BlockBytes]
			d := F16ToF32(uint16(blk[0]) | uint16(blk[1])<<8)
			xb := x[b*Q8Block : (b+1)*Q8Block]
			var bs float32
			for j := 0; j < Q8Block; j++ {
				bs += float32(int8(blk[2+j])) * xb[j]
			}
			s += d * bs
		}
		out[r] = s
	}
}

// MatMul computes out[t, r] = dot(m[r,:], x[t,:]) for n input vectors x
// (n, m.Cols) into out (n, m.Rows), for rows r in [r0, r1). Each weight row
// is read once for all n vectors, which is what makes prefill and batched
// decode cheaper per token than n matrix-vector products. As for MatVec,
// the inputs are converted first unless m is F32.
func MatMul(out []float32, m *Mat, x []float32, n, r0, r1 int) {
	if len(x) != n*m.Cols || len(out) != n*m.Rows || r0 < 0 || r1 > m.Rows || r0 > r1 {
		panic("kernels: MatMul shape mismatch")
	}
	if m.Type == F32 {
		matMul(out, m, x, n, r0, r1)
		return
	}
	if n == 0 || r0 == r1 {
		return
	}
	a := actPool.Get().(*Act)
	a.Prepare(m.Type, x, n, m.Cols)
	matMulAct(out, m, a, r0, r1)
	actPool.Put(a)
}

// matMulGeneric is matMul (float32 inputs) one vector at a time.
func matMulGeneric(out []float32, m *Mat, x []float32, n, r0, r1 int) {
	for t := 0; t < n; t++ {
		matVecFloat(out[t*m.Rows:(t+1)*m.Rows], m, x[t*m.Cols:(t+1)*m.Cols], r0, r1)
	}
}

// RMSNorm writes x / sqrt(mean(x²) + eps) * w into out (all of one length).
// out may alias x.
func RMSNorm(out, x, w []float32, eps float32) {
	if len(out) != len(x) || len(w) != len(x) {
		panic("kernels: RMSNorm length mismatch")
	}
	var ss float32
	for _, v := range x {
		ss += v * v
	}
	ss = ss/float32(len(x)) + eps
	inv := float32(1 / math.Sqrt(float64(ss)))
	for i := range x {
		out[i] = w[i] * (inv * x[i])
	}
}

// Softmax replaces x with exp(x - max) / sum, in place. An empty x is left alone.
func Softmax(x []float32) {
	if len(x) == 0 {
		return
	}
	softmax(x)
}

func softmaxGeneric(x []float32) {
	mx := x[0]
	for _, v := range x[1:] {
		if v > mx {
			mx = v
		}
	}
	var sum float32
	for i, v := range x {
		e := expf(v - mx)
		x[i] = e
		sum += e
	}
	inv := 1 / sum
	for i := range x {
		x[i] *= inv
	}
}

// SwiGLU computes h[i] = silu(h[i]) * g[i] in place, silu(v) = v*sigmoid(v).
func SwiGLU(h, g []float32) {
	if len(h) != len(g) {
		panic("kernels: SwiGLU length mismatch")
	}
	swiglu(h, g)
}

func swigluGeneric(h, g []float32) {
	for i, v := range h {
		h[i] = v * (1 / (1 + expf(-v))) * g[i]
	}
}

// RoPE rotates each consecutive pair (x[2i], x[2i+1]) of every head in x by
// the angle whose cosine and sine are cos[i%half] and sin[i%half], where
// half = headDim/2 = len(cos). x holds whole heads (len a multiple of
// headDim). This is the "interleaved pairs" rotation of llama2.c and of
// llama.cpp's LLAMA architecture.
func RoPE(x, cos, sin []float32) {
	half := len(cos)
	if len(sin) != half || half == 0 || len(x)%(2*half) != 0 {
		panic("kernels: RoPE shape mismatch")
	}
	for h := 0; h < len(x); h += 2 * half {
		v := x[h : h+2*half]
		for i := 0; i < half; i++ {
			a, b := v[2*i], v[2*i+1]
			c, s := cos[i], sin[i]
			v[2*i] = a*c - b*s
			v[2*i+1] = a*s + b*c
		}
	}
}

// Add computes dst[i] += src[i] (the residual connection).
func Add(dst, src []float32) {
	if len(dst) != len(src) {
		panic("kernels: Add length mismatch")
	}
	for i := range dst {
		dst[i] += src[i]
	}
}

// Axpy computes y[i] += a*x[i] (the weighted sum of attention values).
func Axpy(y []float32, a float32, x []float32) {
	if len(x) != len(y) {
		panic("kernels: Axpy length mismatch")
	}
	axpy(y, a, x)
}

func axpyGeneric(y []float32, a float32, x []float32) {
	for i := range y {
		y[i] += a * x[i]
	}
}

// AttnScores sets att[p] = scale·(q · k_p) for every p < len(att), where
// key k_p is keys[p*stride : p*stride+len(q)]: the attention scores of one
// head over the cached positions, whose keys sit one cache row (stride
// elements) apart. One call covers all positions, four rows per kernel
// step, instead of one short dot product call per position.
func AttnScores(att, q, keys []float32, stride int, scale float32) {
	if n := len(att); n > 0 && (stride < len(q) || len(keys) < (n-1)*stride+len(q)) {
		panic("kernels: AttnScores shape mismatch")
	}
	attnScores(att, q, keys, stride, scale)
}

func attnScoresGeneric(att, q, keys []float32, stride int, scale float32) {
	for p := range att {
		att[p] = dotGeneric(q, keys[p*stride:p*stride+len(q)]) * scale
	}
}

// AttnMix sets out = Σ_p att[p]·v_p over p < len(att), where value v_p is
// values[p*stride : p*stride+len(out)]: one head's attention output. Each
// element is summed in position order from zero, as clearing out and
// calling Axpy once per position would.
func AttnMix(out, att, values []float32, stride int) {
	if n := len(att); n > 0 && (stride < len(out) || len(values) < (n-1)*stride+len(out)) {
		panic("kernels: AttnMix shape mismatch")
	}
	attnMix(out, att, values, stride)
}

func attnMixAxpy(out, att, values []float32, stride int) {
	clear(out)
	for p, a := range att {
		axpy(out, a, values[p*stride:p*stride+len(out)])
	}
}
