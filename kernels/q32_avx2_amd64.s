//go:build !purego

#include "textflag.h"

// Integer AVX2 kernels for the 32-weight block types whose activations
// are Q8_0 blocks (Q4_0, Q5_0, Q8_0), four rows at a time. Per block and
// row the 32 weights become signed bytes w; VPSIGNB moves w's sign onto
// the activations so that VPMADDUBSW multiplies |w| (unsigned) by ±y
// (signed), pairs add in int16 (at most 2·128·127), VPMADDWD with ones
// adds pairs into eight int32 lanes, which are converted to float32 and
// added, times d_w·d_x, to the row's accumulator. REDUCE4Y folds the four
// accumulators at the end.

// REDUCE4Y is the fold of kernels_avx2_amd64.s.
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

DATA ones16<>+0(SB)/8, $0x0001000100010001
DATA ones16<>+8(SB)/8, $0x0001000100010001
DATA ones16<>+16(SB)/8, $0x0001000100010001
DATA ones16<>+24(SB)/8, $0x0001000100010001
GLOBL ones16<>(SB), RODATA|NOPTR, $32

DATA lowNib<>+0(SB)/8, $0x0f0f0f0f0f0f0f0f
DATA lowNib<>+8(SB)/8, $0x0f0f0f0f0f0f0f0f
DATA lowNib<>+16(SB)/8, $0x0f0f0f0f0f0f0f0f
DATA lowNib<>+24(SB)/8, $0x0f0f0f0f0f0f0f0f
GLOBL lowNib<>(SB), RODATA|NOPTR, $32

DATA eights<>+0(SB)/8, $0x0808080808080808
DATA eights<>+8(SB)/8, $0x0808080808080808
DATA eights<>+16(SB)/8, $0x0808080808080808
DATA eights<>+24(SB)/8, $0x0808080808080808
GLOBL eights<>(SB), RODATA|NOPTR, $32

DATA sixteens<>+0(SB)/8, $0x1010101010101010
DATA sixteens<>+8(SB)/8, $0x1010101010101010
DATA sixteens<>+16(SB)/8, $0x1010101010101010
DATA sixteens<>+24(SB)/8, $0x1010101010101010
GLOBL sixteens<>(SB), RODATA|NOPTR, $32

// qhByte sends byte i/8 of a broadcast dword to byte i (each 128-bit half
// holds the dword at offsets 0-3, so the high half uses indices 2 and 3);
// qhBit then selects bit i%8.
DATA qhByte<>+0(SB)/8, $0x0000000000000000
DATA qhByte<>+8(SB)/8, $0x0101010101010101
DATA qhByte<>+16(SB)/8, $0x0202020202020202
DATA qhByte<>+24(SB)/8, $0x0303030303030303
GLOBL qhByte<>(SB), RODATA|NOPTR, $32
DATA qhBit<>+0(SB)/8, $0x8040201008040201
DATA qhBit<>+8(SB)/8, $0x8040201008040201
DATA qhBit<>+16(SB)/8, $0x8040201008040201
DATA qhBit<>+24(SB)/8, $0x8040201008040201
GLOBL qhBit<>(SB), RODATA|NOPTR, $32

// DOTBLK adds d_w·d_x·Σ w·y for the signed weight bytes in Y0 (scale at
// (w)) and the activations in Y13 to acc; d_x is broadcast in Y14, ones
// (int16) in Y15.
#define DOTBLK(w, acc) \
	VPSIGNB      Y0, Y0, Y1   \
	VPSIGNB      Y0, Y13, Y2  \
	VPMADDUBSW   Y2, Y1, Y1   \
	VPMADDWD     Y15, Y1, Y1  \
	VCVTDQ2PS    Y1, Y1       \
	VPBROADCASTW (w), X3      \
	VCVTPH2PS    X3, Y3       \
	VMULPS       Y14, Y3, Y3  \
	VFMADD231PS  Y3, Y1, acc

#define ROWQ8(w, acc) \
	VMOVDQU 2(w), Y0 \
	DOTBLK(w, acc)

