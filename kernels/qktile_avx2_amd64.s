//go:build !purego

#include "textflag.h"

// Batched K-quant kernels: one weight row times four activation vectors
// (a 1x4 register tile), so the unpacked quants and the shuffled scales
// of each 64 weights serve four vectors. Per (row, vector) pair every
// instruction that touches the pair's sums is the one mv4Q4KAVX2 runs for
// it, in the same order, and the same REDUCE4Y folds the four
// accumulators: results equal the matrix-vector kernel's bit for bit.
//
// Vector v's quants are at y + v·ys, its scales at dx + v·ds, its sums
// at bs + v·bss (byte strides): registers SI, DX, BX with strides R12,
// R9, R11 and the triple strides R13, R10, AX.

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

DATA tnib0F<>+0(SB)/8, $0x0f0f0f0f0f0f0f0f
DATA tnib0F<>+8(SB)/8, $0x0f0f0f0f0f0f0f0f
DATA tnib0F<>+16(SB)/8, $0x0f0f0f0f0f0f0f0f
DATA tnib0F<>+24(SB)/8, $0x0f0f0f0f0f0f0f0f
GLOBL tnib0F<>(SB), RODATA|NOPTR, $32

DATA tq4kShift<>+0(SB)/8, $0
DATA tq4kShift<>+8(SB)/8, $0x0000000400000000
GLOBL tq4kShift<>(SB), RODATA|NOPTR, $16
DATA tq4kLoMask<>+0(SB)/8, $0x0f0f0f0f3f3f3f3f
DATA tq4kLoMask<>+8(SB)/8, $0x0f0f0f0f3f3f3f3f
GLOBL tq4kLoMask<>(SB), RODATA|NOPTR, $16
DATA tq4kHiMask<>+0(SB)/8, $0x3030303000000000
DATA tq4kHiMask<>+8(SB)/8, $0x3030303000000000
GLOBL tq4kHiMask<>(SB), RODATA|NOPTR, $16

// T4VEC adds one vector's products of the nibbles in Y2 (low) and Y3
// (high), scaled by Y4 and Y5, to iacc; the activations are at yo
// relative to the vector's base address base.
#define T4VEC(yo, base, iacc) \
	VPMADDUBSW yo base, Y2, Y0    \
	VPMADDUBSW yo+32 base, Y3, Y1 \
	VPMADDWD   Y4, Y0, Y0         \
	VPMADDWD   Y5, Y1, Y1         \
	VPADDD     Y0, Y1, Y1         \
	VPADDD     Y1, iacc, iacc

#define T4PAIR(qo, yo, sa, sb) \
	VMOVDQU qo(R8), Y2                    \
	VPSRLW  $4, Y2, Y3                    \
	VPAND   Y15, Y2, Y2                   \
	VPAND   Y15, Y3, Y3                   \
	VPSHUFB q4kShufT<>+sa(SB), Y12, Y4    \
	VPSHUFB q4kShufT<>+sb(SB), Y12, Y5    \
	T4VEC(yo, (SI), Y6)                   \
	T4VEC(yo, (SI)(R12*1), Y7)            \
	T4VEC(yo, (SI)(R12*2), Y8)            \
	T4VEC(yo, (SI)(R13*1), Y9)

// T4MIN: facc -= (d_x·dmin)·[0 | m·Σy] for one vector (dmin in Y2, the
// scales and mins in Y0).
#define T4MIN(dxa, bsa, facc) \
	VPMADDWD     bsa, Y0, Y1  \
	VCVTDQ2PS    Y1, Y1       \
	VBROADCASTSS dxa, Y3      \
	VMULPS       Y3, Y2, Y3   \
	VFNMADD231PS Y3, Y1, facc

// T4END: facc += (d_x·d)·iacc (d in Y2).
#define T4END(dxa, iacc, facc) \
	VCVTDQ2PS    iacc, iacc   \
	VBROADCASTSS dxa, Y3      \
	VMULPS       Y3, Y2, Y3   \
	VFMADD231PS  Y3, iacc, facc

