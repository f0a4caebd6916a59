package kernels

import (
	"math"
)

// Quantisers from float32 to every DType, following ggml's reference
// quantizers (quantize_row_*_ref in ggml-quants.c, which llama-quantize
// runs when it has no importance matrix) operation for operation, so that
// the same float32 weights give the same bytes. ggml compiles them for
// baseline x86-64 without fused multiply-adds; the explicit float32
// conversions below keep Go from fusing either, on any GOAMD64 level.

// groupMaxEps is ggml's GROUP_MAX_EPS: a group whose largest magnitude is
// below it quantises to zero.
const groupMaxEps = 1e-15

// QuantizeRow encodes x (a whole number of t's blocks) as one row of type
// t into dst, which must hold t.RowBytes(len(x)) bytes.
func QuantizeRow(t DType, dst []byte, x []float32) {
	if len(dst) != t.RowBytes(len(x)) {
		panic("kernels: QuantizeRow size mismatch")
	}
	bs, bb := t.BlockSize(), t.BlockBytes()
	switch t {
	case F32:
		for i, v := range x {
			b := math.Float32bits(v)
			dst[4*i], dst[4*i+1], dst[4*i+2], dst[4*i+3] = byte(b), byte(b>>8), byte(b>>16), byte(b>>24)
		}
		return
	case F16:
		for i, v := range x {
			put16(dst[2*i:], F32ToF16(v))
		}
		return
	case BF16:
		for i, v := range x {
			put16(dst[2*i:], F32ToBF16(v))
		}
		return
	}
	for b := 0; b < len(x)/bs; b++ {
		blk, xb := dst[b*bb:(b+1)*bb], x[b*bs:(b+1)*bs]
		clear(blk)
		switch t {
		case Q4_0:
			quantizeQ4_0(blk, xb)
		case Q4_1:
			quantizeQ4_1(blk, xb)
		case Q5_0:
			quantizeQ5_0(blk, xb)
		case Q5_1:
			quantizeQ5_1(blk, xb)
		case Q8_0:
			quantizeQ8_0(blk, xb)
		case Q2_K:
			quantizeQ2K(blk, xb)
		case Q3_K:
			quantizeQ3K(blk, xb)
		case Q4_K:
			quantizeQ45K(blk, xb, false)
		case Q5_K:
			quantizeQ45K(blk, xb, true)
		case Q6_K:
			quantizeQ6K(blk, xb)
		}
	}
}

func put16(b []byte, h uint16) { b[0], b[1] = byte(h), byte(h>>8) }

// signedMax is the first element of largest magnitude and that magnitude.
func signedMax(x []float32) (mx, amax float32) {
	for _, v := range x {
		if a := abs32(v); a > amax {
			amax, mx = a, v
		}
	}
	return mx, amax
}

func quantizeQ4_0(blk []byte, x []float32) {
	mx, _ := signedMax(x)
	d := mx / -8
	var id float32
	if d != 0 {
		id = 1 / d
	}
	put16(blk, F32ToF16(d))
	for j := 0; j < 16; j++ {
		x0, x1 := float32(x[j]*id), float32(x[j+16]*id)
		blk[2+j] = byte(min(15, int8(x0+8.5))) | byte(min(15, int8(x1+8.5)))<<4
	}
}

// minMax is the smallest and largest element, starting from ±FLT_MAX.
func minMax(x []float32) (lo, hi float32) {
	lo, hi = math.MaxFloat32, -math.MaxFloat32
	for _, v := range x {
		if v < lo {
			lo = v
		}
		if v > hi {
			hi = v
		}
	}
	return lo, hi
}

func quantizeQ4_1(blk []byte, x []float32) {
	lo, hi := minMax(x)
	d := (hi - lo) / 15
	var id float32
	if d != 0 {
		id = 1 / d
	}
	put16(blk, F32ToF16(d))
	put16(blk[2:], F32ToF16(lo))
	for j := 0; j < 16; j++ {
		x0, x1 := float32((x[j]-lo)*id), float32((x[j+16]-lo)*id)
		blk[4+j] = byte(min(15, int8(x0+0.5))) | byte(min(15, int8(x1+0.5)))<<4
	}
}

