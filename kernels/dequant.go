package kernels

import "math"

// Dequantisation of one row of any DType to float32, as ggml's
// dequantize_row_* functions compute it: each weight is one float32
// expression of its block's scales and its quant, evaluated left to right
// with every operation rounded (no fused multiply-add). Mat.Row uses it for
// embedding lookups; the tests use it for reference products.

func f16At(b []byte, o int) float32 { return F16ToF32(uint16(b[o]) | uint16(b[o+1])<<8) }

// BF16ToF32 converts a bfloat16 (as its bits) to float32, exactly.
func BF16ToF32(h uint16) float32 { return math.Float32frombits(uint32(h) << 16) }

// F32ToBF16 rounds a float32 to the nearest bfloat16 (ties to even), as
// ggml's GGML_FP32_TO_BF16 does: NaNs stay NaN (made quiet), overflow
// rounds to infinity.
func F32ToBF16(f float32) uint16 {
	b := math.Float32bits(f)
	if b&0x7fffffff > 0x7f800000 {
		return uint16(b>>16) | 64
	}
	return uint16((b + 0x7fff + (b>>16)&1) >> 16)
}

// dequantRow writes the cols = len(dst) weights of one row of type t,
// stored in raw (RowBytes(cols) bytes), into dst.
func dequantRow(t DType, dst []float32, raw []byte) {
	cols := len(dst)
	switch t {
	case F16:
		for j := range dst {
			dst[j] = f16At(raw, 2*j)
		}
	case BF16:
		for j := range dst {
			dst[j] = BF16ToF32(uint16(raw[2*j]) | uint16(raw[2*j+1])<<8)
		}
	case F32:
		for j := range dst {
			dst[j] = math.Float32frombits(uint32(raw[4*j]) | uint32(raw[4*j+1])<<8 | uint32(raw[4*j+2])<<16 | uint32(raw[4*j+3])<<24)
		}
	case Q8_0:
		for b := 0; b < cols/32; b++ {
			blk := raw[b*34 : (b+1)*34]
			d := f16At(blk, 0)
			for j := 0; j < 32; j++ {
				dst[32*b+j] = float32(int8(blk[2+j])) * d
			}
		}
	case Q4_0:
		for b := 0; b < cols/32; b++ {
			blk := raw[b*18 : (b+1)*18]
			d := f16At(blk, 0)
			y := dst[32*b : 32*b+32]
			for j := 0; j < 16; j++ {
				y[j] = float32(int(blk[2+j]&0xf)-8) * d
				y[j+16] = float32(int(blk[2+j]>>4)-8) * d
			}
		}
	case Q4_1:
		for b := 0; b < cols/32; b++ {
			blk := raw[b*20 : (b+1)*20]
			d, m := f16At(blk, 0), f16At(blk, 2)
			y := dst[32*b : 32*b+32]
			for j := 0; j < 16; j++ {
				y[j] = float32(float32(blk[4+j]&0xf)*d) + m
				y[j+16] = float32(float32(blk[4+j]>>4)*d) + m
			}
		}
	case Q5_0:
		for b := 0; b < cols/32; b++ {
			blk := raw[b*22 : (b+1)*22]
			d := f16At(blk, 0)
			qh := le32(blk[2:])
			y := dst[32*b : 32*b+32]
			for j := 0; j < 16; j++ {
				y[j] = float32(int(blk[6+j]&0xf|byte(qh>>j&1)<<4)-16) * d
				y[j+16] = float32(int(blk[6+j]>>4|byte(qh>>(j+16)&1)<<4)-16) * d
			}
		}
	case Q5_1:
		for b := 0; b < cols/32; b++ {
			blk := raw[b*24 : (b+1)*24]
			d, m := f16At(blk, 0), f16At(blk, 2)
			qh := le32(blk[4:])
			y := dst[32*b : 32*b+32]
			for j := 0; j < 16; j++ {
				y[j] = float32(float32(blk[8+j]&0xf|byte(qh>>j&1)<<4)*d) + m
				y[j+16] = float32(float32(blk[8+j]>>4|byte(qh>>(j+16)&1)<<4)*d) + m
			}
		}
	case Q2_K:
		for b := 0; b < cols/QK; b++ {
			blk := raw[b*84 : (b+1)*84]
			sc, qs := blk[0:16], blk[16:80]
			d, dmin := f16At(blk, 80), f16At(blk, 82)
			y := dst[QK*b : QK*b+QK]
			for e := range y {
				s := sc[e/16]
				dl, ml := d*float32(s&0xf), float32(dmin*float32(s>>4))
				q := qs[32*(e/128)+e%32] >> (2 * (e / 32 % 4)) & 3
				y[e] = float32(dl*float32(q)) - ml
			}
		}
	case Q3_K:
		for b := 0; b < cols/QK; b++ {
			blk := raw[b*110 : (b+1)*110]
			hm, qs := blk[0:32], blk[32:96]
			var sc [16]int8
			q3Scales(&sc, blk[96:108])
			d := f16At(blk, 108)
			y := dst[QK*b : QK*b+QK]
			for e := range y {
				dl := d * float32(sc[e/16])
				y[e] = dl * float32(q3Value(hm, qs, e))
			}
		}
	case Q4_K, Q5_K:
		bb := t.BlockBytes()
		for b := 0; b < cols/QK; b++ {
			blk := raw[b*bb : (b+1)*bb]
			d, dmin := f16At(blk, 0), f16At(blk, 2)
			var sc, mn [8]uint8
			kScales(&sc, &mn, blk[4:16])
			y := dst[QK*b : QK*b+QK]
			for e := range y {
				j := e / 32
				d1, m1 := d*float32(sc[j]), float32(dmin*float32(mn[j]))
				var q uint8
				if t == Q4_K {
					q = q4kValue(blk[16:144], e)
				} else {
					q = q5kValue(blk[16:48], blk[48:176], e)
				}
				y[e] = float32(d1*float32(q)) - m1
			}
		}
	case Q6_K:
		for b := 0; b < cols/QK; b++ {
			blk := raw[b*210 : (b+1)*210]
			ql, qh, sc := blk[0:128], blk[128:192], blk[192:208]
			d := f16At(blk, 208)
			y := dst[QK*b : QK*b+QK]
			for e := range y {
				y[e] = d * float32(int8(sc[e/16])) * float32(q6Value(ql, qh, e))
			}
		}
	default:
		panic("kernels: unknown dtype")
	}
}

