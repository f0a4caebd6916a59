//go:build !purego

#include "textflag.h"

// AVX2 + FMA (+ F16C) kernels. Vectors are 8 float32 wide. Lengths passed
// here are multiples of 8; the Go callers add the last n%8 products with a
// scalar loop, the same one for every row, so rows stay independent of how
// they were grouped.
//
// As in the AVX-512 file, each (row, vector) pair has one accumulator and
// REDUCE4Y folds every accumulator with the same tree, so the 4-row
// matrix-vector kernel and the 4x2 matrix-matrix kernel agree bit for bit.

// REDUCE4Y folds ymm accumulators a, b, c, d into [Σa, Σb, Σc, Σd] in the
// low 128 bits of a (xa is a's xmm name). Clobbers c, t0, t1 (xt1 is t1's
// xmm name). Per accumulator: s[i] = x[i]+x[i+4], then (s0+s1)+(s2+s3).
//
//   a = [a.lo + a.hi | b.lo + b.hi];  c = [c.lo + c.hi | d.lo + d.hi]
//   a = hadd(a, c) = [a01 a23 c01 c23 | b01 b23 d01 d23]
//   a = hadd(a, a) = [a c a c | b d b d]
//   xa = unpacklo(lo(a), hi(a)) = [a b c d]
#define REDUCE4Y(a, b, c, d, t0, t1, xa, xt1) \
	VPERM2F128 $0x20, b, a, t0 \
	VPERM2F128 $0x31, b, a, t1 \
	VADDPS     t1, t0, a       \
	VPERM2F128 $0x20, d, c, t0 \
	VPERM2F128 $0x31, d, c, t1 \
	VADDPS     t1, t0, c       \
	VHADDPS    c, a, a         \
	VHADDPS    a, a, a         \
	VEXTRACTF128 $1, a, xt1    \
	VUNPCKLPS  xt1, xa, xa

// func dotAVX2(a, b *float32, n int) (s float32)
// n is a multiple of 8.
TEXT ·dotAVX2(SB), NOSPLIT, $0-28
	MOVQ a+0(FP), SI
	MOVQ b+8(FP), DI
	MOVQ n+16(FP), CX
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	XORQ AX, AX
	MOVQ CX, BX
	ANDQ $-32, BX

dot32:
	// for ; i < n&^31; i += 32 { acc[0..3] += a[i+8j:]*b[i+8j:] }
	CMPQ AX, BX
	JAE  dot8
	VMOVUPS (SI)(AX*4), Y4
	VMOVUPS 32(SI)(AX*4), Y5
	VMOVUPS 64(SI)(AX*4), Y6
	VMOVUPS 96(SI)(AX*4), Y7
	VFMADD231PS (DI)(AX*4), Y4, Y0
	VFMADD231PS 32(DI)(AX*4), Y5, Y1
	VFMADD231PS 64(DI)(AX*4), Y6, Y2
	VFMADD231PS 96(DI)(AX*4), Y7, Y3
	ADDQ $32, AX
	JMP  dot32

dot8:
	// for ; i < n; i += 8 { acc0 += a[i:i+8]*b[i:i+8] }
	CMPQ AX, CX
	JAE  dotsum
	VMOVUPS (SI)(AX*4), Y4
	VFMADD231PS (DI)(AX*4), Y4, Y0
	ADDQ $8, AX
	JMP  dot8

dotsum:
	// s = Σ ((acc0+acc1) + (acc2+acc3))
	VADDPS Y1, Y0, Y0
	VADDPS Y3, Y2, Y2
	VADDPS Y2, Y0, Y0
	VEXTRACTF128 $1, Y0, X1
	VADDPS X1, X0, X0
	VHADDPS X0, X0, X0
	VHADDPS X0, X0, X0
	VMOVSS X0, s+24(FP)
	VZEROUPPER
	RET

// func mv4F32AVX2(w0, w1, w2, w3, x *float32, n int, out *[4]float32)
TEXT ·mv4F32AVX2(SB), NOSPLIT, $0-56
	MOVQ w0+0(FP), R8
	MOVQ w1+8(FP), R9
	MOVQ w2+16(FP), R10
	MOVQ w3+24(FP), R11
	MOVQ x+32(FP), SI
	MOVQ n+40(FP), CX
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	XORQ AX, AX

