//go:build !purego

#include "textflag.h"

// AVX-512 kernels (AVX512F + AVX512BW/VL for the 16-bit masked loads).
// Vectors are 16 float32 wide. Tails shorter than 16 elements are done in
// the same step with a zeroing mask, so the functions accept any length and
// never read or write past it.
//
// Every (row, vector) pair owns one accumulator that steps through k in
// order, 16 lanes at a time, and REDUCE4 folds four accumulators with one
// fixed tree. The 4-row matrix-vector kernel and the 4x4 matrix-matrix
// kernel therefore give bit-identical results for the same row and vector,
// whichever slot of the tile they occupy.

// permidx picks element 0 of each 128-bit lane: the four sums REDUCE4 leaves.
DATA permidx<>+0(SB)/4, $0
DATA permidx<>+4(SB)/4, $4
DATA permidx<>+8(SB)/4, $8
DATA permidx<>+12(SB)/4, $12
DATA permidx<>+16(SB)/4, $0
DATA permidx<>+20(SB)/4, $0
DATA permidx<>+24(SB)/4, $0
DATA permidx<>+28(SB)/4, $0
DATA permidx<>+32(SB)/4, $0
DATA permidx<>+36(SB)/4, $0
DATA permidx<>+40(SB)/4, $0
DATA permidx<>+44(SB)/4, $0
DATA permidx<>+48(SB)/4, $0
DATA permidx<>+52(SB)/4, $0
DATA permidx<>+56(SB)/4, $0
DATA permidx<>+60(SB)/4, $0
GLOBL permidx<>(SB), RODATA|NOPTR, $64

// REDUCE4 folds accumulators a, b, c, d (16 lanes each) into their four
// horizontal sums, left in the low 128 bits of a as [Σa, Σb, Σc, Σd].
// It clobbers c, t0, t1. Every accumulator goes through the same tree:
//   s[i] = ((x[i]+x[i+8]) + (x[i+4]+x[i+12])) for i < 4, then (s0+s1)+(s2+s3).
//
//   a = [a.lo256 + a.hi256 | b.lo256 + b.hi256]
//   c = [c.lo256 + c.hi256 | d.lo256 + d.hi256]
//   a = [lane0+lane1 of a | lane2+lane3 of a | same of c]   (4 partials each)
//   a += swap adjacent; a += swap pairs                      (lane sums)
//   a = permute(a, [0, 4, 8, 12])
#define REDUCE4(a, b, c, d, t0, t1, idx) \
	VSHUFF64X2 $0x44, b, a, t0 \
	VSHUFF64X2 $0xEE, b, a, t1 \
	VADDPS     t1, t0, a       \
	VSHUFF64X2 $0x44, d, c, t0 \
	VSHUFF64X2 $0xEE, d, c, t1 \
	VADDPS     t1, t0, c       \
	VSHUFF64X2 $0x88, c, a, t0 \
	VSHUFF64X2 $0xDD, c, a, t1 \
	VADDPS     t1, t0, a       \
	VPERMILPS  $0xB1, a, t0    \
	VADDPS     t0, a, a        \
	VPERMILPS  $0x4E, a, t0    \
	VADDPS     t0, a, a        \
	VPERMPS    a, idx, a

// TAILMASK sets K1 to the low CX bits (1 <= CX <= 15): the lanes of a tail.
#define TAILMASK \
	MOVL  $1, DX  \
	SHLL  CX, DX  \
	DECL  DX      \
	KMOVW DX, K1

// MM4X4PTRS loads the arguments w0..w3 (R8..R11) and x0..x3 (SI, DI, DX,
// R12) shared by the 4x4 tile kernels. (Defined before the first TEXT, where
// vet does not take its argument names for another function's.)
#define MM4X4PTRS \
	MOVQ w0+0(FP), R8  \
	MOVQ w1+8(FP), R9  \
	MOVQ w2+16(FP), R10 \
	MOVQ w3+24(FP), R11 \
	MOVQ x0+32(FP), SI  \
	MOVQ x1+40(FP), DI  \
	MOVQ x2+48(FP), DX  \
	MOVQ x3+56(FP), R12

// func dotAVX512(a, b *float32, n int) (s float32)
TEXT ·dotAVX512(SB), NOSPLIT, $0-28
	MOVQ a+0(FP), SI
	MOVQ b+8(FP), DI
	MOVQ n+16(FP), CX
	VXORPS Z0, Z0, Z0
	VXORPS Z1, Z1, Z1
	VXORPS Z2, Z2, Z2
	VXORPS Z3, Z3, Z3
	XORQ AX, AX
	MOVQ CX, BX
	ANDQ $-64, BX

dot64:
	// for ; i < n&^63; i += 64 { acc[0..3] += a[i+16j:]*b[i+16j:] }
	CMPQ AX, BX
	JAE  dot16pre
	VMOVUPS (SI)(AX*4), Z4
	VMOVUPS 64(SI)(AX*4), Z5
	VMOVUPS 128(SI)(AX*4), Z6
	VMOVUPS 192(SI)(AX*4), Z7
	VFMADD231PS (DI)(AX*4), Z4, Z0
	VFMADD231PS 64(DI)(AX*4), Z5, Z1
	VFMADD231PS 128(DI)(AX*4), Z6, Z2
	VFMADD231PS 192(DI)(AX*4), Z7, Z3
	ADDQ $64, AX
	JMP  dot64

dot16pre:
	MOVQ CX, BX
	ANDQ $-16, BX