func quantizeQ5_0(blk []byte, x []float32) {
	mx, _ := signedMax(x)
	d := mx / -16
	var id float32
	if d != 0 {
		id = 1 / d
	}
	put16(blk, F32ToF16(d))
	var qh uint32
	for j := 0; j < 16; j++ {
		x0, x1 := float32(x[j]*id), float32(x[j+16]*id)
		q0, q1 := byte(min(31, int8(x0+16.5))), byte(min(31, int8(x1+16.5)))
		blk[6+j] = q0&0xf | (q1&0xf)<<4
		qh |= uint32(q0>>4) << j
		qh |= uint32(q1>>4) << (j + 16)
	}
	put32(blk[2:], qh)
}

func put32(b []byte, v uint32) {
	b[0], b[1], b[2], b[3] = byte(v), byte(v>>8), byte(v>>16), byte(v>>24)
}

func quantizeQ5_1(blk []byte, x []float32) {
	lo, hi := minMax(x)
	d := (hi - lo) / 31
	var id float32
	if d != 0 {
		id = 1 / d
	}
	put16(blk, F32ToF16(d))
	put16(blk[2:], F32ToF16(lo))
	var qh uint32
	for j := 0; j < 16; j++ {
		x0, x1 := float32((x[j]-lo)*id), float32((x[j+16]-lo)*id)
		q0, q1 := uint8(x0+0.5), uint8(x1+0.5)
		blk[8+j] = q0&0xf | (q1&0xf)<<4
		qh |= uint32(q0>>4&1) << j
		qh |= uint32(q1>>4&1) << (j + 16)
	}
	put32(blk[4:], qh)
}

// quantizeQ8_0 is quantize_row_q8_0_ref: d = max|x|/127 and x/d rounded
// half away from zero (unlike the activations' AVX2 quantiser).
func quantizeQ8_0(blk []byte, x []float32) {
	var amax float32
	for _, v := range x {
		amax = max(amax, abs32(v))
	}
	d := amax / 127
	var id float32
	if d != 0 {
		id = 1 / d
	}
	put16(blk, F32ToF16(d))
	for j, v := range x {
		blk[2+j] = byte(int8(math.Round(float64(v * id))))
	}
}

func clampInt(v, lo, hi int) int { return max(lo, min(hi, v)) }

// makeQKX2Quants is ggml's make_qkx2_quants: the scale and min (returned
// negated, as the_min) of an asymmetric n-value quantisation to [0, nmax],
// searching nstep+1 scales around nmax/(max-min) for the smallest
// weighted error (absolute with mad, else squared). L gets the quants.
func makeQKX2Quants(nmax int, x, weights []float32, L, Laux []uint8, rmin, rdelta float32, nstep int, mad bool) (scale, theMin float32) {
	n := len(x)
	lo, hi := x[0], x[0]
	sumW := weights[0]
	sumX := float32(sumW * x[0])
	for i := 1; i < n; i++ {
		if x[i] < lo {
			lo = x[i]
		}
		if x[i] > hi {
			hi = x[i]
		}
		w := weights[i]
		sumW += w
		sumX += float32(w * x[i])
	}
	if lo > 0 {
		lo = 0
	}
	if hi == lo {
		clear(L[:n])
		return 0, -lo
	}
	iscale := float32(nmax) / (hi - lo)
	scale = 1 / iscale
	errOf := func(diff float32) float32 {
		if mad {
			return abs32(diff)
		}
		return float32(diff * diff)
	}
	var bestErr float32
	for i := 0; i < n; i++ {
		l := nearestInt(float32(iscale * (x[i] - lo)))
		L[i] = uint8(clampInt(l, 0, nmax))
		diff := float32(float32(scale*float32(L[i]))+lo) - x[i]
		bestErr += float32(weights[i] * errOf(diff))
	}
	if nstep < 1 {
		return scale, -lo
	}
	for is := 0; is <= nstep; is++ {
		iscale = float32(float32(rmin+float32(rdelta*float32(is)))+float32(nmax)) / (hi - lo)
		var sumL, sumL2, sumXL float32
		for i := 0; i < n; i++ {
			l := clampInt(nearestInt(float32(iscale*(x[i]-lo))), 0, nmax)
			Laux[i] = uint8(l)
			w := weights[i]
			fl := float32(l)
			wl := float32(w * fl)
			sumL += wl
			sumL2 += float32(wl * fl)
			sumXL += float32(wl * x[i])
		}
		D := float32(sumW*sumL2) - float32(sumL*sumL)
		if D > 0 {
			thisScale := (float32(sumW*sumXL) - float32(sumX*sumL)) / D
			thisMin := (float32(sumL2*sumX) - float32(sumL*sumXL)) / D
			if thisMin > 0 {
				thisMin = 0
				thisScale = sumXL / sumL2
			}
			var curErr float32
			for i := 0; i < n; i++ {
				diff := float32(float32(thisScale*float32(Laux[i]))+thisMin) - x[i]
				curErr += float32(weights[i] * errOf(diff))
			}
			if curErr < bestErr {
				copy(L[:n], Laux[:n])
				bestErr = curErr
				scale, lo = thisScale, thisMin
			}
		}
	}
	return scale, -lo
}

