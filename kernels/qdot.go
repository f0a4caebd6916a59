package kernels

import "math"

// Products of quantised weight rows with prepared activations (Act): the
// generic Go versions, which define each type's arithmetic. Per block the
// integer sums are exact; the block results are scaled and accumulated in
// float32 in block order, as ggml's scalar vec_dot functions do. Fast
// versions may accumulate in another order (lanes, then a fixed tree).
//
// Q4_1 and Q5_1 are the exception: their generic and AVX2 versions both
// follow the arithmetic of ggml's x86 vec_dot (see dotQ4_1) and give its
// float32 results bit for bit. llama.cpp runs that code for these types on
// every x86 CPU with AVX2 (it has no repacked or tinyBLAS path for them),
// and an ulp of difference in one product can move a later rounding
// (an F16 or Q8 activation at a tie) and grow into visibly different
// logits.

// actVec is one vector of an Act.
type actVec struct {
	f  []float32
	q  []int8
	d  []float32
	s  []float32
	bs []int16
}

func (a *Act) vec(v int) actVec {
	c := a.cols
	var av actVec
	if a.f != nil && len(a.f) >= (v+1)*c {
		av.f = a.f[v*c : (v+1)*c]
	}
	switch a.wt.actKind() {
	case actQ8_0, actQ8_1:
		av.q = a.q[v*c : (v+1)*c]
		av.d = a.d[v*c/32 : (v+1)*c/32]
		if a.wt.actKind() == actQ8_1 {
			av.s = a.s[v*c/32 : (v+1)*c/32]
		}
	case actQ8K:
		av.q = a.q[v*c : (v+1)*c]
		av.d = a.d[v*c/QK : (v+1)*c/QK]
		av.bs = a.bs[v*c/16 : (v+1)*c/16]
	}
	return av
}

// MatMulAct computes out[t, r] = dot(m[r,:], x_t) for the a.N() vectors
// prepared in a (for m.Type, with m.Cols columns), into out (a.N(),
// m.Rows), for rows r in [r0, r1). A Pool's workers can share one Act.
func MatMulAct(out []float32, m *Mat, a *Act, r0, r1 int) {
	if a.wt.actKind() != m.Type.actKind() || a.cols != m.Cols || len(out) != a.n*m.Rows || r0 < 0 || r1 > m.Rows || r0 > r1 {
		panic("kernels: MatMulAct shape mismatch")
	}
	if a.n == 0 || r0 == r1 {
		return
	}
	matMulAct(out, m, a, r0, r1)
}

// matMulActGeneric is the generic product for every type.
func matMulActGeneric(out []float32, m *Mat, a *Act, r0, r1 int) {
	for v := 0; v < a.n; v++ {
		o := out[v*m.Rows : (v+1)*m.Rows]
		switch m.Type {
		case F32:
			matVecF32Generic(o, m.F32, a.vec(v).f, m.Cols, r0, r1)
		case F16:
			matVecF16Generic(o, m.Raw, a.vec(v).f, m.Cols, r0, r1)
		case BF16:
			matVecBF16Generic(o, m.Raw, a.vec(v).f, m.Cols, r0, r1)
		default:
			av := a.vec(v)
			for r := r0; r < r1; r++ {
				o[r] = dotQuantRow(m.Type, m.rawRow(r), &av)
			}
		}
	}
}

func matVecBF16Generic(out []float32, w []byte, x []float32, cols, r0, r1 int) {
	for r := r0; r < r1; r++ {
		row := w[r*2*cols : (r+1)*2*cols]
		var s float32
		for j := range x {
			s += BF16ToF32(uint16(row[2*j])|uint16(row[2*j+1])<<8) * x[j]
		}
		out[r] = s
	}
}

// dotQuantRow is the product of one row of a block type with one prepared
// vector.
func dotQuantRow(t DType, w []byte, x *actVec) float32 {
	switch t {
	case Q8_0:
		return dotQ8_0(w, x)
	case Q4_0:
		return dotQ4_0(w, x)
	case Q4_1:
		return dotQ4_1(w, x)
	case Q5_0:
		return dotQ5_0(w, x)
	case Q5_1:
		return dotQ5_1(w, x)
	case Q2_K:
		return dotQ2K(w, x)
	case Q3_K:
		return dotQ3K(w, x)
	case Q4_K:
		return dotQ4K(w, x)
	case Q5_K:
		return dotQ5K(w, x)
	case Q6_K:
		return dotQ6K(w, x)
	}
	panic("kernels: unknown dtype")
}

func dotQ8_0(w []byte, x *actVec) float32 {
	var sum float32
	for b := range x.d {
		blk := w[34*b : 34*b+34]
		y := x.q[32*b : 32*b+32]
		isum := 0
		for j := 0; j < 32; j++ {
			isum += int(int8(blk[2+j])) * int(y[j])
		}
		sum += f16At(blk, 0) * x.d[b] * float32(isum)
	}
	return sum
}