dot16:
	// for ; i < n&^15; i += 16 { acc0 += a[i:i+16]*b[i:i+16] }
	CMPQ AX, BX
	JAE  dottail
	VMOVUPS (SI)(AX*4), Z4
	VFMADD231PS (DI)(AX*4), Z4, Z0
	ADDQ $16, AX
	JMP  dot16

dottail:
	// the last n%16 elements, masked
	SUBQ AX, CX
	JZ   dotsum
	TAILMASK
	VMOVUPS.Z (SI)(AX*4), K1, Z4
	VMOVUPS.Z (DI)(AX*4), K1, Z5
	VFMADD231PS Z5, Z4, Z0

dotsum:
	// s = Σ ((acc0+acc1) + (acc2+acc3))
	VADDPS Z1, Z0, Z0
	VADDPS Z3, Z2, Z2
	VADDPS Z2, Z0, Z0
	VEXTRACTF64X4 $1, Z0, Y1
	VADDPS Y1, Y0, Y0
	VEXTRACTF128 $1, Y0, X1
	VADDPS X1, X0, X0
	VHADDPS X0, X0, X0
	VHADDPS X0, X0, X0
	VMOVSS X0, s+24(FP)
	VZEROUPPER
	RET

// func mv4F32AVX512(w0, w1, w2, w3, x *float32, n int, out *[4]float32)
TEXT ·mv4F32AVX512(SB), NOSPLIT, $0-56
	MOVQ w0+0(FP), R8
	MOVQ w1+8(FP), R9
	MOVQ w2+16(FP), R10
	MOVQ w3+24(FP), R11
	MOVQ x+32(FP), SI
	MOVQ n+40(FP), CX
	VXORPS Z0, Z0, Z0
	VXORPS Z1, Z1, Z1
	VXORPS Z2, Z2, Z2
	VXORPS Z3, Z3, Z3
	XORQ AX, AX
	MOVQ CX, BX
	ANDQ $-16, BX

mvf32loop:
	// for ; i < n&^15; i += 16 { xv := x[i:i+16]; acc[r] += w_r[i:i+16]*xv }
	CMPQ AX, BX
	JAE  mvf32tail
	VMOVUPS (SI)(AX*4), Z16
	VFMADD231PS (R8)(AX*4), Z16, Z0
	VFMADD231PS (R9)(AX*4), Z16, Z1
	VFMADD231PS (R10)(AX*4), Z16, Z2
	VFMADD231PS (R11)(AX*4), Z16, Z3
	ADDQ $16, AX
	JMP  mvf32loop

mvf32tail:
	SUBQ AX, CX
	JZ   mvf32sum
	TAILMASK
	VMOVUPS.Z (SI)(AX*4), K1, Z16
	VMOVUPS.Z (R8)(AX*4), K1, Z17
	VMOVUPS.Z (R9)(AX*4), K1, Z18
	VMOVUPS.Z (R10)(AX*4), K1, Z19
	VMOVUPS.Z (R11)(AX*4), K1, Z20
	VFMADD231PS Z17, Z16, Z0
	VFMADD231PS Z18, Z16, Z1
	VFMADD231PS Z19, Z16, Z2
	VFMADD231PS Z20, Z16, Z3

mvf32sum:
	VMOVDQU32 permidx<>(SB), Z31
	REDUCE4(Z0, Z1, Z2, Z3, Z16, Z17, Z31)
	MOVQ out+48(FP), DI
	VMOVUPS X0, (DI)
	VZEROUPPER
	RET

// func mv4F16AVX512(w0, w1, w2, w3 *uint16, x *float32, n int, pf uintptr, out *[4]float32)
TEXT ·mv4F16AVX512(SB), NOSPLIT, $0-64
	MOVQ w0+0(FP), R8
	MOVQ w1+8(FP), R9
	MOVQ w2+16(FP), R10
	MOVQ w3+24(FP), R11
	MOVQ x+32(FP), SI
	MOVQ n+40(FP), CX
	MOVQ pf+48(FP), R13
	VXORPS Z0, Z0, Z0
	VXORPS Z1, Z1, Z1
	VXORPS Z2, Z2, Z2
	VXORPS Z3, Z3, Z3
	XORQ AX, AX
	MOVQ CX, BX
	ANDQ $-16, BX

mvf16loop:
	// for ; i < n&^15; i += 16 { xv := x[i:i+16]; acc[r] += float32(w_r[i:i+16])*xv }
	CMPQ AX, BX
	JAE  mvf16tail
	VMOVUPS (SI)(AX*4), Z16
	PREFETCHT0 (R13)
	PREFETCHT0 64(R13)
	ADDQ $128, R13
	VCVTPH2PS (R8)(AX*2), Z17
	VCVTPH2PS (R9)(AX*2), Z18
	VCVTPH2PS (R10)(AX*2), Z19
	VCVTPH2PS (R11)(AX*2), Z20
	VFMADD231PS Z17, Z16, Z0
	VFMADD231PS Z18, Z16, Z1
	VFMADD231PS Z19, Z16, Z2
	VFMADD231PS Z20, Z16, Z3
	ADDQ $16, AX
	JMP  mvf16loop