// NIBBLES puts the 32 nibbles at off(w) into Y0 as bytes: low nibbles
// (weights 0-15) in the low half, high nibbles (16-31) in the high half.
#define NIBBLES(w, off) \
	VMOVDQU     off(w), X0      \
	VPSRLW      $4, X0, X1      \
	VINSERTI128 $1, X1, Y0, Y0  \
	VPAND       Y12, Y0, Y0

#define ROWQ4(w, acc) \
	NIBBLES(w, 2)      \
	VPSUBB  Y7, Y0, Y0 \
	DOTBLK(w, acc)

// ROWQ5: w = nibble + 16·bit - 16 = nibble - (bit clear ? 16 : 0).
#define ROWQ5(w, acc) \
	NIBBLES(w, 6)                   \
	VPBROADCASTD 2(w), Y1           \
	VPSHUFB      qhByte<>(SB), Y1, Y1 \
	VPAND        qhBit<>(SB), Y1, Y1  \
	VPCMPEQB     qhBit<>(SB), Y1, Y1  \
	VPANDN       Y7, Y1, Y1         \
	VPSUBB       Y1, Y0, Y0         \
	DOTBLK(w, acc)

#define Q32PROLOGUE \
	MOVQ w0+0(FP), R8     \
	MOVQ w1+8(FP), R9     \
	MOVQ w2+16(FP), R10   \
	MOVQ w3+24(FP), R11   \
	MOVQ y+32(FP), SI     \
	MOVQ dx+40(FP), DX    \
	MOVQ nb+48(FP), CX    \
	MOVQ pf+56(FP), R13   \
	VMOVDQU ones16<>(SB), Y15 \
	VMOVDQU lowNib<>(SB), Y12 \
	VXORPS Y8, Y8, Y8     \
	VXORPS Y9, Y9, Y9     \
	VXORPS Y10, Y10, Y10  \
	VXORPS Y11, Y11, Y11

#define Q32EPILOGUE \
	REDUCE4Y(Y8, Y9, Y10, Y11, Y4, Y5, X8, X5) \
	MOVQ out+64(FP), DI  \
	VMOVUPS X8, (DI)     \
	VZEROUPPER           \
	RET

// The Q8_1 kernels (Q4_1, Q5_1: w = d·q + m with q unsigned) multiply q
// and y directly, and add each block's m·s (s the activation block's
// Q8_1 sum) to a scalar accumulator per row, X4..X7, which joins the
// folded lanes at the end. Their arithmetic is ggml's AVX2 vec_dot's
// (see dotQ4_1): the same products as the generic code's, bit for bit.

// DOTBLK1 adds d_w·d_x·Σ q·y (q unsigned in Y0) to acc and m·s to macc;
// s is at (R12).
#define DOTBLK1(w, acc, macc) \
	VPMADDUBSW   Y13, Y0, Y1  \
	VPMADDWD     Y15, Y1, Y1  \
	VCVTDQ2PS    Y1, Y1       \
	VPBROADCASTW (w), X3      \
	VCVTPH2PS    X3, Y3       \
	VMULPS       Y14, Y3, Y3  \
	VFMADD231PS  Y3, Y1, acc  \
	VPBROADCASTW 2(w), X3     \
	VCVTPH2PS    X3, X3       \
	VFMADD231SS  (R12), X3, macc

#define ROWQ41(w, acc, macc) \
	NIBBLES(w, 4) \
	DOTBLK1(w, acc, macc)

// ROWQ51: q = nibble | 16·bit.
#define ROWQ51(w, acc, macc) \
	NIBBLES(w, 8)                     \
	VPBROADCASTD 4(w), Y1             \
	VPSHUFB      qhByte<>(SB), Y1, Y1 \
	VPAND        qhBit<>(SB), Y1, Y1  \
	VPCMPEQB     qhBit<>(SB), Y1, Y1  \
	VPAND        sixteens<>(SB), Y1, Y1 \
	VPOR         Y1, Y0, Y0           \
	DOTBLK1(w, acc, macc)