// func mm1x4Q4KAVX2(w *byte, y *int8, ys int, dx *float32, ds int, bs *int16, bss, nb int, out *[4]float32)
TEXT ·mm1x4Q4KAVX2(SB), NOSPLIT, $0-72
	MOVQ w+0(FP), R8
	MOVQ y+8(FP), SI
	MOVQ ys+16(FP), R12
	MOVQ dx+24(FP), DX
	MOVQ ds+32(FP), R9
	MOVQ bs+40(FP), BX
	MOVQ bss+48(FP), R11
	MOVQ nb+56(FP), CX
	LEAQ (R12)(R12*2), R13
	LEAQ (R9)(R9*2), R10
	LEAQ (R11)(R11*2), AX
	VMOVDQU tnib0F<>(SB), Y15
	VXORPS Y10, Y10, Y10
	VXORPS Y11, Y11, Y11
	VXORPS Y13, Y13, Y13
	VXORPS Y14, Y14, Y14
	TESTQ CX, CX
	JZ    t4done

t4loop:
	VMOVDQU      4(R8), X0
	VPSHUFD      $0x98, X0, X1
	VPSRLVD      tq4kShift<>(SB), X1, X1
	VPAND        tq4kLoMask<>(SB), X1, X1
	VPSHUFD      $0x50, X0, X2
	VPSRLD       $2, X2, X2
	VPAND        tq4kHiMask<>(SB), X2, X2
	VPOR         X2, X1, X1
	VPMOVZXBW    X1, Y0
	VPERMQ       $0x44, Y0, Y12
	VPBROADCASTW 2(R8), X2
	VCVTPH2PS    X2, Y2
	T4MIN((DX), (BX), Y10)
	T4MIN((DX)(R9*1), (BX)(R11*1), Y11)
	T4MIN((DX)(R9*2), (BX)(R11*2), Y13)
	T4MIN((DX)(R10*1), (BX)(AX*1), Y14)
	VPXOR Y6, Y6, Y6
	VPXOR Y7, Y7, Y7
	VPXOR Y8, Y8, Y8
	VPXOR Y9, Y9, Y9
	T4PAIR(16, 0, 0, 32)
	T4PAIR(48, 64, 64, 96)
	T4PAIR(80, 128, 128, 160)
	T4PAIR(112, 192, 192, 224)
	VPBROADCASTW (R8), X2
	VCVTPH2PS    X2, Y2
	T4END((DX), Y6, Y10)
	T4END((DX)(R9*1), Y7, Y11)
	T4END((DX)(R9*2), Y8, Y13)
	T4END((DX)(R10*1), Y9, Y14)
	ADDQ $144, R8
	ADDQ $256, SI
	ADDQ $4, DX
	ADDQ $32, BX
	DECQ CX
	JNZ  t4loop

t4done:
	REDUCE4Y(Y10, Y11, Y13, Y14, Y0, Y1, X10, X1)
	MOVQ out+64(FP), DI
	VMOVUPS X10, (DI)
	VZEROUPPER
	RET
DATA tbits30<>+0(SB)/8, $0x3030303030303030
DATA tbits30<>+8(SB)/8, $0x3030303030303030
DATA tbits30<>+16(SB)/8, $0x3030303030303030
DATA tbits30<>+24(SB)/8, $0x3030303030303030
GLOBL tbits30<>(SB), RODATA|NOPTR, $32

// T6VEC adds one vector's products of the quants in Y4 (q+32), scaled by
// Y5, to iacc.
#define T6VEC(yo, base, iacc) \
	VPMADDUBSW yo base, Y4, Y15 \
	VPMADDWD   Y5, Y15, Y15     \
	VPADDD     Y15, iacc, iacc

#define T6Q(yo, k) \
	VPSHUFB q6kShufT<>+k(SB), Y12, Y5 \
	T6VEC(yo, (SI), Y6)               \
	T6VEC(yo, (SI)(R12*1), Y7)        \
	T6VEC(yo, (SI)(R12*2), Y8)        \
	T6VEC(yo, (SI)(R13*1), Y9)