mvf32loop:
	// for ; i < n; i += 8 { xv := x[i:i+8]; acc[r] += w_r[i:i+8]*xv }
	CMPQ AX, CX
	JAE  mvf32sum
	VMOVUPS (SI)(AX*4), Y4
	VFMADD231PS (R8)(AX*4), Y4, Y0
	VFMADD231PS (R9)(AX*4), Y4, Y1
	VFMADD231PS (R10)(AX*4), Y4, Y2
	VFMADD231PS (R11)(AX*4), Y4, Y3
	ADDQ $8, AX
	JMP  mvf32loop

mvf32sum:
	REDUCE4Y(Y0, Y1, Y2, Y3, Y4, Y5, X0, X5)
	MOVQ out+48(FP), DI
	VMOVUPS X0, (DI)
	VZEROUPPER
	RET

// func mv4F16AVX2(w0, w1, w2, w3 *uint16, x *float32, n int, pf uintptr, out *[4]float32)
TEXT ·mv4F16AVX2(SB), NOSPLIT, $0-64
	MOVQ w0+0(FP), R8
	MOVQ w1+8(FP), R9
	MOVQ w2+16(FP), R10
	MOVQ w3+24(FP), R11
	MOVQ x+32(FP), SI
	MOVQ n+40(FP), CX
	MOVQ pf+48(FP), R13
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	XORQ AX, AX

mvf16loop:
	// for ; i < n; i += 8 { xv := x[i:i+8]; acc[r] += float32(w_r[i:i+8])*xv }
	CMPQ AX, CX
	JAE  mvf16sum
	VMOVUPS (SI)(AX*4), Y4
	PREFETCHT0 (R13)
	ADDQ $64, R13
	VCVTPH2PS (R8)(AX*2), Y5
	VCVTPH2PS (R9)(AX*2), Y6
	VCVTPH2PS (R10)(AX*2), Y7
	VCVTPH2PS (R11)(AX*2), Y8
	VFMADD231PS Y5, Y4, Y0
	VFMADD231PS Y6, Y4, Y1
	VFMADD231PS Y7, Y4, Y2
	VFMADD231PS Y8, Y4, Y3
	ADDQ $8, AX
	JMP  mvf16loop

mvf16sum:
	REDUCE4Y(Y0, Y1, Y2, Y3, Y4, Y5, X0, X5)
	MOVQ out+56(FP), DI
	VMOVUPS X0, (DI)
	VZEROUPPER
	RET

// Q8STEPY does a quarter of a Q8_0 block for one row: 8 int8 at off(w),
// widened, converted, scaled by d (exactly) and multiply-added with xv.
//   acc += (float32(int8(w[off:off+8])) * d) * xv
#define Q8STEPY(off, w, d, xv, t, acc) \
	VPMOVSXBD   off(w), t \
	VCVTDQ2PS   t, t      \
	VMULPS      d, t, t   \
	VFMADD231PS xv, t, acc

// Q8SCALEY broadcasts the F16 scale at w to the 8 lanes of d as float32.
#define Q8SCALEY(w, dx, d) \
	VPBROADCASTW (w), dx \
	VCVTPH2PS    dx, d

// Q8QUARTER does 8 elements of the current block for all four rows.
#define Q8QUARTER(off, xoff) \
	VMOVUPS xoff(SI), Y4              \
	Q8STEPY(off, R8, Y10, Y4, Y5, Y0)  \
	Q8STEPY(off, R9, Y11, Y4, Y6, Y1)  \
	Q8STEPY(off, R10, Y12, Y4, Y7, Y2) \
	Q8STEPY(off, R11, Y13, Y4, Y8, Y3)

// func mv4Q8AVX2(w0, w1, w2, w3 *byte, x *float32, nb int, pf uintptr, out *[4]float32)
// nb is the number of 32-element blocks per row.
TEXT ·mv4Q8AVX2(SB), NOSPLIT, $0-64
	MOVQ w0+0(FP), R8
	MOVQ w1+8(FP), R9
	MOVQ w2+16(FP), R10
	MOVQ w3+24(FP), R11
	MOVQ x+32(FP), SI
	MOVQ nb+40(FP), CX
	MOVQ pf+48(FP), R13
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	TESTQ CX, CX
	JZ    mvq8sum