#define Q81PROLOGUE \
	MOVQ w0+0(FP), R8     \
	MOVQ w1+8(FP), R9     \
	MOVQ w2+16(FP), R10   \
	MOVQ w3+24(FP), R11   \
	MOVQ y+32(FP), SI     \
	MOVQ dx+40(FP), DX    \
	MOVQ sx+48(FP), R12   \
	MOVQ nb+56(FP), CX    \
	MOVQ pf+64(FP), R13   \
	VMOVDQU ones16<>(SB), Y15 \
	VMOVDQU lowNib<>(SB), Y12 \
	VXORPS Y8, Y8, Y8     \
	VXORPS Y9, Y9, Y9     \
	VXORPS Y10, Y10, Y10  \
	VXORPS Y11, Y11, Y11  \
	VXORPS Y4, Y4, Y4     \
	VXORPS Y5, Y5, Y5     \
	VXORPS Y6, Y6, Y6     \
	VXORPS Y7, Y7, Y7

// REDUCE4G folds the four accumulators as ggml's hsum_float_8 folds one,
// which Q8_1 products must match bit for bit: per row the high half added
// to the low (r_i = l_i + l_(i+4)), then (r0+r2) + (r1+r3). It is
// REDUCE4Y with each row's sums reordered to r0 r2 r1 r3 before the
// horizontal adds, which add neighbours.
#define REDUCE4G(a, b, c, d, t0, t1, xa, xt1) \
	VPERM2F128 $0x20, b, a, t0 \
	VPERM2F128 $0x31, b, a, t1 \
	VADDPS     t1, t0, a       \
	VPERM2F128 $0x20, d, c, t0 \
	VPERM2F128 $0x31, d, c, t1 \
	VADDPS     t1, t0, c       \
	VPERMILPS  $0xd8, a, a     \
	VPERMILPS  $0xd8, c, c     \
	VHADDPS    c, a, a         \
	VHADDPS    a, a, a         \
	VEXTRACTF128 $1, a, xt1    \
	VUNPCKLPS  xt1, xa, xa

#define Q81EPILOGUE \
	REDUCE4G(Y8, Y9, Y10, Y11, Y0, Y1, X8, X1) \
	VINSERTPS $0x10, X5, X4, X4 \
	VINSERTPS $0x20, X6, X4, X4 \
	VINSERTPS $0x30, X7, X4, X4 \
	VADDPS    X4, X8, X8        \
	MOVQ out+72(FP), DI         \
	VMOVUPS X8, (DI)            \
	VZEROUPPER                  \
	RET

// Batched kernels for the Q8_0-activation types: one row times four
// vectors (vector v's quants at y + v·ys, its scales at dx + v·ds), the
// row's unpacked weights, their magnitudes and their scale shared by the
// four. Per (row, vector) pair the instructions are DOTBLK's, so results
// equal mv4's bit for bit.

// T32VEC adds d_w·d_x·Σ w·y for one vector to facc: w in Y0, |w| in Y1,
// d_w in Y3.
#define T32VEC(ya, dxa, facc) \
	VMOVDQU      ya, Y2       \
	VPSIGNB      Y0, Y2, Y2   \
	VPMADDUBSW   Y2, Y1, Y2   \
	VPMADDWD     Y15, Y2, Y2  \
	VCVTDQ2PS    Y2, Y2       \
	VBROADCASTSS dxa, Y4      \
	VMULPS       Y4, Y3, Y4   \
	VFMADD231PS  Y4, Y2, facc

#define T32BLOCK \
	VPSIGNB      Y0, Y0, Y1     \
	VPBROADCASTW (R8), X3       \
	VCVTPH2PS    X3, Y3         \
	T32VEC((SI), (DX), Y10)                 \
	T32VEC((SI)(R12*1), (DX)(R9*1), Y11)    \
	T32VEC((SI)(R12*2), (DX)(R9*2), Y13)    \
	T32VEC((SI)(R13*1), (DX)(R10*1), Y14)