// makeQXQuants is ggml's make_qx_quants with rmse_type 1 and no
// importance weights (the form quantize_row_q6_K_ref uses): a symmetric
// quantisation to [-nmax, nmax-1] (L gets it offset by nmax) whose scale
// minimises the x²-weighted squared error over 19 candidate scales.
func makeQXQuants(nmax int, x []float32, L []int8) float32 {
	n := len(x)
	mx, amax := signedMax(x)
	if amax < groupMaxEps {
		clear(L[:n])
		return 0
	}
	iscale := float32(-nmax) / mx
	var sumLX, sumL2 float32
	for i := 0; i < n; i++ {
		l := clampInt(nearestInt(float32(iscale*x[i])), -nmax, nmax-1)
		L[i] = int8(l + nmax)
		w := float32(x[i] * x[i])
		fl := float32(l)
		sumLX += float32(float32(w*x[i]) * fl)
		sumL2 += float32(float32(w*fl) * fl)
	}
	var scale float32
	if sumL2 != 0 {
		scale = sumLX / sumL2
	}
	best := float32(scale * sumLX)
	for is := -9; is <= 9; is++ {
		if is == 0 {
			continue
		}
		iscale = -(float32(nmax) + float32(0.1*float32(is))) / mx
		sumLX, sumL2 = 0, 0
		for i := 0; i < n; i++ {
			l := clampInt(nearestInt(float32(iscale*x[i])), -nmax, nmax-1)
			w := float32(x[i] * x[i])
			fl := float32(l)
			sumLX += float32(float32(w*x[i]) * fl)
			sumL2 += float32(float32(w*fl) * fl)
		}
		if sumL2 > 0 && float32(sumLX*sumLX) > float32(best*sumL2) {
			for i := 0; i < n; i++ {
				l := clampInt(nearestInt(float32(iscale*x[i])), -nmax, nmax-1)
				L[i] = int8(nmax + l)
			}
			scale = sumLX / sumL2
			best = float32(scale * sumLX)
		}
	}
	return scale
}

// makeQ3Quants is ggml's make_q3_quants with do_rmse: a symmetric
// quantisation to [-nmax, nmax-1] refined by up to five passes that move
// single quants while the x²-weighted fit improves. L gets the quants
// offset by nmax.
func makeQ3Quants(nmax int, x []float32, L []int8) float32 {
	n := len(x)
	mx, amax := signedMax(x)
	if amax < groupMaxEps {
		clear(L[:n])
		return 0
	}
	iscale := float32(-nmax) / mx
	var sumLX, sumL2 float32
	for i := 0; i < n; i++ {
		l := clampInt(nearestInt(float32(iscale*x[i])), -nmax, nmax-1)
		L[i] = int8(l)
		w := float32(x[i] * x[i])
		sumLX += float32(float32(w*x[i]) * float32(l))
		sumL2 += float32(float32(w*float32(l)) * float32(l))
	}
	for itry := 0; itry < 5; itry++ {
		changed := 0
		for i := 0; i < n; i++ {
			w := float32(x[i] * x[i])
			li := float32(L[i])
			slx := sumLX - float32(float32(w*x[i])*li)
			if slx > 0 {
				sl2 := sumL2 - float32(float32(w*li)*li)
				newL := clampInt(nearestInt(float32(x[i]*sl2)/slx), -nmax, nmax-1)
				if newL != int(L[i]) {
					fn := float32(newL)
					slx += float32(float32(w*x[i]) * fn)
					sl2 += float32(float32(w*fn) * fn)
					if sl2 > 0 && float32(float32(slx*slx)*sumL2) > float32(float32(sumLX*sumLX)*sl2) {
						L[i] = int8(newL)
						sumLX, sumL2 = slx, sl2
						changed++
					}
				}
			}
		}
		if changed == 0 {
			break
		}
	}
	for i := 0; i < n; i++ {
		L[i] += int8(nmax)
	}
	if sumL2 > 0 {
		return sumLX / sumL2
	}
	return 0
}