// T6HALF is Q6KHALF for four vectors, with the masks in memory.
#define T6HALF(qo, ho, yo) \
	VMOVDQU qo(R8), Y1             \
	VMOVDQU qo+32(R8), Y2          \
	VMOVDQU ho(R8), Y3             \
	VPAND   tnib0F<>(SB), Y1, Y4   \
	VPSLLW  $4, Y3, Y5             \
	VPAND   tbits30<>(SB), Y5, Y5  \
	VPOR    Y5, Y4, Y4             \
	T6Q(yo, 0)                     \
	VPAND   tnib0F<>(SB), Y2, Y4   \
	VPSLLW  $2, Y3, Y5             \
	VPAND   tbits30<>(SB), Y5, Y5  \
	VPOR    Y5, Y4, Y4             \
	T6Q(yo+32, 32)                 \
	VPSRLW  $4, Y1, Y4             \
	VPAND   tnib0F<>(SB), Y4, Y4   \
	VPAND   tbits30<>(SB), Y3, Y5  \
	VPOR    Y5, Y4, Y4             \
	T6Q(yo+64, 64)                 \
	VPSRLW  $4, Y2, Y4             \
	VPAND   tnib0F<>(SB), Y4, Y4   \
	VPSRLW  $2, Y3, Y5             \
	VPAND   tbits30<>(SB), Y5, Y5  \
	VPOR    Y5, Y4, Y4             \
	T6Q(yo+96, 96)

// T6COR starts iacc at -32·Σ sc·Σy for one vector (scales in Y0).
#define T6COR(bsa, iacc) \
	VPMADDWD bsa, Y0, Y1   \
	VPSLLD   $5, Y1, Y1    \
	VPXOR    iacc, iacc, iacc \
	VPSUBD   Y1, iacc, iacc

// func mm1x4Q6KAVX2(w *byte, y *int8, ys int, dx *float32, ds int, bs *int16, bss, nb int, out *[4]float32)
TEXT ·mm1x4Q6KAVX2(SB), NOSPLIT, $0-72
	MOVQ w+0(FP), R8
	MOVQ y+8(FP), SI
	MOVQ ys+16(FP), R12
	MOVQ dx+24(FP), DX
	MOVQ ds+32(FP), R9
	MOVQ bs+40(FP), BX
	MOVQ bss+48(FP), R11
	MOVQ nb+56(FP), CX
	LEAQ (R12)(R12*2), R13
	LEAQ (R9)(R9*2), R10
	LEAQ (R11)(R11*2), AX
	VXORPS Y10, Y10, Y10
	VXORPS Y11, Y11, Y11
	VXORPS Y13, Y13, Y13
	VXORPS Y14, Y14, Y14
	TESTQ CX, CX
	JZ    t6done

t6loop:
	VPMOVSXBW 192(R8), Y0
	T6COR((BX), Y6)
	T6COR((BX)(R11*1), Y7)
	T6COR((BX)(R11*2), Y8)
	T6COR((BX)(AX*1), Y9)
	VPERMQ $0x44, Y0, Y12
	T6HALF(0, 128, 0)
	VPERMQ $0xee, Y0, Y12
	T6HALF(64, 160, 128)
	VPBROADCASTW 208(R8), X2
	VCVTPH2PS    X2, Y2
	T4END((DX), Y6, Y10)
	T4END((DX)(R9*1), Y7, Y11)
	T4END((DX)(R9*2), Y8, Y13)
	T4END((DX)(R10*1), Y9, Y14)
	ADDQ $210, R8
	ADDQ $256, SI
	ADDQ $4, DX
	ADDQ $32, BX
	DECQ CX
	JNZ  t6loop

t6done:
	REDUCE4Y(Y10, Y11, Y13, Y14, Y0, Y1, X10, X1)
	MOVQ out+64(FP), DI
	VMOVUPS X10, (DI)
	VZEROUPPER
	RET

DATA tbit10<>+0(SB)/8, $0x1010101010101010
DATA tbit10<>+8(SB)/8, $0x1010101010101010
DATA tbit10<>+16(SB)/8, $0x1010101010101010
DATA tbit10<>+24(SB)/8, $0x1010101010101010
GLOBL tbit10<>(SB), RODATA|NOPTR, $32