func le32(b []byte) uint32 {
	return uint32(b[0]) | uint32(b[1])<<8 | uint32(b[2])<<16 | uint32(b[3])<<24
}

// kScales unpacks the 12 bytes of Q4_K and Q5_K scales: eight 6-bit
// scales and eight 6-bit mins, one of each per 32 weights. Bytes 0-3 hold
// scales 0-3 and bytes 4-7 mins 0-3 in their low six bits; bytes 8-11 hold
// the low four bits of scales 4-7 (low nibble) and mins 4-7 (high nibble),
// whose top two bits are the top bits of bytes 0-3 and 4-7.
func kScales(sc, mn *[8]uint8, s []byte) {
	for j := 0; j < 4; j++ {
		sc[j] = s[j] & 63
		mn[j] = s[j+4] & 63
		sc[j+4] = s[j+8]&0xf | s[j]>>6<<4
		mn[j+4] = s[j+8]>>4 | s[j+4]>>6<<4
	}
}

// q3Scales unpacks the 12 bytes of Q3_K scales to sixteen signed values
// (the stored 6 bits minus 32): scale j has its low four bits in the low
// (j < 8) or high (j >= 8) nibble of byte j%8 and its top two bits at bit
// 2·(j/4) of byte 8 + j%4.
func q3Scales(sc *[16]int8, s []byte) {
	for j := 0; j < 16; j++ {
		lo := s[j%8] >> (4 * (j / 8)) & 0xf
		hi := s[8+j%4] >> (2 * (j / 4)) & 3
		sc[j] = int8(lo|hi<<4) - 32
	}
}

// q3Value is weight e (0..255) of a Q3_K block as a signed quant in
// [-4, 3]: two bits from qs (as in Q2_K) and a high bit from hmask whose
// absence subtracts 4.
func q3Value(hm, qs []byte, e int) int {
	l := e % 32
	shift := 2 * (e / 32 % 4)
	q := int(qs[32*(e/128)+l] >> shift & 3)
	if hm[l]>>(e/32)&1 == 0 {
		q -= 4
	}
	return q
}

// q4kValue is nibble e (0..255) of Q4_K quants: each 32 bytes hold 64
// weights, the low nibbles first.
func q4kValue(qs []byte, e int) uint8 {
	b := qs[32*(e/64)+e%32]
	if e%64 >= 32 {
		return b >> 4
	}
	return b & 0xf
}

// q5kValue adds the fifth bit, bit e/32 of qh[e%32].
func q5kValue(qh, qs []byte, e int) uint8 {
	return q4kValue(qs, e) | (qh[e%32]>>(e/32)&1)<<4
}

// q6Value is weight e of a Q6_K block as a signed quant in [-32, 31]: per
// 128 weights, 64 bytes of low nibbles (weights l and l+64 share byte l,
// weights l+32 and l+96 byte l+32) and 32 bytes of high bit pairs (byte l
// holds those of l, l+32, l+64, l+96).
func q6Value(ql, qh []byte, e int) int {
	h, r := e/128, e%128
	l := r % 32
	k := r / 32 // 0..3
	lb := ql[64*h+l+32*(k%2)]
	lo := lb & 0xf
	if k >= 2 {
		lo = lb >> 4
	}
	hi := qh[32*h+l] >> (2 * k) & 3
	return int(lo|hi<<4) - 32
}