// packQ2Bits packs 256 two-bit values the Q2_K and Q3_K way: byte l of
// each 32 holds values l, l+32, l+64, l+96 of its 128.
func packQ2Bits(qs []byte, L []uint8) {
	for j := 0; j < QK; j += 128 {
		for l := 0; l < 32; l++ {
			qs[j/4+l] = L[j+l] | L[j+l+32]<<2 | L[j+l+64]<<4 | L[j+l+96]<<6
		}
	}
}

func quantizeQ2K(blk []byte, x []float32) {
	var L [QK]uint8
	var Laux [16]uint8
	var weights [16]float32
	var scales, mins [16]float32
	var maxScale, maxMin float32
	for j := 0; j < 16; j++ {
		xs := x[16*j : 16*j+16]
		for l := range weights {
			weights[l] = abs32(xs[l])
		}
		scales[j], mins[j] = makeQKX2Quants(3, xs, weights[:], L[16*j:16*j+16], Laux[:], -0.5, 0.1, 15, true)
		maxScale = max32(maxScale, scales[j])
		maxMin = max32(maxMin, mins[j])
	}
	sc := blk[0:16]
	if maxScale > 0 {
		iscale := 15 / maxScale
		for j := range sc {
			sc[j] = uint8(nearestInt(float32(iscale * scales[j])))
		}
		put16(blk[80:], F32ToF16(maxScale/15))
	} else {
		put16(blk[80:], F32ToF16(0))
	}
	if maxMin > 0 {
		iscale := 15 / maxMin
		for j := range sc {
			sc[j] |= uint8(nearestInt(float32(iscale*mins[j])) << 4)
		}
		put16(blk[82:], F32ToF16(maxMin/15))
	} else {
		put16(blk[82:], F32ToF16(0))
	}
	dAll, dMin := f16At(blk, 80), f16At(blk, 82)
	for j := 0; j < 16; j++ {
		d := dAll * float32(sc[j]&0xf)
		if d == 0 {
			continue
		}
		dm := float32(dMin * float32(sc[j]>>4))
		for i := 16 * j; i < 16*j+16; i++ {
			L[i] = uint8(clampInt(nearestInt((x[i]+dm)/d), 0, 3))
		}
	}
	packQ2Bits(blk[16:80], L[:])
}

// max32 is ggml's "if (v > m) m = v" (which keeps m for a NaN v).
func max32(m, v float32) float32 {
	if v > m {
		return v
	}
	return m
}

func quantizeQ3K(blk []byte, x []float32) {
	var L [QK]int8
	var scales [16]float32
	var maxScale, amax float32
	for j := 0; j < 16; j++ {
		scales[j] = makeQ3Quants(4, x[16*j:16*j+16], L[16*j:16*j+16])
		if a := abs32(scales[j]); a > amax {
			amax, maxScale = a, scales[j]
		}
	}
	s := blk[96:108]
	if maxScale != 0 {
		iscale := -32 / maxScale
		for j := 0; j < 16; j++ {
			l := clampInt(int(int8(nearestInt(float32(iscale*scales[j])))), -32, 31) + 32
			if j < 8 {
				s[j] = byte(l & 0xf)
			} else {
				s[j-8] |= byte(l&0xf) << 4
			}
			s[8+j%4] |= byte(l>>4) << (2 * (j / 4))
		}
		put16(blk[108:], F32ToF16(1/iscale))
	} else {
		put16(blk[108:], F32ToF16(0))
	}
	var sc [16]int8
	q3Scales(&sc, s)
	dAll := f16At(blk, 108)
	for j := 0; j < 16; j++ {
		d := dAll * float32(sc[j])
		if d == 0 {
			continue
		}
		for i := 16 * j; i < 16*j+16; i++ {
			L[i] = int8(clampInt(nearestInt(x[i]/d), -4, 3) + 4)
		}
	}
	// high bits: bit j/32 of hmask[j%32]
	hm := blk[0:32]
	var low [QK]uint8
	for j := 0; j < QK; j++ {
		v := uint8(L[j])
		if v > 3 {
			hm[j%32] |= 1 << (j / 32)
			v -= 4
		}
		low[j] = v
	}
	packQ2Bits(blk[32:96], low[:])
}