func dotQ4_0(w []byte, x *actVec) float32 {
	var sum float32
	for b := range x.d {
		blk := w[18*b : 18*b+18]
		y := x.q[32*b : 32*b+32]
		isum := 0
		for j := 0; j < 16; j++ {
			isum += (int(blk[2+j]&0xf) - 8) * int(y[j])
			isum += (int(blk[2+j]>>4) - 8) * int(y[j+16])
		}
		sum += f16At(blk, 0) * x.d[b] * float32(isum)
	}
	return sum
}

// dotQ4_1 computes a Q4_1 row times a Q8_1 vector as ggml's AVX2
// ggml_vec_dot_q4_1_q8_1 does: eight float32 lanes, lane k holding the
// integer sum of the products of elements 4k..4k+3 of each block, scaled
// by d_w·d_x (rounded) and added with a fused multiply-add; the mins'
// part m·s summed apart, also fused; then the lanes folded as
// (l0+l4 + l2+l6) + (l1+l5 + l3+l7) and the mins added last.
func dotQ4_1(w []byte, x *actVec) float32 {
	var acc [8]float32
	var lanes [8]int32
	var summs float32
	for b := range x.d {
		blk := w[20*b : 20*b+20]
		qs := blk[4:20]
		y := x.q[32*b : 32*b+32]
		// lanes 0-3 take the low nibbles (elements 0-15), lanes 4-7 the high
		for k := 0; k < 4; k++ {
			q := qs[4*k : 4*k+4 : 4*k+4]
			lo, hi := y[4*k:4*k+4:4*k+4], y[16+4*k:20+4*k:20+4*k]
			lanes[k] = int32(q[0]&0xf)*int32(lo[0]) + int32(q[1]&0xf)*int32(lo[1]) +
				int32(q[2]&0xf)*int32(lo[2]) + int32(q[3]&0xf)*int32(lo[3])
			lanes[k+4] = int32(q[0]>>4)*int32(hi[0]) + int32(q[1]>>4)*int32(hi[1]) +
				int32(q[2]>>4)*int32(hi[2]) + int32(q[3]>>4)*int32(hi[3])
		}
		fmaLanes(&acc, f16At(blk, 0)*x.d[b], &lanes)
		summs = fma32(f16At(blk, 2), x.s[b], summs)
	}
	return fold8(&acc) + summs
}

// fmaLanes sets acc[k] = fma32(d, lanes[k], acc[k]) for the eight lanes
// (fma32 written out: one call per block rather than eight).
func fmaLanes(acc *[8]float32, d float32, lanes *[8]int32) {
	for k, l := range lanes {
		p := float64(d) * float64(l)
		r := p + float64(acc[k])
		if bits := math.Float64bits(r); bits&(1<<29-1) != 1<<28 && bits&(0x7ff<<52) >= (1023-126)<<52 {
			acc[k] = float32(r)
		} else {
			acc[k] = fma32Tie(p, float64(acc[k]), r)
		}
	}
}

// fold8 sums eight lanes as ggml's hsum_float_8: the high half added to
// the low, then lanes two apart, then the last pair.
func fold8(a *[8]float32) float32 {
	r0, r1, r2, r3 := a[0]+a[4], a[1]+a[5], a[2]+a[6], a[3]+a[7]
	return (r0 + r2) + (r1 + r3)
}

// fma32 is a·b+c rounded once to float32, as VFMADD231SS computes it. The
// product is exact in float64, and rounding the float64 sum r again to
// float32 goes wrong only when r falls exactly halfway between two
// float32 values while the exact sum does not (fma32Tie); for a normal
// float32 result r is then a float64 whose 29 bits below float32
// precision are 1000...0.
func fma32(a, b, c float32) float32 {
	p := float64(a) * float64(b)
	r := p + float64(c)
	if bits := math.Float64bits(r); bits&(1<<29-1) != 1<<28 && bits&(0x7ff<<52) >= (1023-126)<<52 {
		return float32(r)
	}
	return fma32Tie(p, float64(c), r)
}

// fma32Tie rounds p+c to float32 given its float64 rounding r, when r may
// be a float32 midpoint or lie below float32's normal range: if r is a
// midpoint, the rounding error of r, found with Knuth's TwoSum, says which
// way to go.
func fma32Tie(p, c, r float64) float32 {
	f := float32(r)
	if float64(f) == r || math.IsInf(float64(f), 0) {
		return f
	}
	g := math.Nextafter32(f, float32(math.Inf(-1))) // the float32 on r's other side
	if float64(f) < r {
		g = math.Nextafter32(f, float32(math.Inf(1)))
	}
	if r != (float64(f)+float64(g))/2 {
		return f
	}
	bb := r - p
	e := (p - (r - bb)) + (c - bb) // exactly p + c - r
	switch {
	case e > 0:
		return max(f, g)
	case e < 0:
		return min(f, g)
	}
	return f
}

func dotQ5_0(w []byte, x *actVec) float32 {
	var sum float32
	for b := range x.d {
		blk := w[22*b : 22*b+22]
		qh := le32(blk[2:])
		y := x.q[32*b : 32*b+32]
		isum := 0
		for j := 0; j < 16; j++ {
			isum += (int(blk[6+j]&0xf|byte(qh>>j&1)<<4) - 16) * int(y[j])
			isum += (int(blk[6+j]>>4|byte(qh>>(j+16)&1)<<4) - 16) * int(y[j+16])
		}
		sum += f16At(blk, 0) * x.d[b] * float32(isum)
	}
	return sum
}