#define T32PROLOGUE \
	MOVQ w+0(FP), R8      \
	MOVQ y+8(FP), SI      \
	MOVQ ys+16(FP), R12   \
	MOVQ dx+24(FP), DX    \
	MOVQ ds+32(FP), R9    \
	MOVQ nb+40(FP), CX    \
	LEAQ (R12)(R12*2), R13 \
	LEAQ (R9)(R9*2), R10  \
	VMOVDQU ones16<>(SB), Y15 \
	VMOVDQU lowNib<>(SB), Y12 \
	VXORPS Y10, Y10, Y10  \
	VXORPS Y11, Y11, Y11  \
	VXORPS Y13, Y13, Y13  \
	VXORPS Y14, Y14, Y14

#define T32EPILOGUE \
	REDUCE4Y(Y10, Y11, Y13, Y14, Y0, Y1, X10, X1) \
	MOVQ out+48(FP), DI   \
	VMOVUPS X10, (DI)     \
	VZEROUPPER            \
	RET

// func mv4Q80AVX2(w0, w1, w2, w3 *byte, y *int8, dx *float32, nb int, pf uintptr, out *[4]float32)
TEXT ·mv4Q80AVX2(SB), NOSPLIT, $0-72
	Q32PROLOGUE
	TESTQ CX, CX
	JZ    q80done

q80loop:
	PREFETCHT0 (R13)
	PREFETCHT0 64(R13)
	PREFETCHT0 128(R13)
	ADDQ $136, R13
	VMOVDQU (SI), Y13
	VBROADCASTSS (DX), Y14
	ROWQ8(R8, Y8)
	ROWQ8(R9, Y9)
	ROWQ8(R10, Y10)
	ROWQ8(R11, Y11)
	ADDQ $34, R8
	ADDQ $34, R9
	ADDQ $34, R10
	ADDQ $34, R11
	ADDQ $32, SI
	ADDQ $4, DX
	DECQ CX
	JNZ  q80loop

q80done:
	Q32EPILOGUE

// func mv4Q40AVX2(w0, w1, w2, w3 *byte, y *int8, dx *float32, nb int, pf uintptr, out *[4]float32)
TEXT ·mv4Q40AVX2(SB), NOSPLIT, $0-72
	Q32PROLOGUE
	VMOVDQU eights<>(SB), Y7
	TESTQ CX, CX
	JZ    q40done

q40loop:
	PREFETCHT0 (R13)
	PREFETCHT0 64(R13)
	ADDQ $72, R13
	VMOVDQU (SI), Y13
	VBROADCASTSS (DX), Y14
	ROWQ4(R8, Y8)
	ROWQ4(R9, Y9)
	ROWQ4(R10, Y10)
	ROWQ4(R11, Y11)
	ADDQ $18, R8
	ADDQ $18, R9
	ADDQ $18, R10
	ADDQ $18, R11
	ADDQ $32, SI
	ADDQ $4, DX
	DECQ CX
	JNZ  q40loop

q40done:
	Q32EPILOGUE

// func mv4Q50AVX2(w0, w1, w2, w3 *byte, y *int8, dx *float32, nb int, pf uintptr, out *[4]float32)
TEXT ·mv4Q50AVX2(SB), NOSPLIT, $0-72
	Q32PROLOGUE
	VMOVDQU sixteens<>(SB), Y7
	TESTQ CX, CX
	JZ    q50done

q50loop:
	PREFETCHT0 (R13)
	PREFETCHT0 64(R13)
	ADDQ $88, R13
	VMOVDQU (SI), Y13
	VBROADCASTSS (DX), Y14
	ROWQ5(R8, Y8)
	ROWQ5(R9, Y9)
	ROWQ5(R10, Y10)
	ROWQ5(R11, Y11)
	ADDQ $22, R8
	ADDQ $22, R9
	ADDQ $22, R10
	ADDQ $22, R11
	ADDQ $32, SI
	ADDQ $4, DX
	DECQ CX
	JNZ  q50loop

q50done:
	Q32EPILOGUE

// func mv4Q41AVX2(w0, w1, w2, w3 *byte, y *int8, dx, sx *float32, nb int, pf uintptr, out *[4]float32)
TEXT ·mv4Q41AVX2(SB), NOSPLIT, $0-80
	Q81PROLOGUE
	TESTQ CX, CX
	JZ    q41done