mvf16tail:
	// halves are loaded with a 16-bit masked move first, so no byte past
	// the row is touched
	SUBQ AX, CX
	JZ   mvf16sum
	TAILMASK
	VMOVUPS.Z (SI)(AX*4), K1, Z16
	VMOVDQU16.Z (R8)(AX*2), K1, Y17
	VMOVDQU16.Z (R9)(AX*2), K1, Y18
	VMOVDQU16.Z (R10)(AX*2), K1, Y19
	VMOVDQU16.Z (R11)(AX*2), K1, Y20
	VCVTPH2PS Y17, Z17
	VCVTPH2PS Y18, Z18
	VCVTPH2PS Y19, Z19
	VCVTPH2PS Y20, Z20
	VFMADD231PS Z17, Z16, Z0
	VFMADD231PS Z18, Z16, Z1
	VFMADD231PS Z19, Z16, Z2
	VFMADD231PS Z20, Z16, Z3

mvf16sum:
	VMOVDQU32 permidx<>(SB), Z31
	REDUCE4(Z0, Z1, Z2, Z3, Z16, Z17, Z31)
	MOVQ out+56(FP), DI
	VMOVUPS X0, (DI)
	VZEROUPPER
	RET

// Q8STEP does half a Q8_0 block for one row: 16 int8 at off(w) are widened,
// converted and scaled by the block's scale d (exact: an int8 times a half
// fits in float32's 24-bit mantissa), then multiply-added with xv.
//   acc += (float32(int8(w[off:off+16])) * d) * xv
#define Q8STEP(off, w, d, xv, t, acc) \
	VPMOVSXBD   off(w), t  \
	VCVTDQ2PS   t, t       \
	VMULPS      d, t, t    \
	VFMADD231PS xv, t, acc

// Q8SCALE broadcasts the F16 scale at the start of the block at w to all
// 16 lanes of d as float32.
#define Q8SCALE(w, dy, d) \
	VPBROADCASTW (w), dy \
	VCVTPH2PS    dy, d

// func mv4Q8AVX512(w0, w1, w2, w3 *byte, x *float32, nb int, pf uintptr, out *[4]float32)
// nb is the number of 32-element blocks per row.
TEXT ·mv4Q8AVX512(SB), NOSPLIT, $0-64
	MOVQ w0+0(FP), R8
	MOVQ w1+8(FP), R9
	MOVQ w2+16(FP), R10
	MOVQ w3+24(FP), R11
	MOVQ x+32(FP), SI
	MOVQ nb+40(FP), CX
	MOVQ pf+48(FP), R13
	VXORPS Z0, Z0, Z0
	VXORPS Z1, Z1, Z1
	VXORPS Z2, Z2, Z2
	VXORPS Z3, Z3, Z3
	TESTQ CX, CX
	JZ    mvq8sum

mvq8loop:
	// for b := 0; b < nb; b++ { for each row r: d := scale(w_r, b);
	//   acc[r] += (q[0:16]*d)*x[0:16]; acc[r] += (q[16:32]*d)*x[16:32] }
	VMOVUPS (SI), Z16
	VMOVUPS 64(SI), Z17
	PREFETCHT0 (R13)
	PREFETCHT0 64(R13)
	PREFETCHT0 128(R13)
	ADDQ $136, R13
	Q8SCALE(R8, Y20, Z20)
	Q8SCALE(R9, Y21, Z21)
	Q8SCALE(R10, Y22, Z22)
	Q8SCALE(R11, Y23, Z23)
	Q8STEP(2, R8, Z20, Z16, Z24, Z0)
	Q8STEP(2, R9, Z21, Z16, Z25, Z1)
	Q8STEP(2, R10, Z22, Z16, Z26, Z2)
	Q8STEP(2, R11, Z23, Z16, Z27, Z3)
	Q8STEP(18, R8, Z20, Z17, Z24, Z0)
	Q8STEP(18, R9, Z21, Z17, Z25, Z1)
	Q8STEP(18, R10, Z22, Z17, Z26, Z2)
	Q8STEP(18, R11, Z23, Z17, Z27, Z3)
	ADDQ $34, R8
	ADDQ $34, R9
	ADDQ $34, R10
	ADDQ $34, R11
	ADDQ $128, SI
	DECQ CX
	JNZ  mvq8loop

mvq8sum:
	VMOVDQU32 permidx<>(SB), Z31
	REDUCE4(Z0, Z1, Z2, Z3, Z16, Z17, Z31)
	MOVQ out+56(FP), DI
	VMOVUPS X0, (DI)
	VZEROUPPER
	RET

// ZERO16 clears the sixteen accumulators Z0..Z15 of a 4x4 tile.
#define ZERO16 \
	VXORPS Z0, Z0, Z0 \
	VXORPS Z1, Z1, Z1 \
	VXORPS Z2, Z2, Z2 \
	VXORPS Z3, Z3, Z3 \
	VXORPS Z4, Z4, Z4 \
	VXORPS Z5, Z5, Z5 \
	VXORPS Z6, Z6, Z6 \
	VXORPS Z7, Z7, Z7 \
	VXORPS Z8, Z8, Z8 \
	VXORPS Z9, Z9, Z9 \
	VXORPS Z10, Z10, Z10 \
	VXORPS Z11, Z11, Z11 \
	VXORPS Z12, Z12, Z12 \
	VXORPS Z13, Z13, Z13 \
	VXORPS Z14, Z14, Z14 \
	VXORPS Z15, Z15, Z15