// T5PAIR is T4PAIR for Q5_K: the fifth bits come from the qh bytes at
// 16(R8), moved to bit 4 by opl nl and oph nh as in Q5KPAIR.
#define T5PAIR(qo, yo, sa, sb, opl, nl, oph, nh) \
	VMOVDQU qo(R8), Y2                    \
	VPSRLW  $4, Y2, Y3                    \
	VPAND   Y15, Y2, Y2                   \
	VPAND   Y15, Y3, Y3                   \
	VMOVDQU 16(R8), Y5                    \
	opl     nl, Y5, Y4                    \
	VPAND   tbit10<>(SB), Y4, Y4          \
	VPOR    Y4, Y2, Y2                    \
	oph     nh, Y5, Y5                    \
	VPAND   tbit10<>(SB), Y5, Y5          \
	VPOR    Y5, Y3, Y3                    \
	VPSHUFB q4kShufT<>+sa(SB), Y12, Y4    \
	VPSHUFB q4kShufT<>+sb(SB), Y12, Y5    \
	T4VEC(yo, (SI), Y6)                   \
	T4VEC(yo, (SI)(R12*1), Y7)            \
	T4VEC(yo, (SI)(R12*2), Y8)            \
	T4VEC(yo, (SI)(R13*1), Y9)

// func mm1x4Q5KAVX2(w *byte, y *int8, ys int, dx *float32, ds int, bs *int16, bss, nb int, out *[4]float32)
TEXT ·mm1x4Q5KAVX2(SB), NOSPLIT, $0-72
	MOVQ w+0(FP), R8
	MOVQ y+8(FP), SI
	MOVQ ys+16(FP), R12
	MOVQ dx+24(FP), DX
	MOVQ ds+32(FP), R9
	MOVQ bs+40(FP), BX
	MOVQ bss+48(FP), R11
	MOVQ nb+56(FP), CX
	LEAQ (R12)(R12*2), R13
	LEAQ (R9)(R9*2), R10
	LEAQ (R11)(R11*2), AX
	VMOVDQU tnib0F<>(SB), Y15
	VXORPS Y10, Y10, Y10
	VXORPS Y11, Y11, Y11
	VXORPS Y13, Y13, Y13
	VXORPS Y14, Y14, Y14
	TESTQ CX, CX
	JZ    t5done

t5loop:
	VMOVDQU      4(R8), X0
	VPSHUFD      $0x98, X0, X1
	VPSRLVD      tq4kShift<>(SB), X1, X1
	VPAND        tq4kLoMask<>(SB), X1, X1
	VPSHUFD      $0x50, X0, X2
	VPSRLD       $2, X2, X2
	VPAND        tq4kHiMask<>(SB), X2, X2
	VPOR         X2, X1, X1
	VPMOVZXBW    X1, Y0
	VPERMQ       $0x44, Y0, Y12
	VPBROADCASTW 2(R8), X2
	VCVTPH2PS    X2, Y2
	T4MIN((DX), (BX), Y10)
	T4MIN((DX)(R9*1), (BX)(R11*1), Y11)
	T4MIN((DX)(R9*2), (BX)(R11*2), Y13)
	T4MIN((DX)(R10*1), (BX)(AX*1), Y14)
	VPXOR Y6, Y6, Y6
	VPXOR Y7, Y7, Y7
	VPXOR Y8, Y8, Y8
	VPXOR Y9, Y9, Y9
	T5PAIR(48, 0, 0, 32, VPSLLW, $4, VPSLLW, $3)
	T5PAIR(80, 64, 64, 96, VPSLLW, $2, VPSLLW, $1)
	T5PAIR(112, 128, 128, 160, VPSRLW, $0, VPSRLW, $1)
	T5PAIR(144, 192, 192, 224, VPSRLW, $2, VPSRLW, $3)
	VPBROADCASTW (R8), X2
	VCVTPH2PS    X2, Y2
	T4END((DX), Y6, Y10)
	T4END((DX)(R9*1), Y7, Y11)
	T4END((DX)(R9*2), Y8, Y13)
	T4END((DX)(R10*1), Y9, Y14)
	ADDQ $176, R8
	ADDQ $256, SI
	ADDQ $4, DX
	ADDQ $32, BX
	DECQ CX
	JNZ  t5loop

t5done:
	REDUCE4Y(Y10, Y11, Y13, Y14, Y0, Y1, X10, X1)
	MOVQ out+64(FP), DI
	VMOVUPS X10, (DI)
	VZEROUPPER
	RET