mvq8loop:
	// for each block: d_r := scale(w_r); four steps of 8 elements
	PREFETCHT0 (R13)
	PREFETCHT0 64(R13)
	PREFETCHT0 128(R13)
	ADDQ $136, R13
	Q8SCALEY(R8, X10, Y10)
	Q8SCALEY(R9, X11, Y11)
	Q8SCALEY(R10, X12, Y12)
	Q8SCALEY(R11, X13, Y13)
	Q8QUARTER(2, 0)
	Q8QUARTER(10, 32)
	Q8QUARTER(18, 64)
	Q8QUARTER(26, 96)
	ADDQ $34, R8
	ADDQ $34, R9
	ADDQ $34, R10
	ADDQ $34, R11
	ADDQ $128, SI
	DECQ CX
	JNZ  mvq8loop

mvq8sum:
	REDUCE4Y(Y0, Y1, Y2, Y3, Y4, Y5, X0, X5)
	MOVQ out+56(FP), DI
	VMOVUPS X0, (DI)
	VZEROUPPER
	RET

// func mm4x2F32AVX2(w0, w1, w2, w3, x0, x1 *float32, n int, out *[8]float32)
// out[4*v+r] = dot(w_r[:n], x_v[:n]); accumulator of (r, v) is Y(4v+r).
TEXT ·mm4x2F32AVX2(SB), NOSPLIT, $0-64
	MOVQ w0+0(FP), R8
	MOVQ w1+8(FP), R9
	MOVQ w2+16(FP), R10
	MOVQ w3+24(FP), R11
	MOVQ x0+32(FP), SI
	MOVQ x1+40(FP), DI
	MOVQ n+48(FP), CX
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	XORQ AX, AX

mmf32loop:
	// for ; i < n; i += 8 { load w_r[i:i+8] once, use it for both vectors }
	CMPQ AX, CX
	JAE  mmf32sum
	VMOVUPS (R8)(AX*4), Y8
	VMOVUPS (R9)(AX*4), Y9
	VMOVUPS (R10)(AX*4), Y10
	VMOVUPS (R11)(AX*4), Y11
	VMOVUPS (SI)(AX*4), Y12
	VMOVUPS (DI)(AX*4), Y13
	VFMADD231PS Y12, Y8, Y0
	VFMADD231PS Y12, Y9, Y1
	VFMADD231PS Y12, Y10, Y2
	VFMADD231PS Y12, Y11, Y3
	VFMADD231PS Y13, Y8, Y4
	VFMADD231PS Y13, Y9, Y5
	VFMADD231PS Y13, Y10, Y6
	VFMADD231PS Y13, Y11, Y7
	ADDQ $8, AX
	JMP  mmf32loop

mmf32sum:
	MOVQ out+56(FP), DI
	REDUCE4Y(Y0, Y1, Y2, Y3, Y8, Y9, X0, X9)
	VMOVUPS X0, (DI)
	REDUCE4Y(Y4, Y5, Y6, Y7, Y8, Y9, X4, X9)
	VMOVUPS X4, 16(DI)
	VZEROUPPER
	RET

// func f16RowAVX2(dst *float32, src *uint16, n int)
// n is a multiple of 8: dst[i] = float32(src[i]).
TEXT ·f16RowAVX2(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
	XORQ AX, AX

f16loop:
	CMPQ AX, CX
	JAE  f16done
	VCVTPH2PS (SI)(AX*2), Y0
	VMOVUPS Y0, (DI)(AX*4)
	ADDQ $8, AX
	JMP  f16loop

f16done:
	VZEROUPPER
	RET

// Q8DEQ writes 8 dequantised weights: dst[doff:] = float32(int8(w[off:off+8])) * d
#define Q8DEQ(off, doff) \
	VPMOVSXBD off(SI), Y1 \
	VCVTDQ2PS Y1, Y1      \
	VMULPS    Y0, Y1, Y1  \
	VMOVUPS   Y1, doff(DI)

// func q8RowAVX2(dst *float32, src *byte, nb int)
// Dequantises nb Q8_0 blocks: the same products as the Q8 kernels form.
TEXT ·q8RowAVX2(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ nb+16(FP), CX
	TESTQ CX, CX
	JZ    q8done

q8loop:
	VPBROADCASTW (SI), X0
	VCVTPH2PS X0, Y0
	Q8DEQ(2, 0)
	Q8DEQ(10, 32)
	Q8DEQ(18, 64)
	Q8DEQ(26, 96)
	ADDQ $34, SI
	ADDQ $128, DI
	DECQ CX
	JNZ  q8loop

q8done:
	VZEROUPPER
	RET