// STORE16 folds the tile's accumulators Z(4v+r) with REDUCE4 (temporaries
// t0, t1; permutation in Z31) and stores out[4v+r] at DI.
#define STORE16(t0, t1) \
	REDUCE4(Z0, Z1, Z2, Z3, t0, t1, Z31)     \
	VMOVUPS X0, (DI)                         \
	REDUCE4(Z4, Z5, Z6, Z7, t0, t1, Z31)     \
	VMOVUPS X4, 16(DI)                       \
	REDUCE4(Z8, Z9, Z10, Z11, t0, t1, Z31)   \
	VMOVUPS X8, 32(DI)                       \
	REDUCE4(Z12, Z13, Z14, Z15, t0, t1, Z31) \
	VMOVUPS X12, 48(DI)

// MMSTEP multiply-adds one 16-lane step of four weight rows (Z16..Z19) with
// the vector xv into that vector's four accumulators a0..a3.
#define MMSTEP(xv, a0, a1, a2, a3) \
	VFMADD231PS xv, Z16, a0 \
	VFMADD231PS xv, Z17, a1 \
	VFMADD231PS xv, Z18, a2 \
	VFMADD231PS xv, Z19, a3

// MMX4 loads the four vectors at column AX into Z20..Z23 and multiply-adds
// them with the weight rows in Z16..Z19; MMX4Z is the same with the lanes
// of K1 only (a tail), the rest zero.
#define MMX4 \
	VMOVUPS (SI)(AX*4), Z20       \
	VMOVUPS (DI)(AX*4), Z21       \
	VMOVUPS (DX)(AX*4), Z22       \
	VMOVUPS (R12)(AX*4), Z23      \
	MMSTEP(Z20, Z0, Z1, Z2, Z3)   \
	MMSTEP(Z21, Z4, Z5, Z6, Z7)   \
	MMSTEP(Z22, Z8, Z9, Z10, Z11) \
	MMSTEP(Z23, Z12, Z13, Z14, Z15)

#define MMX4Z \
	VMOVUPS.Z (SI)(AX*4), K1, Z20  \
	VMOVUPS.Z (DI)(AX*4), K1, Z21  \
	VMOVUPS.Z (DX)(AX*4), K1, Z22  \
	VMOVUPS.Z (R12)(AX*4), K1, Z23 \
	MMSTEP(Z20, Z0, Z1, Z2, Z3)    \
	MMSTEP(Z21, Z4, Z5, Z6, Z7)    \
	MMSTEP(Z22, Z8, Z9, Z10, Z11)  \
	MMSTEP(Z23, Z12, Z13, Z14, Z15)

// TAILMASK13 is TAILMASK through R13, for kernels whose DX is in use.
#define TAILMASK13 \
	MOVL  $1, R13 \
	SHLL  CX, R13 \
	DECL  R13     \
	KMOVW R13, K1

// MM4X4STEP is one 16-column step of mm4x4F32AVX512: load the four weight
// rows and four vectors at column AX, multiply-add all sixteen pairs.
#define MM4X4STEP \
	VMOVUPS (R8)(AX*4), Z16  \
	VMOVUPS (R9)(AX*4), Z17  \
	VMOVUPS (R10)(AX*4), Z18 \
	VMOVUPS (R11)(AX*4), Z19 \
	MMX4                     \
	ADDQ $16, AX

// func mm4x4F32AVX512(w0, w1, w2, w3, x0, x1, x2, x3 *float32, n int, out *[16]float32)
// out[4*v+r] = dot(w_r[:n], x_v[:n]); accumulator of (r, v) is Z(4v+r).
TEXT ·mm4x4F32AVX512(SB), NOSPLIT, $0-88
	MM4X4PTRS
	MOVQ n+64(FP), CX
	MOVQ pf+72(FP), R13
	ZERO16
	XORQ AX, AX
	MOVQ CX, BX
	ANDQ $-16, BX

	TESTQ R13, R13
	JZ    mmf32loop

mmf32pfloop:
	// the loop below, also prefetching 128 bytes (two rows' worth) of the
	// next row group per step
	CMPQ AX, BX
	JAE  mmf32tail
	PREFETCHT0 (R13)
	PREFETCHT0 64(R13)
	ADDQ $128, R13
	MM4X4STEP
	JMP  mmf32pfloop

mmf32loop:
	// for ; i < n&^15; i += 16 { load w_r[i:i+16] once, use it for 4 vectors }
	CMPQ AX, BX
	JAE  mmf32tail
	MM4X4STEP
	JMP  mmf32loop

mmf32tail:
	// the same step on the last n%16 elements, zero-masked
	SUBQ AX, CX
	JZ   mmf32sum
	TAILMASK13
	VMOVUPS.Z (R8)(AX*4), K1, Z16
	VMOVUPS.Z (R9)(AX*4), K1, Z17
	VMOVUPS.Z (R10)(AX*4), K1, Z18
	VMOVUPS.Z (R11)(AX*4), K1, Z19
	MMX4Z

mmf32sum:
	VMOVDQU32 permidx<>(SB), Z31
	MOVQ out+80(FP), DI
	STORE16(Z16, Z17)
	VZEROUPPER
	RET

// func mvRowsF32AVX512(w *float32, stride int, x *float32, n int, out *float32, groups int)
//
// groups consecutive groups of four rows, row i at w + i*stride bytes:
// for g { out[4g:4g+4] = mv4F32AVX512(rows 4g..4g+3) }. The same
// instructions as mv4F32AVX512 for every row (so the same bits), without a
// call from Go per four rows, which on rows of a few hundred values costs
// as much as the products.
TEXT ·mvRowsF32AVX512(SB), NOSPLIT, $0-48
	MOVQ w+0(FP), R8
	MOVQ stride+8(FP), DX
	MOVQ x+16(FP), SI
	MOVQ n+24(FP), CX
	MOVQ out+32(FP), DI
	MOVQ groups+40(FP), R12
	VMOVDQU32 permidx<>(SB), Z31
	// BX = n&^15 (whole vectors), R14 = n%16 (tail), K1 = tail lanes
	MOVQ CX, BX
	ANDQ $-16, BX
	MOVQ CX, R14
	SUBQ BX, R14
	MOVQ R14, CX
	MOVL $1, R13
	SHLL CX, R13
	DECL R13
	KMOVW R13, K1