q41loop:
	PREFETCHT0 (R13)
	PREFETCHT0 64(R13)
	ADDQ $80, R13
	VMOVDQU (SI), Y13
	VBROADCASTSS (DX), Y14
	ROWQ41(R8, Y8, X4)
	ROWQ41(R9, Y9, X5)
	ROWQ41(R10, Y10, X6)
	ROWQ41(R11, Y11, X7)
	ADDQ $20, R8
	ADDQ $20, R9
	ADDQ $20, R10
	ADDQ $20, R11
	ADDQ $32, SI
	ADDQ $4, DX
	ADDQ $4, R12
	DECQ CX
	JNZ  q41loop

q41done:
	Q81EPILOGUE

// func mv4Q51AVX2(w0, w1, w2, w3 *byte, y *int8, dx, sx *float32, nb int, pf uintptr, out *[4]float32)
TEXT ·mv4Q51AVX2(SB), NOSPLIT, $0-80
	Q81PROLOGUE
	TESTQ CX, CX
	JZ    q51done

q51loop:
	PREFETCHT0 (R13)
	PREFETCHT0 64(R13)
	ADDQ $96, R13
	VMOVDQU (SI), Y13
	VBROADCASTSS (DX), Y14
	ROWQ51(R8, Y8, X4)
	ROWQ51(R9, Y9, X5)
	ROWQ51(R10, Y10, X6)
	ROWQ51(R11, Y11, X7)
	ADDQ $24, R8
	ADDQ $24, R9
	ADDQ $24, R10
	ADDQ $24, R11
	ADDQ $32, SI
	ADDQ $4, DX
	ADDQ $4, R12
	DECQ CX
	JNZ  q51loop

q51done:
	Q81EPILOGUE

// func mm1x4Q80AVX2(w *byte, y *int8, ys int, dx *float32, ds, nb int, out *[4]float32)
TEXT ·mm1x4Q80AVX2(SB), NOSPLIT, $0-56
	T32PROLOGUE
	TESTQ CX, CX
	JZ    t80done

t80loop:
	VMOVDQU 2(R8), Y0
	T32BLOCK
	ADDQ $34, R8
	ADDQ $32, SI
	ADDQ $4, DX
	DECQ CX
	JNZ  t80loop

t80done:
	T32EPILOGUE

// func mm1x4Q40AVX2(w *byte, y *int8, ys int, dx *float32, ds, nb int, out *[4]float32)
TEXT ·mm1x4Q40AVX2(SB), NOSPLIT, $0-56
	T32PROLOGUE
	VMOVDQU eights<>(SB), Y7
	TESTQ CX, CX
	JZ    t40done

t40loop:
	NIBBLES(R8, 2)
	VPSUBB Y7, Y0, Y0
	T32BLOCK
	ADDQ $18, R8
	ADDQ $32, SI
	ADDQ $4, DX
	DECQ CX
	JNZ  t40loop

t40done:
	T32EPILOGUE

// func mm1x4Q50AVX2(w *byte, y *int8, ys int, dx *float32, ds, nb int, out *[4]float32)
TEXT ·mm1x4Q50AVX2(SB), NOSPLIT, $0-56
	T32PROLOGUE
	VMOVDQU sixteens<>(SB), Y7
	TESTQ CX, CX
	JZ    t50done

t50loop:
	NIBBLES(R8, 6)
	VPBROADCASTD 2(R8), Y1
	VPSHUFB      qhByte<>(SB), Y1, Y1
	VPAND        qhBit<>(SB), Y1, Y1
	VPCMPEQB     qhBit<>(SB), Y1, Y1
	VPANDN       Y7, Y1, Y1
	VPSUBB       Y1, Y0, Y0
	T32BLOCK
	ADDQ $22, R8
	ADDQ $32, SI
	ADDQ $4, DX
	DECQ CX
	JNZ  t50loop

t50done:
	T32EPILOGUE