// dotQ5_1 is dotQ4_1 for Q5_1 rows (ggml_vec_dot_q5_1_q8_1): weight e is
// its nibble plus 16 times bit e of qh.
func dotQ5_1(w []byte, x *actVec) float32 {
	var acc [8]float32
	var lanes [8]int32
	var summs float32
	for b := range x.d {
		blk := w[24*b : 24*b+24]
		qh := le32(blk[4:])
		qs := blk[8:24]
		y := x.q[32*b : 32*b+32]
		for k := 0; k < 4; k++ {
			lo, hi := int32(0), int32(0)
			for e := 4 * k; e < 4*k+4; e++ {
				lo += int32(qs[e]&0xf|byte(qh>>e&1)<<4) * int32(y[e])
				hi += int32(qs[e]>>4|byte(qh>>(e+16)&1)<<4) * int32(y[e+16])
			}
			lanes[k], lanes[k+4] = lo, hi
		}
		fmaLanes(&acc, f16At(blk, 0)*x.d[b], &lanes)
		summs = fma32(f16At(blk, 2), x.s[b], summs)
	}
	return fold8(&acc) + summs
}

// The K-quants: per super-block the integer sums S = Σ_j sc_j·Σ q·y over
// its sub-blocks and (for the types with mins) M = Σ_j m_j·Σ y, then
// d_x·d·S - d_x·dmin·M in float32.

func dotQ2K(w []byte, x *actVec) float32 {
	var sum float32
	for b := range x.d {
		blk := w[84*b : 84*b+84]
		sc, qs := blk[0:16], blk[16:80]
		y := x.q[QK*b : QK*b+QK]
		var S, M int
		for j := 0; j < 16; j++ {
			isum := 0
			for e := 16 * j; e < 16*j+16; e++ {
				q := qs[32*(e/128)+e%32] >> (2 * (e / 32 % 4)) & 3
				isum += int(q) * int(y[e])
			}
			S += int(sc[j]&0xf) * isum
			M += int(sc[j]>>4) * int(x.bs[16*b+j])
		}
		dx := x.d[b]
		sum += dx*f16At(blk, 80)*float32(S) - dx*f16At(blk, 82)*float32(M)
	}
	return sum
}

func dotQ3K(w []byte, x *actVec) float32 {
	var sum float32
	for b := range x.d {
		blk := w[110*b : 110*b+110]
		hm, qs := blk[0:32], blk[32:96]
		var sc [16]int8
		q3Scales(&sc, blk[96:108])
		y := x.q[QK*b : QK*b+QK]
		S := 0
		for j := 0; j < 16; j++ {
			isum := 0
			for e := 16 * j; e < 16*j+16; e++ {
				isum += q3Value(hm, qs, e) * int(y[e])
			}
			S += int(sc[j]) * isum
		}
		sum += x.d[b] * f16At(blk, 108) * float32(S)
	}
	return sum
}

func dotQ4K(w []byte, x *actVec) float32 { return dotQ45K(w, x, false) }
func dotQ5K(w []byte, x *actVec) float32 { return dotQ45K(w, x, true) }

func dotQ45K(w []byte, x *actVec, five bool) float32 {
	bb := 144
	if five {
		bb = 176
	}
	var sum float32
	for b := range x.d {
		blk := w[bb*b : bb*(b+1)]
		var sc, mn [8]uint8
		kScales(&sc, &mn, blk[4:16])
		y := x.q[QK*b : QK*b+QK]
		var S, M int
		for j := 0; j < 8; j++ {
			isum := 0
			for e := 32 * j; e < 32*j+32; e++ {
				var q uint8
				if five {
					q = q5kValue(blk[16:48], blk[48:176], e)
				} else {
					q = q4kValue(blk[16:144], e)
				}
				isum += int(q) * int(y[e])
			}
			S += int(sc[j]) * isum
			M += int(mn[j]) * (int(x.bs[16*b+2*j]) + int(x.bs[16*b+2*j+1]))
		}
		dx := x.d[b]
		sum += dx*f16At(blk, 0)*float32(S) - dx*f16At(blk, 2)*float32(M)
	}
	return sum
}

func dotQ6K(w []byte, x *actVec) float32 {
	var sum float32
	for b := range x.d {
		blk := w[210*b : 210*b+210]
		ql, qh, sc := blk[0:128], blk[128:192], blk[192:208]
		y := x.q[QK*b : QK*b+QK]
		S := 0
		for j := 0; j < 16; j++ {
			isum := 0
			for e := 16 * j; e < 16*j+16; e++ {
				isum += q6Value(ql, qh, e) * int(y[e])
			}
			S += int(int8(sc[j])) * isum
		}
		sum += x.d[b] * f16At(blk, 208) * float32(S)
	}
	return sum
}