rowgroup:
	// for ; groups > 0; groups-- { rows R8, R9, R10, R11 }
	TESTQ R12, R12
	JZ    rowdone
	LEAQ  (R8)(DX*1), R9
	LEAQ  (R9)(DX*1), R10
	LEAQ  (R10)(DX*1), R11
	VXORPS Z0, Z0, Z0
	VXORPS Z1, Z1, Z1
	VXORPS Z2, Z2, Z2
	VXORPS Z3, Z3, Z3
	XORQ  AX, AX

rowloop:
	// for ; i < n&^15; i += 16 { xv := x[i:i+16]; acc[r] += w_r[i:i+16]*xv }
	CMPQ AX, BX
	JAE  rowtail
	VMOVUPS (SI)(AX*4), Z16
	VFMADD231PS (R8)(AX*4), Z16, Z0
	VFMADD231PS (R9)(AX*4), Z16, Z1
	VFMADD231PS (R10)(AX*4), Z16, Z2
	VFMADD231PS (R11)(AX*4), Z16, Z3
	ADDQ $16, AX
	JMP  rowloop

rowtail:
	// the last n%16 columns, masked
	TESTQ R14, R14
	JZ    rowsum
	VMOVUPS.Z (SI)(AX*4), K1, Z16
	VMOVUPS.Z (R8)(AX*4), K1, Z17
	VMOVUPS.Z (R9)(AX*4), K1, Z18
	VMOVUPS.Z (R10)(AX*4), K1, Z19
	VMOVUPS.Z (R11)(AX*4), K1, Z20
	VFMADD231PS Z17, Z16, Z0
	VFMADD231PS Z18, Z16, Z1
	VFMADD231PS Z19, Z16, Z2
	VFMADD231PS Z20, Z16, Z3

rowsum:
	// out[0:4] = the four sums; next group
	REDUCE4(Z0, Z1, Z2, Z3, Z16, Z17, Z31)
	VMOVUPS X0, (DI)
	ADDQ  $16, DI
	LEAQ  (R11)(DX*1), R8
	DECQ  R12
	JMP   rowgroup

rowdone:
	VZEROUPPER
	RET

// func axpyAVX512(y, x *float32, a float32, n int)
//
// for i < n { y[i] += a * x[i] }, 16 lanes at a time, the tail masked.
TEXT ·axpyAVX512(SB), NOSPLIT, $0-32
	MOVQ y+0(FP), DI
	MOVQ x+8(FP), SI
	VBROADCASTSS a+16(FP), Z1
	MOVQ n+24(FP), CX
	XORQ AX, AX
	MOVQ CX, BX
	ANDQ $-16, BX

axpyloop:
	// for ; i < n&^15; i += 16 { y[i:i+16] += a*x[i:i+16] }
	CMPQ AX, BX
	JAE  axpytail
	VMOVUPS (DI)(AX*4), Z0
	VFMADD231PS (SI)(AX*4), Z1, Z0
	VMOVUPS Z0, (DI)(AX*4)
	ADDQ $16, AX
	JMP  axpyloop

axpytail:
	// the last n%16, masked
	SUBQ AX, CX
	JZ   axpydone
	TAILMASK
	VMOVUPS.Z (DI)(AX*4), K1, Z0
	VMOVUPS.Z (SI)(AX*4), K1, Z2
	VFMADD231PS Z2, Z1, Z0
	VMOVUPS Z0, K1, (DI)(AX*4)

axpydone:
	VZEROUPPER
	RET

// func mixF32AVX512(out, v *float32, stride int, a *float32, rows, n int)
// out[j] = Σ_p a[p]*v_p[j] for j < n, p < rows, where v_p is at v + p*stride
// bytes: the attention-weighted sum of value rows. Each column block keeps
// its sums in registers over all rows (one fused multiply-add per row and
// element, in row order from zero: the same arithmetic as clearing out and
// calling axpyAVX512 once per row), and reads each value row once.
TEXT ·mixF32AVX512(SB), NOSPLIT, $0-48
	MOVQ out+0(FP), DI
	MOVQ v+8(FP), SI
	MOVQ stride+16(FP), R8
	MOVQ a+24(FP), R9
	MOVQ rows+32(FP), R10
	MOVQ n+40(FP), CX
	XORQ DX, DX // first column of the block

mix64:
	// blocks of 64 columns in four registers
	MOVQ CX, AX
	SUBQ DX, AX
	CMPQ AX, $64
	JLT  mix16
	VXORPS Z0, Z0, Z0
	VXORPS Z1, Z1, Z1
	VXORPS Z2, Z2, Z2
	VXORPS Z3, Z3, Z3
	LEAQ (SI)(DX*4), R11
	XORQ BX, BX

mix64row:
	CMPQ BX, R10
	JAE  mix64store
	VBROADCASTSS (R9)(BX*4), Z4
	VFMADD231PS (R11), Z4, Z0
	VFMADD231PS 64(R11), Z4, Z1
	VFMADD231PS 128(R11), Z4, Z2
	VFMADD231PS 192(R11), Z4, Z3
	ADDQ R8, R11
	INCQ BX
	JMP  mix64row