DATA q4kShufT<>+0(SB)/8, $0x0100010001000100
DATA q4kShufT<>+8(SB)/8, $0x0100010001000100
DATA q4kShufT<>+16(SB)/8, $0x0100010001000100
DATA q4kShufT<>+24(SB)/8, $0x0100010001000100
DATA q4kShufT<>+32(SB)/8, $0x0302030203020302
DATA q4kShufT<>+40(SB)/8, $0x0302030203020302
DATA q4kShufT<>+48(SB)/8, $0x0302030203020302
DATA q4kShufT<>+56(SB)/8, $0x0302030203020302
DATA q4kShufT<>+64(SB)/8, $0x0504050405040504
DATA q4kShufT<>+72(SB)/8, $0x0504050405040504
DATA q4kShufT<>+80(SB)/8, $0x0504050405040504
DATA q4kShufT<>+88(SB)/8, $0x0504050405040504
DATA q4kShufT<>+96(SB)/8, $0x0706070607060706
DATA q4kShufT<>+104(SB)/8, $0x0706070607060706
DATA q4kShufT<>+112(SB)/8, $0x0706070607060706
DATA q4kShufT<>+120(SB)/8, $0x0706070607060706
DATA q4kShufT<>+128(SB)/8, $0x0908090809080908
DATA q4kShufT<>+136(SB)/8, $0x0908090809080908
DATA q4kShufT<>+144(SB)/8, $0x0908090809080908
DATA q4kShufT<>+152(SB)/8, $0x0908090809080908
DATA q4kShufT<>+160(SB)/8, $0x0b0a0b0a0b0a0b0a
DATA q4kShufT<>+168(SB)/8, $0x0b0a0b0a0b0a0b0a
DATA q4kShufT<>+176(SB)/8, $0x0b0a0b0a0b0a0b0a
DATA q4kShufT<>+184(SB)/8, $0x0b0a0b0a0b0a0b0a
DATA q4kShufT<>+192(SB)/8, $0x0d0c0d0c0d0c0d0c
DATA q4kShufT<>+200(SB)/8, $0x0d0c0d0c0d0c0d0c
DATA q4kShufT<>+208(SB)/8, $0x0d0c0d0c0d0c0d0c
DATA q4kShufT<>+216(SB)/8, $0x0d0c0d0c0d0c0d0c
DATA q4kShufT<>+224(SB)/8, $0x0f0e0f0e0f0e0f0e
DATA q4kShufT<>+232(SB)/8, $0x0f0e0f0e0f0e0f0e
DATA q4kShufT<>+240(SB)/8, $0x0f0e0f0e0f0e0f0e
DATA q4kShufT<>+248(SB)/8, $0x0f0e0f0e0f0e0f0e
GLOBL q4kShufT<>(SB), RODATA|NOPTR, $256
DATA q6kShufT<>+0(SB)/8, $0x0100010001000100
DATA q6kShufT<>+8(SB)/8, $0x0100010001000100
DATA q6kShufT<>+16(SB)/8, $0x0302030203020302
DATA q6kShufT<>+24(SB)/8, $0x0302030203020302
DATA q6kShufT<>+32(SB)/8, $0x0504050405040504
DATA q6kShufT<>+40(SB)/8, $0x0504050405040504
DATA q6kShufT<>+48(SB)/8, $0x0706070607060706
DATA q6kShufT<>+56(SB)/8, $0x0706070607060706
DATA q6kShufT<>+64(SB)/8, $0x0908090809080908
DATA q6kShufT<>+72(SB)/8, $0x0908090809080908
DATA q6kShufT<>+80(SB)/8, $0x0b0a0b0a0b0a0b0a
DATA q6kShufT<>+88(SB)/8, $0x0b0a0b0a0b0a0b0a
DATA q6kShufT<>+96(SB)/8, $0x0d0c0d0c0d0c0d0c
DATA q6kShufT<>+104(SB)/8, $0x0d0c0d0c0d0c0d0c
DATA q6kShufT<>+112(SB)/8, $0x0f0e0f0e0f0e0f0e
DATA q6kShufT<>+120(SB)/8, $0x0f0e0f0e0f0e0f0e
GLOBL q6kShufT<>(SB), RODATA|NOPTR, $128
