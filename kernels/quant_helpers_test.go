package kernels

import (
	"math"
	"math/rand/v2"
)

// blockTypes are the block-quantised types; floatTypes the others.
var (
	blockTypes = []DType{Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q2_K, Q3_K, Q4_K, Q5_K, Q6_K}
	allTypes   = []DType{F32, F16, BF16, Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q2_K, Q3_K, Q4_K, Q5_K, Q6_K}
)

// f16Fields are the byte offsets of the F16 scales inside one block.
func f16Fields(t DType) []int {
	switch t {
	case Q4_0, Q5_0, Q8_0:
		return []int{0}
	case Q4_1, Q5_1, Q4_K, Q5_K:
		return []int{0, 2}
	case Q2_K:
		return []int{80, 82}
	case Q3_K:
		return []int{108}
	case Q6_K:
		return []int{208}
	}
	return nil
}

// randRaw returns rows rows of cols weights of type t (not F32) as raw
// bytes: random quants, and F16 scales like a real quantiser's for weights
// of order 0.1 (mins of either sign for the types with mins).
func randRaw(r *rand.Rand, t DType, rows, cols int) []byte {
	switch t {
	case F16:
		return randF16Raw(r, rows*cols)
	case BF16:
		b := make([]byte, 2*rows*cols)
		for i := 0; i < rows*cols; i++ {
			h := F32ToBF16(float32(r.Float64()*2 - 1))
			b[2*i], b[2*i+1] = byte(h), byte(h>>8)
		}
		return b
	case Q8_0:
		return randQ8Raw(r, rows, cols)
	}
	nb := rows * cols / t.BlockSize()
	bb := t.BlockBytes()
	b := make([]byte, nb*bb)
	for i := range b {
		b[i] = byte(r.IntN(256))
	}
	scale := 0.1 / 8 // weights of order 0.1 from quants of order 8
	if t.BlockSize() == QK {
		scale /= 32 // and sub-block scales of order 32
	}
	for blk := 0; blk < nb; blk++ {
		for k, off := range f16Fields(t) {
			v := float32(scale * (0.05 + r.Float64()))
			if k == 1 && r.IntN(2) == 0 && (t == Q4_1 || t == Q5_1) {
				v = -v
			}
			h := F32ToF16(v)
			b[blk*bb+off], b[blk*bb+off+1] = byte(h), byte(h>>8)
		}
	}
	return b
}

// weights64 returns row i of m as exact float64 weights split into the
// part the quant multiplies (d·sc·q) and the part of the mins (for Q4_1
// and Q5_1 per block, for the K-quants per weight); with float32 weights
// the first is the weight and the second nil.
func weights64(m *Mat, i int) (wq, wm []float64) {
	c := m.Cols
	wq = make([]float64, c)
	if m.Type == F32 || m.Type == F16 || m.Type == BF16 {
		w := make([]float32, c)
		m.Row(w, i)
		for j := range w {
			wq[j] = float64(w[j])
		}
		return wq, nil
	}
	raw := m.rawRow(i)
	bb := m.Type.BlockBytes()
	switch m.Type {
	case Q8_0, Q4_0, Q5_0, Q4_1, Q5_1:
		if m.Type == Q4_1 || m.Type == Q5_1 {
			wm = make([]float64, c/32)
		}
		for b := 0; b < c/32; b++ {
			blk := raw[b*bb : (b+1)*bb]
			d := float64(f16At(blk, 0))
			for j := 0; j < 32; j++ {
				var q int
				switch m.Type {
				case Q8_0:
					q = int(int8(blk[2+j]))
				case Q4_0:
					q = int(blk[2+j%16]>>(4*(j/16))&0xf) - 8
				case Q4_1:
					q = int(blk[4+j%16] >> (4 * (j / 16)) & 0xf)
				case Q5_0:
					q = int(blk[6+j%16]>>(4*(j/16))&0xf|byte(le32(blk[2:])>>j&1)<<4) - 16
				case Q5_1:
					q = int(blk[8+j%16]>>(4*(j/16))&0xf | byte(le32(blk[4:])>>j&1)<<4)
				}
				wq[32*b+j] = d * float64(q)
			}
			if wm != nil {
				wm[b] = float64(f16At(blk, 2))
			}
		}
	default:
		wm = make([]float64, c)
		for b := 0; b < c/QK; b++ {
			blk := raw[b*bb : (b+1)*bb]
			for e := 0; e < QK; e++ {
				var d, dm float64
				switch m.Type {
				case Q2_K:
					s := blk[e/16]
					q := blk[16+32*(e/128)+e%32] >> (2 * (e / 32 % 4)) & 3
					d = float64(f16At(blk, 80)) * float64(s&0xf) * float64(q)
					dm = float64(f16At(blk, 82)) * float64(s>>4)
				case Q3_K:
					var sc [16]int8
					q3Scales(&sc, blk[96:108])
					d = float64(f16At(blk, 108)) * float64(sc[e/16]) * float64(q3Value(blk[0:32], blk[32:96], e))
				case Q4_K, Q5_K:
					var sc, mn [8]uint8
					kScales(&sc, &mn, blk[4:16])
					var q uint8
					if m.Type == Q4_K {
						q = q4kValue(blk[16:144], e)
					} else {
						q = q5kValue(blk[16:48], blk[48:176], e)
					}
					d = float64(f16At(blk, 0)) * float64(sc[e/32]) * float64(q)
					dm = float64(f16At(blk, 2)) * float64(mn[e/32])
				case Q6_K:
					d = float64(f16At(blk, 208)) * float64(int8(blk[192+e/16])) * float64(q6Value(blk[0:128], blk[128:192], e))
				}
				wq[QK*b+e] = d
				wm[QK*b+e] = -dm
			}
		}
	}
	return wq, wm
}

// act64 returns vector v of a as the exact float64 values the kernels
// multiply: the float inputs, or each quant times its block scale.
func act64(a *Act, v int) []float64 {
	av := a.vec(v)
	x := make([]float64, a.cols)
	switch a.wt.actKind() {
	case actF32, actF16, actBF16:
		for j := range x {
			x[j] = float64(av.f[j])
		}
	case actQ8_0, actQ8_1:
		for j := range x {
			x[j] = float64(av.q[j]) * float64(av.d[j/32])
		}
	case actQ8K:
		for j := range x {
			x[j] = float64(av.q[j]) * float64(av.d[j/QK])
		}
	}
	return x
}

// refDot is the float64 product of row i of m with vector v of a, and the
// sum of the magnitudes of its terms (for sumTol). For Q4_1 and Q5_1 the
// mins multiply the Q8_1 sums, as in ggml.
func refDot(m *Mat, a *Act, i, v int) (val, mag float64) {
	wq, wm := weights64(m, i)
	x := act64(a, v)
	for j := range x {
		val += wq[j] * x[j]
		mag += math.Abs(wq[j] * x[j])
	}
	switch {
	case m.Type == Q4_1 || m.Type == Q5_1:
		s := a.vec(v).s
		for b := range wm {
			val += wm[b] * float64(s[b])
			mag += math.Abs(wm[b] * float64(s[b]))
		}
	case wm != nil:
		for j := range x {
			val += wm[j] * x[j]
			mag += math.Abs(wm[j] * x[j])
		}
	}
	return val, mag
}