mix64store:
	VMOVUPS Z0, (DI)(DX*4)
	VMOVUPS Z1, 64(DI)(DX*4)
	VMOVUPS Z2, 128(DI)(DX*4)
	VMOVUPS Z3, 192(DI)(DX*4)
	ADDQ $64, DX
	JMP  mix64

mix16:
	// then blocks of 16 columns, the last one masked
	MOVQ CX, AX
	SUBQ DX, AX
	JLE  mixdone
	MOVL $0xffff, R12
	CMPQ AX, $16
	JGE  mix16mask
	MOVL $1, R12
	MOVQ CX, R13
	MOVQ AX, CX
	SHLL CX, R12
	MOVQ R13, CX
	DECL R12

mix16mask:
	KMOVW R12, K1
	VXORPS Z0, Z0, Z0
	LEAQ (SI)(DX*4), R11
	XORQ BX, BX

mix16row:
	CMPQ BX, R10
	JAE  mix16store
	VBROADCASTSS (R9)(BX*4), Z4
	VMOVUPS.Z (R11), K1, Z5
	VFMADD231PS Z5, Z4, Z0
	ADDQ R8, R11
	INCQ BX
	JMP  mix16row

mix16store:
	VMOVUPS Z0, K1, (DI)(DX*4)
	ADDQ $16, DX
	JMP  mix16

mixdone:
	VZEROUPPER
	RET

// Constants of swigluAVX512's e^x: the expf algorithm of exp.go (x = n·ln2
// + r, a degree-6 polynomial in r, scaled by 2^n), sixteen lanes at a time.
DATA expconst<>+0(SB)/4, $0x3fb8aa3b  // log2(e)
DATA expconst<>+4(SB)/4, $0x3f317200  // ln2hi = 0.693145751953125
DATA expconst<>+8(SB)/4, $0x35bfbe8e  // ln2lo = 1.42860682e-6
DATA expconst<>+12(SB)/4, $0x3ab60b61 // 1/720
DATA expconst<>+16(SB)/4, $0x3c088889 // 1/120
DATA expconst<>+20(SB)/4, $0x3d2aaaab // 1/24
DATA expconst<>+24(SB)/4, $0x3e2aaaab // 1/6
DATA expconst<>+28(SB)/4, $0x3f000000 // 1/2
DATA expconst<>+32(SB)/4, $0x3f800000 // 1
DATA expconst<>+36(SB)/4, $0x42b20000 // 89: above it e^x is +Inf in float32
DATA expconst<>+40(SB)/4, $0xc2d00000 // -104: below it e^x is 0
GLOBL expconst<>(SB), RODATA|NOPTR, $44

// EXPF16 sets Z5 = e^Z2, sixteen lanes, using Z3 and Z4; the broadcast
// constants are in Z20..Z30. Steps: x clamped to [-104, 89] (a NaN stays
// NaN); n = round(x·log2e); r = x - n·ln2hi - n·ln2lo; p = 1 + r(1 +
// r(1/2 + r(1/6 + r(1/24 + r(1/120 + r/720))))); e^x = p·2^n (VSCALEFPS,
// which also gives +Inf and 0 at the ends).
#define EXPF16 \
	VMINPS       Z2, Z29, Z2 \
	VMAXPS       Z2, Z30, Z2 \
	VMULPS       Z20, Z2, Z3 \
	VRNDSCALEPS  $0, Z3, Z3  \
	VMOVAPS      Z2, Z4      \
	VFNMADD231PS Z21, Z3, Z4 \
	VFNMADD231PS Z22, Z3, Z4 \
	VMOVAPS      Z23, Z5     \
	VFMADD213PS  Z24, Z4, Z5 \
	VFMADD213PS  Z25, Z4, Z5 \
	VFMADD213PS  Z26, Z4, Z5 \
	VFMADD213PS  Z27, Z4, Z5 \
	VFMADD213PS  Z28, Z4, Z5 \
	VFMADD213PS  Z28, Z4, Z5 \
	VSCALEFPS    Z3, Z5, Z5

// EXPCONSTS broadcasts EXPF16's constants into Z20..Z30.
#define EXPCONSTS \
	VBROADCASTSS expconst<>+0(SB), Z20 \
	VBROADCASTSS expconst<>+4(SB), Z21 \
	VBROADCASTSS expconst<>+8(SB), Z22 \
	VBROADCASTSS expconst<>+12(SB), Z23 \
	VBROADCASTSS expconst<>+16(SB), Z24 \
	VBROADCASTSS expconst<>+20(SB), Z25 \
	VBROADCASTSS expconst<>+24(SB), Z26 \
	VBROADCASTSS expconst<>+28(SB), Z27 \
	VBROADCASTSS expconst<>+32(SB), Z28 \
	VBROADCASTSS expconst<>+36(SB), Z29 \
	VBROADCASTSS expconst<>+40(SB), Z30

// SILU16 sets h (Z0) = h·sigmoid(h)·g (g in Z1): v·(1/(1 + e^-v))·g,
// using Z2..Z5.
#define SILU16 \
	VXORPS Z2, Z2, Z2  \
	VSUBPS Z0, Z2, Z2  \
	EXPF16             \
	VADDPS Z28, Z5, Z5 \
	VDIVPS Z5, Z28, Z5 \
	VMULPS Z5, Z0, Z0  \
	VMULPS Z1, Z0, Z0