func quantizeQ45K(blk []byte, x []float32, five bool) {
	nmax, rmin, nstep := 15, float32(-1), 20
	if five {
		nmax, rmin, nstep = 31, -0.5, 15
	}
	var L [QK]uint8
	var Laux [32]uint8
	var weights [32]float32
	var scales, mins [8]float32
	var maxScale, maxMin float32
	for j := 0; j < 8; j++ {
		xs := x[32*j : 32*j+32]
		var sumX2 float32
		for _, v := range xs {
			sumX2 += float32(v * v)
		}
		avX := float32(math.Sqrt(float64(sumX2 / 32)))
		for l := range weights {
			weights[l] = avX + abs32(xs[l])
		}
		scales[j], mins[j] = makeQKX2Quants(nmax, xs, weights[:], L[32*j:32*j+32], Laux[:], rmin, 0.1, nstep, false)
		maxScale = max32(maxScale, scales[j])
		maxMin = max32(maxMin, mins[j])
	}
	var invScale, invMin float32
	if maxScale > 0 {
		invScale = 63 / maxScale
	}
	if maxMin > 0 {
		invMin = 63 / maxMin
	}
	s := blk[4:16]
	for j := 0; j < 8; j++ {
		ls := min(63, uint8(nearestInt(float32(invScale*scales[j]))))
		lm := min(63, uint8(nearestInt(float32(invMin*mins[j]))))
		if j < 4 {
			s[j], s[j+4] = ls, lm
		} else {
			s[j+4] = ls&0xf | (lm&0xf)<<4
			s[j-4] |= ls >> 4 << 6
			s[j] |= lm >> 4 << 6
		}
	}
	put16(blk[0:], F32ToF16(maxScale/63))
	put16(blk[2:], F32ToF16(maxMin/63))
	var sc, mn [8]uint8
	kScales(&sc, &mn, s)
	dAll, dMin := f16At(blk, 0), f16At(blk, 2)
	for j := 0; j < 8; j++ {
		d := dAll * float32(sc[j])
		if d == 0 {
			continue
		}
		dm := float32(dMin * float32(mn[j]))
		for i := 32 * j; i < 32*j+32; i++ {
			L[i] = uint8(clampInt(nearestInt((x[i]+dm)/d), 0, nmax))
		}
	}
	if !five {
		qs := blk[16:144]
		for j := 0; j < QK; j += 64 {
			for l := 0; l < 32; l++ {
				qs[j/2+l] = L[j+l] | L[j+l+32]<<4
			}
		}
		return
	}
	qh, ql := blk[16:48], blk[48:176]
	m1, m2 := uint8(1), uint8(2)
	for n := 0; n < QK; n += 64 {
		for j := 0; j < 32; j++ {
			l1, l2 := L[n+j], L[n+j+32]
			if l1 > 15 {
				l1 -= 16
				qh[j] |= m1
			}
			if l2 > 15 {
				l2 -= 16
				qh[j] |= m2
			}
			ql[n/2+j] = l1 | l2<<4
		}
		m1, m2 = m1<<2, m2<<2
	}
}

func quantizeQ6K(blk []byte, x []float32) {
	var L [QK]int8
	var scales [16]float32
	var maxScale, maxAbs float32
	for ib := 0; ib < 16; ib++ {
		scales[ib] = makeQXQuants(32, x[16*ib:16*ib+16], L[16*ib:16*ib+16])
		if a := abs32(scales[ib]); a > maxAbs {
			maxAbs, maxScale = a, scales[ib]
		}
	}
	if maxAbs < groupMaxEps {
		clear(blk) // d = F16(0) is zero bits too
		return
	}
	iscale := -128 / maxScale
	put16(blk[208:], F32ToF16(1/iscale))
	for ib := 0; ib < 16; ib++ {
		blk[192+ib] = byte(int8(min(127, nearestInt(float32(iscale*scales[ib])))))
	}
	dAll := f16At(blk, 208)
	for j := 0; j < 16; j++ {
		d := dAll * float32(int8(blk[192+j]))
		if d == 0 {
			continue
		}
		for i := 16 * j; i < 16*j+16; i++ {
			L[i] = int8(clampInt(nearestInt(x[i]/d), -32, 31) + 32)
		}
	}
	ql, qh := blk[0:128], blk[128:192]
	for j := 0; j < QK; j += 128 {
		for l := 0; l < 32; l++ {
			q1, q2, q3, q4 := uint8(L[j+l]), uint8(L[j+l+32]), uint8(L[j+l+64]), uint8(L[j+l+96])
			ql[j/2+l] = q1&0xf | (q3&0xf)<<4
			ql[j/2+l+32] = q2&0xf | (q4&0xf)<<4
			qh[j/4+l] = q1>>4 | (q2>>4)<<2 | (q3>>4)<<4 | (q4>>4)<<6
		}
	}
}