// func swigluAVX512(h, up *float32, n int)
// h[i] = h[i]·sigmoid(h[i])·g[i] for i < n.
TEXT ·swigluAVX512(SB), NOSPLIT, $0-24
	MOVQ h+0(FP), DI
	MOVQ up+8(FP), SI
	MOVQ n+16(FP), CX
	EXPCONSTS
	XORQ AX, AX
	MOVQ CX, BX
	ANDQ $-16, BX

sgloop:
	CMPQ AX, BX
	JAE  sgtail
	VMOVUPS (DI)(AX*4), Z0
	VMOVUPS (SI)(AX*4), Z1
	SILU16
	VMOVUPS Z0, (DI)(AX*4)
	ADDQ $16, AX
	JMP  sgloop

sgtail:
	SUBQ AX, CX
	JZ   sgdone
	TAILMASK
	VMOVUPS.Z (DI)(AX*4), K1, Z0
	VMOVUPS.Z (SI)(AX*4), K1, Z1
	SILU16
	VMOVUPS Z0, K1, (DI)(AX*4)

sgdone:
	VZEROUPPER
	RET

// neginf is -Inf, the identity of max.
DATA neginf<>+0(SB)/4, $0xff800000
GLOBL neginf<>(SB), RODATA|NOPTR, $4

// func softmaxAVX512(x *float32, n int)
// x[i] = e^(x[i]-max) / Σ e^(x[j]-max), n >= 1: the maximum, then the
// exponentials and their sum in sixteen lanes, then one scaling pass.
// BX = n&^15 (whole vectors), DX = n%16, K1 = the tail's lanes.
TEXT ·softmaxAVX512(SB), NOSPLIT, $0-16
	MOVQ x+0(FP), DI
	MOVQ n+8(FP), CX
	EXPCONSTS
	MOVQ CX, BX
	ANDQ $-16, BX
	MOVQ CX, DX
	SUBQ BX, DX
	MOVQ DX, CX
	MOVL $1, R8
	SHLL CX, R8
	DECL R8
	KMOVW R8, K1
	VBROADCASTSS neginf<>(SB), Z6
	XORQ AX, AX

smmax:
	CMPQ AX, BX
	JAE  smmaxtail
	VMAXPS (DI)(AX*4), Z6, Z6
	ADDQ $16, AX
	JMP  smmax

smmaxtail:
	TESTQ DX, DX
	JZ    smmaxred
	VBROADCASTSS neginf<>(SB), Z7
	VMOVUPS (DI)(AX*4), K1, Z7
	VMAXPS Z7, Z6, Z6

smmaxred:
	VEXTRACTF64X4 $1, Z6, Y7
	VMAXPS Y7, Y6, Y6
	VEXTRACTF128 $1, Y6, X7
	VMAXPS X7, X6, X6
	VPERMILPS $0x4E, X6, X7
	VMAXPS X7, X6, X6
	VPERMILPS $0xB1, X6, X7
	VMAXPS X7, X6, X6
	VBROADCASTSS X6, Z6
	VXORPS Z8, Z8, Z8
	XORQ AX, AX

smexp:
	CMPQ AX, BX
	JAE  smexptail
	VMOVUPS (DI)(AX*4), Z2
	VSUBPS Z6, Z2, Z2
	EXPF16
	VMOVUPS Z5, (DI)(AX*4)
	VADDPS Z5, Z8, Z8
	ADDQ $16, AX
	JMP  smexp

smexptail:
	TESTQ DX, DX
	JZ    smsum
	VMOVUPS.Z (DI)(AX*4), K1, Z2
	VSUBPS Z6, Z2, Z2
	EXPF16
	VMOVUPS Z5, K1, (DI)(AX*4)
	VADDPS Z5, Z8, K1, Z8

smsum:
	// 1/Σ, the lanes added pairwise; X28 holds 1
	VEXTRACTF64X4 $1, Z8, Y7
	VADDPS Y7, Y8, Y8
	VEXTRACTF128 $1, Y8, X7
	VADDPS X7, X8, X8
	VPERMILPS $0x4E, X8, X7
	VADDPS X7, X8, X8
	VPERMILPS $0xB1, X8, X7
	VADDPS X7, X8, X8
	VDIVSS X8, X28, X8
	VBROADCASTSS X8, Z9
	XORQ AX, AX

smscale:
	CMPQ AX, BX
	JAE  smscaletail
	VMULPS (DI)(AX*4), Z9, Z10
	VMOVUPS Z10, (DI)(AX*4)
	ADDQ $16, AX
	JMP  smscale

smscaletail:
	TESTQ DX, DX
	JZ    smdone
	VMOVUPS.Z (DI)(AX*4), K1, Z10
	VMULPS Z10, Z9, Z10
	VMOVUPS Z10, K1, (DI)(AX*4)

smdone:
	VZEROUPPER
	RET

// Q8W dequantises sixteen weights of one row: w = float32(q[off:off+16])·d,
// exact in float32 (an 8-bit integer times a half's 11-bit significand).
#define Q8W(off, p, d, w) \
	VPMOVSXBD off(p), w \
	VCVTDQ2PS w, w      \
	VMULPS    d, w, w

// Q8TILE multiply-adds the dequantised rows Z20..Z23 with the vectors
// Z24..Z27: accumulator of (row r, vector v) is Z(4v+r), as in
// mm4x4F32AVX512.
#define Q8TILE \
	VFMADD231PS Z24, Z20, Z0  \
	VFMADD231PS Z24, Z21, Z1  \
	VFMADD231PS Z24, Z22, Z2  \
	VFMADD231PS Z24, Z23, Z3  \
	VFMADD231PS Z25, Z20, Z4  \
	VFMADD231PS Z25, Z21, Z5  \
	VFMADD231PS Z25, Z22, Z6  \
	VFMADD231PS Z25, Z23, Z7  \
	VFMADD231PS Z26, Z20, Z8  \
	VFMADD231PS Z26, Z21, Z9  \
	VFMADD231PS Z26, Z22, Z10 \
	VFMADD231PS Z26, Z23, Z11 \
	VFMADD231PS Z27, Z20, Z12 \
	VFMADD231PS Z27, Z21, Z13 \
	VFMADD231PS Z27, Z22, Z14 \
	VFMADD231PS Z27, Z23, Z15

// func mm4x4Q8AVX512(w0, w1, w2, w3 *byte, x0, x1, x2, x3 *float32, nb int, pf uintptr, out *[16]float32)
// out[4*v+r] = Σ_b Σ_j (float32(q_r[b][j])·d_r[b])·x_v[32b+j] over nb Q8_0
// blocks: the rows are dequantised in registers, sixteen weights at a
// time, with the arithmetic of mv4Q8AVX512 (and so of dequantising the
// rows and calling mm4x4F32AVX512), without writing them out. pf (the
// next group of rows) is prefetched 136 bytes per block.
TEXT ·mm4x4Q8AVX512(SB), NOSPLIT, $0-88
	MM4X4PTRS
	MOVQ nb+64(FP), CX
	MOVQ pf+72(FP), R13
	ZERO16
	TESTQ CX, CX
	JZ    mmq8sum

mmq8loop:
	PREFETCHT0 (R13)
	PREFETCHT0 64(R13)
	PREFETCHT0 128(R13)
	ADDQ $136, R13
	Q8SCALE(R8, Y16, Z16)
	Q8SCALE(R9, Y17, Z17)
	Q8SCALE(R10, Y18, Z18)
	Q8SCALE(R11, Y19, Z19)
	// weights 0..15 of the block
	Q8W(2, R8, Z16, Z20)
	Q8W(2, R9, Z17, Z21)
	Q8W(2, R10, Z18, Z22)
	Q8W(2, R11, Z19, Z23)
	VMOVUPS (SI), Z24
	VMOVUPS (DI), Z25
	VMOVUPS (DX), Z26
	VMOVUPS (R12), Z27
	Q8TILE
	// weights 16..31
	Q8W(18, R8, Z16, Z20)
	Q8W(18, R9, Z17, Z21)
	Q8W(18, R10, Z18, Z22)
	Q8W(18, R11, Z19, Z23)
	VMOVUPS 64(SI), Z24
	VMOVUPS 64(DI), Z25
	VMOVUPS 64(DX), Z26
	VMOVUPS 64(R12), Z27
	Q8TILE
	ADDQ $34, R8
	ADDQ $34, R9
	ADDQ $34, R10
	ADDQ $34, R11
	ADDQ $128, SI
	ADDQ $128, DI
	ADDQ $128, DX
	ADDQ $128, R12
	DECQ CX
	JNZ  mmq8loop

mmq8sum:
	VMOVDQU32 permidx<>(SB), Z31
	MOVQ out+80(FP), DI
	STORE16(Z28, Z29)
	VZEROUPPER
	RET

// func mm4x4F16AVX512(w0, w1, w2, w3 *uint16, x0, x1, x2, x3 *float32, n int, pf uintptr, out *[16]float32)
// mm4x4F32AVX512 on rows of IEEE halves, converted in registers sixteen at
// a time (exactly, as mv4F16AVX512 does); pf (the next group of rows) is
// prefetched 128 bytes per step.
TEXT ·mm4x4F16AVX512(SB), NOSPLIT, $0-88
	MM4X4PTRS
	MOVQ n+64(FP), CX
	MOVQ pf+72(FP), R13
	ZERO16
	XORQ AX, AX
	MOVQ CX, BX
	ANDQ $-16, BX

mmf16loop:
	CMPQ AX, BX
	JAE  mmf16tail
	PREFETCHT0 (R13)
	PREFETCHT0 64(R13)
	ADDQ $128, R13
	VCVTPH2PS (R8)(AX*2), Z16
	VCVTPH2PS (R9)(AX*2), Z17
	VCVTPH2PS (R10)(AX*2), Z18
	VCVTPH2PS (R11)(AX*2), Z19
	MMX4
	ADDQ $16, AX
	JMP  mmf16loop

mmf16tail:
	// halves with a 16-bit masked move first, as mv4F16AVX512 does
	SUBQ AX, CX
	JZ   mmf16sum
	TAILMASK13
	VMOVDQU16.Z (R8)(AX*2), K1, Y16
	VMOVDQU16.Z (R9)(AX*2), K1, Y17
	VMOVDQU16.Z (R10)(AX*2), K1, Y18
	VMOVDQU16.Z (R11)(AX*2), K1, Y19
	VCVTPH2PS Y16, Z16
	VCVTPH2PS Y17, Z17
	VCVTPH2PS Y18, Z18
	VCVTPH2PS Y19, Z19
	MMX4Z

mmf16sum:
	VMOVDQU32 permidx<>(SB), Z31
	MOVQ out+80(FP), DI
	STORE16(Z16, Z17)
	VZEROUPPER
	RET
