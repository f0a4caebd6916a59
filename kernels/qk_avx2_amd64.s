//go:build !purego

#include "textflag.h"

// Integer AVX2 kernels for K-quant weights times Q8_K activations, four
// rows at a time. Per super-block of 256 weights each row sums its byte
// products exactly in eight int32 lanes (VPMADDUBSW: unsigned quant times
// signed activation, pairs added into int16 without overflow; VPMADDWD:
// times the sub-block scale, pairs added into int32), converts the lanes
// to float32 and adds them, times d_x·d, into its float32 accumulator;
// the mins (Q4_K) and the -32 offset (Q6_K) come from the activation
// block sums. Rows are processed one after another within a super-block
// by the same instructions, so a row's result does not depend on its slot.
// REDUCE4Y folds the four accumulators at the end.

// REDUCE4Y is the fold of kernels_avx2_amd64.s: [Σa, Σb, Σc, Σd] in the
// low 128 bits of a, each as (s0+s1)+(s2+s3) of s[i] = x[i]+x[i+4].
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

DATA nib0F<>+0(SB)/8, $0x0f0f0f0f0f0f0f0f
DATA nib0F<>+8(SB)/8, $0x0f0f0f0f0f0f0f0f
DATA nib0F<>+16(SB)/8, $0x0f0f0f0f0f0f0f0f
DATA nib0F<>+24(SB)/8, $0x0f0f0f0f0f0f0f0f
GLOBL nib0F<>(SB), RODATA|NOPTR, $32

DATA bits30<>+0(SB)/8, $0x3030303030303030
DATA bits30<>+8(SB)/8, $0x3030303030303030
DATA bits30<>+16(SB)/8, $0x3030303030303030
DATA bits30<>+24(SB)/8, $0x3030303030303030
GLOBL bits30<>(SB), RODATA|NOPTR, $32

// The Q4_K scale unpacking (see kScales): dwords [w0, w2, w1, w2] of the
// 12 scale bytes shifted by [0, 0, 0, 4] and masked give the low bits,
// [w0, w0, w1, w1] shifted right by 2 and masked the top two bits of
// scales 4-7 and mins 4-7.
DATA q4kShift<>+0(SB)/8, $0
DATA q4kShift<>+8(SB)/8, $0x0000000400000000
GLOBL q4kShift<>(SB), RODATA|NOPTR, $16
DATA q4kLoMask<>+0(SB)/8, $0x0f0f0f0f3f3f3f3f
DATA q4kLoMask<>+8(SB)/8, $0x0f0f0f0f3f3f3f3f
GLOBL q4kLoMask<>(SB), RODATA|NOPTR, $16
DATA q4kHiMask<>+0(SB)/8, $0x3030303000000000
DATA q4kHiMask<>+8(SB)/8, $0x3030303000000000
GLOBL q4kHiMask<>(SB), RODATA|NOPTR, $16

// q4kShuf mask j copies int16 word j to all 16 words (VPSHUFB on a
// register holding the eight scales in both halves).
DATA q4kShuf<>+0(SB)/8, $0x0100010001000100
DATA q4kShuf<>+8(SB)/8, $0x0100010001000100
DATA q4kShuf<>+16(SB)/8, $0x0100010001000100
DATA q4kShuf<>+24(SB)/8, $0x0100010001000100
DATA q4kShuf<>+32(SB)/8, $0x0302030203020302
DATA q4kShuf<>+40(SB)/8, $0x0302030203020302
DATA q4kShuf<>+48(SB)/8, $0x0302030203020302
DATA q4kShuf<>+56(SB)/8, $0x0302030203020302
DATA q4kShuf<>+64(SB)/8, $0x0504050405040504
DATA q4kShuf<>+72(SB)/8, $0x0504050405040504
DATA q4kShuf<>+80(SB)/8, $0x0504050405040504
DATA q4kShuf<>+88(SB)/8, $0x0504050405040504
DATA q4kShuf<>+96(SB)/8, $0x0706070607060706
DATA q4kShuf<>+104(SB)/8, $0x0706070607060706
DATA q4kShuf<>+112(SB)/8, $0x0706070607060706
DATA q4kShuf<>+120(SB)/8, $0x0706070607060706
DATA q4kShuf<>+128(SB)/8, $0x0908090809080908
DATA q4kShuf<>+136(SB)/8, $0x0908090809080908
DATA q4kShuf<>+144(SB)/8, $0x0908090809080908
DATA q4kShuf<>+152(SB)/8, $0x0908090809080908
DATA q4kShuf<>+160(SB)/8, $0x0b0a0b0a0b0a0b0a
DATA q4kShuf<>+168(SB)/8, $0x0b0a0b0a0b0a0b0a
DATA q4kShuf<>+176(SB)/8, $0x0b0a0b0a0b0a0b0a
DATA q4kShuf<>+184(SB)/8, $0x0b0a0b0a0b0a0b0a
DATA q4kShuf<>+192(SB)/8, $0x0d0c0d0c0d0c0d0c
DATA q4kShuf<>+200(SB)/8, $0x0d0c0d0c0d0c0d0c
DATA q4kShuf<>+208(SB)/8, $0x0d0c0d0c0d0c0d0c
DATA q4kShuf<>+216(SB)/8, $0x0d0c0d0c0d0c0d0c
DATA q4kShuf<>+224(SB)/8, $0x0f0e0f0e0f0e0f0e
DATA q4kShuf<>+232(SB)/8, $0x0f0e0f0e0f0e0f0e
DATA q4kShuf<>+240(SB)/8, $0x0f0e0f0e0f0e0f0e
DATA q4kShuf<>+248(SB)/8, $0x0f0e0f0e0f0e0f0e
GLOBL q4kShuf<>(SB), RODATA|NOPTR, $256

// q6kShuf mask k puts word 2k in the low half and word 2k+1 in the high
// half: the scales of the two 16-weight sub-blocks of 32 quants.
DATA q6kShuf<>+0(SB)/8, $0x0100010001000100
DATA q6kShuf<>+8(SB)/8, $0x0100010001000100
DATA q6kShuf<>+16(SB)/8, $0x0302030203020302
DATA q6kShuf<>+24(SB)/8, $0x0302030203020302
DATA q6kShuf<>+32(SB)/8, $0x0504050405040504
DATA q6kShuf<>+40(SB)/8, $0x0504050405040504
DATA q6kShuf<>+48(SB)/8, $0x0706070607060706
DATA q6kShuf<>+56(SB)/8, $0x0706070607060706
DATA q6kShuf<>+64(SB)/8, $0x0908090809080908
DATA q6kShuf<>+72(SB)/8, $0x0908090809080908
DATA q6kShuf<>+80(SB)/8, $0x0b0a0b0a0b0a0b0a
DATA q6kShuf<>+88(SB)/8, $0x0b0a0b0a0b0a0b0a
DATA q6kShuf<>+96(SB)/8, $0x0d0c0d0c0d0c0d0c
DATA q6kShuf<>+104(SB)/8, $0x0d0c0d0c0d0c0d0c
DATA q6kShuf<>+112(SB)/8, $0x0f0e0f0e0f0e0f0e
DATA q6kShuf<>+120(SB)/8, $0x0f0e0f0e0f0e0f0e
GLOBL q6kShuf<>(SB), RODATA|NOPTR, $128

// Q4KPAIR adds the products of 64 weights (32 bytes of nibbles at qo(w),
// low nibbles sub-block sa, high nibbles sa+1) with the activations at
// yo(SI) to the int32 lanes of Y13. Y12 holds the scales, Y15 the nibble
// mask.
#define Q4KPAIR(w, qo, yo, sa, sb) \
	VMOVDQU    qo(w), Y2                \
	VPSRLW     $4, Y2, Y3               \
	VPAND      Y15, Y2, Y2              \
	VPAND      Y15, Y3, Y3              \
	VPMADDUBSW yo(SI), Y2, Y2           \
	VPMADDUBSW yo+32(SI), Y3, Y3        \
	VPSHUFB    q4kShuf<>+sa(SB), Y12, Y4 \
	VPMADDWD   Y4, Y2, Y2               \
	VPSHUFB    q4kShuf<>+sb(SB), Y12, Y5 \
	VPMADDWD   Y5, Y3, Y3               \
	VPADDD     Y2, Y3, Y3               \
	VPADDD     Y3, Y13, Y13

// Q4KROW adds row w's super-block to acc: acc -= (d_x·dmin)·[0 | m·Σy]
// and acc += (d_x·d)·Σ sc·Σ q·y, with d_x broadcast in Y14 and the
// activation sums [0 ×8 | Σ of each 32] at (BX).
#define Q4KROW(w, acc) \
	VMOVDQU      4(w), X0                 \
	VPSHUFD      $0x98, X0, X1            \
	VPSRLVD      q4kShift<>(SB), X1, X1   \
	VPAND        q4kLoMask<>(SB), X1, X1  \
	VPSHUFD      $0x50, X0, X2            \
	VPSRLD       $2, X2, X2               \
	VPAND        q4kHiMask<>(SB), X2, X2  \
	VPOR         X2, X1, X1               \
	VPMOVZXBW    X1, Y0                   \
	VPERMQ       $0x44, Y0, Y12           \
	VPMADDWD     (BX), Y0, Y1             \
	VCVTDQ2PS    Y1, Y1                   \
	VPBROADCASTW 2(w), X2                 \
	VCVTPH2PS    X2, Y2                   \
	VMULPS       Y14, Y2, Y2              \
	VFNMADD231PS Y2, Y1, acc              \
	VPXOR        Y13, Y13, Y13            \
	Q4KPAIR(w, 16, 0, 0, 32)              \
	Q4KPAIR(w, 48, 64, 64, 96)            \
	Q4KPAIR(w, 80, 128, 128, 160)         \
	Q4KPAIR(w, 112, 192, 192, 224)        \
	VCVTDQ2PS    Y13, Y13                 \
	VPBROADCASTW (w), X2                  \
	VCVTPH2PS    X2, Y2                   \
	VMULPS       Y14, Y2, Y2              \
	VFMADD231PS  Y2, Y13, acc

// func mv4Q4KAVX2(w0, w1, w2, w3 *byte, y *int8, dx *float32, bs *int16, nb int, pf uintptr, out *[4]float32)
TEXT ·mv4Q4KAVX2(SB), NOSPLIT, $0-80
	MOVQ w0+0(FP), R8
	MOVQ w1+8(FP), R9
	MOVQ w2+16(FP), R10
	MOVQ w3+24(FP), R11
	MOVQ y+32(FP), SI
	MOVQ dx+40(FP), DX
	MOVQ bs+48(FP), BX
	MOVQ nb+56(FP), CX
	MOVQ pf+64(FP), R13
	VMOVDQU nib0F<>(SB), Y15
	VXORPS Y8, Y8, Y8
	VXORPS Y9, Y9, Y9
	VXORPS Y10, Y10, Y10
	VXORPS Y11, Y11, Y11
	TESTQ CX, CX
	JZ    q4kdone

q4kloop:
	// the next group's 4·144 bytes of this super-block
	PREFETCHT0 (R13)
	PREFETCHT0 64(R13)
	PREFETCHT0 128(R13)
	PREFETCHT0 192(R13)
	PREFETCHT0 256(R13)
	PREFETCHT0 320(R13)
	PREFETCHT0 384(R13)
	PREFETCHT0 448(R13)
	PREFETCHT0 512(R13)
	ADDQ $576, R13
	VBROADCASTSS (DX), Y14
	Q4KROW(R8, Y8)
	Q4KROW(R9, Y9)
	Q4KROW(R10, Y10)
	Q4KROW(R11, Y11)
	ADDQ $144, R8
	ADDQ $144, R9
	ADDQ $144, R10
	ADDQ $144, R11
	ADDQ $256, SI
	ADDQ $4, DX
	ADDQ $32, BX
	DECQ CX
	JNZ  q4kloop

q4kdone:
	REDUCE4Y(Y8, Y9, Y10, Y11, Y4, Y5, X8, X5)
	MOVQ out+72(FP), DI
	VMOVUPS X8, (DI)
	VZEROUPPER
	RET

// Q6KQUART adds 32 weights to Y13: lo holds their low nibbles (already
// shifted and masked), hi the 0x30 bits; yo(SI) the activations; mask k
// of q6kShuf picks the two sub-block scales from Y12.
#define Q6KQUART(lo, hi, yo, k) \
	VPOR       hi, lo, lo               \
	VPMADDUBSW yo(SI), lo, lo           \
	VPSHUFB    q6kShuf<>+k(SB), Y12, Y6 \
	VPMADDWD   Y6, lo, lo               \
	VPADDD     lo, Y13, Y13

// Q6KHALF does 128 weights of row w: low nibbles at qo(w) and qo+32(w),
// high bit pairs at ho(w), activations at yo(SI). Y15 is the nibble mask,
// Y7 the 0x30 mask.
#define Q6KHALF(w, qo, ho, yo) \
	VMOVDQU qo(w), Y1               \
	VMOVDQU qo+32(w), Y2            \
	VMOVDQU ho(w), Y3               \
	VPAND   Y15, Y1, Y4             \
	VPSLLW  $4, Y3, Y5              \
	VPAND   Y7, Y5, Y5              \
	Q6KQUART(Y4, Y5, yo, 0)         \
	VPAND   Y15, Y2, Y4             \
	VPSLLW  $2, Y3, Y5              \
	VPAND   Y7, Y5, Y5              \
	Q6KQUART(Y4, Y5, yo+32, 32)     \
	VPSRLW  $4, Y1, Y4              \
	VPAND   Y15, Y4, Y4             \
	VPAND   Y7, Y3, Y5              \
	Q6KQUART(Y4, Y5, yo+64, 64)     \
	VPSRLW  $4, Y2, Y4              \
	VPAND   Y15, Y4, Y4             \
	VPSRLW  $2, Y3, Y5              \
	VPAND   Y7, Y5, Y5              \
	Q6KQUART(Y4, Y5, yo+96, 96)

// Q6KROW adds row w's super-block to acc: acc += (d_x·d)·(Σ sc·Σ q·y -
// 32·Σ sc·Σy), the quants taken as q+32 in [0, 63] and the activation
// sums of each 16 at (BX).
#define Q6KROW(w, acc) \
	VPMOVSXBW    192(w), Y0       \
	VPMADDWD     (BX), Y0, Y1     \
	VPSLLD       $5, Y1, Y1       \
	VPXOR        Y13, Y13, Y13    \
	VPSUBD       Y1, Y13, Y13     \
	VPERMQ       $0x44, Y0, Y12   \
	Q6KHALF(w, 0, 128, 0)         \
	VPERMQ       $0xee, Y0, Y12   \
	Q6KHALF(w, 64, 160, 128)      \
	VCVTDQ2PS    Y13, Y13         \
	VPBROADCASTW 208(w), X2       \
	VCVTPH2PS    X2, Y2           \
	VMULPS       Y14, Y2, Y2      \
	VFMADD231PS  Y2, Y13, acc

// func mv4Q6KAVX2(w0, w1, w2, w3 *byte, y *int8, dx *float32, bs *int16, nb int, pf uintptr, out *[4]float32)
TEXT ·mv4Q6KAVX2(SB), NOSPLIT, $0-80
	MOVQ w0+0(FP), R8
	MOVQ w1+8(FP), R9
	MOVQ w2+16(FP), R10
	MOVQ w3+24(FP), R11
	MOVQ y+32(FP), SI
	MOVQ dx+40(FP), DX
	MOVQ bs+48(FP), BX
	MOVQ nb+56(FP), CX
	MOVQ pf+64(FP), R13
	VMOVDQU nib0F<>(SB), Y15
	VMOVDQU bits30<>(SB), Y7
	VXORPS Y8, Y8, Y8
	VXORPS Y9, Y9, Y9
	VXORPS Y10, Y10, Y10
	VXORPS Y11, Y11, Y11
	TESTQ CX, CX
	JZ    q6kdone

q6kloop:
	// the next group's 4·210 bytes of this super-block
	PREFETCHT0 (R13)
	PREFETCHT0 64(R13)
	PREFETCHT0 128(R13)
	PREFETCHT0 192(R13)
	PREFETCHT0 256(R13)
	PREFETCHT0 320(R13)
	PREFETCHT0 384(R13)
	PREFETCHT0 448(R13)
	PREFETCHT0 512(R13)
	PREFETCHT0 576(R13)
	PREFETCHT0 640(R13)
	PREFETCHT0 704(R13)
	PREFETCHT0 768(R13)
	PREFETCHT0 832(R13)
	ADDQ $840, R13
	VBROADCASTSS (DX), Y14
	Q6KROW(R8, Y8)
	Q6KROW(R9, Y9)
	Q6KROW(R10, Y10)
	Q6KROW(R11, Y11)
	ADDQ $210, R8
	ADDQ $210, R9
	ADDQ $210, R10
	ADDQ $210, R11
	ADDQ $256, SI
	ADDQ $4, DX
	ADDQ $32, BX
	DECQ CX
	JNZ  q6kloop

q6kdone:
	REDUCE4Y(Y8, Y9, Y10, Y11, Y4, Y5, X8, X5)
	MOVQ out+72(FP), DI
	VMOVUPS X8, (DI)
	VZEROUPPER
	RET

DATA bit10<>+0(SB)/8, $0x1010101010101010
DATA bit10<>+8(SB)/8, $0x1010101010101010
DATA bit10<>+16(SB)/8, $0x1010101010101010
DATA bit10<>+24(SB)/8, $0x1010101010101010
GLOBL bit10<>(SB), RODATA|NOPTR, $32

// Q5KPAIR is Q4KPAIR for Q5_K: the fifth bits of the 64 weights are bits
// 2k (low nibbles) and 2k+1 (high nibbles) of the qh bytes in Y7, moved
// to bit 4 by the shifts opl nl and oph nh and masked with Y6 (0x10).
#define Q5KPAIR(w, qo, yo, sa, sb, opl, nl, oph, nh) \
	VMOVDQU    qo(w), Y2                \
	VPSRLW     $4, Y2, Y3               \
	VPAND      Y15, Y2, Y2              \
	VPAND      Y15, Y3, Y3              \
	opl        nl, Y7, Y4               \
	VPAND      Y6, Y4, Y4               \
	VPOR       Y4, Y2, Y2               \
	oph        nh, Y7, Y5               \
	VPAND      Y6, Y5, Y5               \
	VPOR       Y5, Y3, Y3               \
	VPMADDUBSW yo(SI), Y2, Y2           \
	VPMADDUBSW yo+32(SI), Y3, Y3        \
	VPSHUFB    q4kShuf<>+sa(SB), Y12, Y4 \
	VPMADDWD   Y4, Y2, Y2               \
	VPSHUFB    q4kShuf<>+sb(SB), Y12, Y5 \
	VPMADDWD   Y5, Y3, Y3               \
	VPADDD     Y2, Y3, Y3               \
	VPADDD     Y3, Y13, Y13

// Q5KROW is Q4KROW for a Q5_K super-block (qh at 16, nibbles at 48).
#define Q5KROW(w, acc) \
	VMOVDQU      4(w), X0                 \
	VPSHUFD      $0x98, X0, X1            \
	VPSRLVD      q4kShift<>(SB), X1, X1   \
	VPAND        q4kLoMask<>(SB), X1, X1  \
	VPSHUFD      $0x50, X0, X2            \
	VPSRLD       $2, X2, X2               \
	VPAND        q4kHiMask<>(SB), X2, X2  \
	VPOR         X2, X1, X1               \
	VPMOVZXBW    X1, Y0                   \
	VPERMQ       $0x44, Y0, Y12           \
	VPMADDWD     (BX), Y0, Y1             \
	VCVTDQ2PS    Y1, Y1                   \
	VPBROADCASTW 2(w), X2                 \
	VCVTPH2PS    X2, Y2                   \
	VMULPS       Y14, Y2, Y2              \
	VFNMADD231PS Y2, Y1, acc              \
	VPXOR        Y13, Y13, Y13            \
	VMOVDQU      16(w), Y7                \
	Q5KPAIR(w, 48, 0, 0, 32, VPSLLW, $4, VPSLLW, $3)        \
	Q5KPAIR(w, 80, 64, 64, 96, VPSLLW, $2, VPSLLW, $1)      \
	Q5KPAIR(w, 112, 128, 128, 160, VPSRLW, $0, VPSRLW, $1)  \
	Q5KPAIR(w, 144, 192, 192, 224, VPSRLW, $2, VPSRLW, $3)  \
	VCVTDQ2PS    Y13, Y13                 \
	VPBROADCASTW (w), X2                  \
	VCVTPH2PS    X2, Y2                   \
	VMULPS       Y14, Y2, Y2              \
	VFMADD231PS  Y2, Y13, acc

// func mv4Q5KAVX2(w0, w1, w2, w3 *byte, y *int8, dx *float32, bs *int16, nb int, pf uintptr, out *[4]float32)
TEXT ·mv4Q5KAVX2(SB), NOSPLIT, $0-80
	MOVQ w0+0(FP), R8
	MOVQ w1+8(FP), R9
	MOVQ w2+16(FP), R10
	MOVQ w3+24(FP), R11
	MOVQ y+32(FP), SI
	MOVQ dx+40(FP), DX
	MOVQ bs+48(FP), BX
	MOVQ nb+56(FP), CX
	MOVQ pf+64(FP), R13
	VMOVDQU nib0F<>(SB), Y15
	VMOVDQU bit10<>(SB), Y6
	VXORPS Y8, Y8, Y8
	VXORPS Y9, Y9, Y9
	VXORPS Y10, Y10, Y10
	VXORPS Y11, Y11, Y11
	TESTQ CX, CX
	JZ    q5kdone

q5kloop:
	// the next group's 4·176 bytes of this super-block
	PREFETCHT0 (R13)
	PREFETCHT0 64(R13)
	PREFETCHT0 128(R13)
	PREFETCHT0 192(R13)
	PREFETCHT0 256(R13)
	PREFETCHT0 320(R13)
	PREFETCHT0 384(R13)
	PREFETCHT0 448(R13)
	PREFETCHT0 512(R13)
	PREFETCHT0 576(R13)
	PREFETCHT0 640(R13)
	ADDQ $704, R13
	VBROADCASTSS (DX), Y14
	Q5KROW(R8, Y8)
	Q5KROW(R9, Y9)
	Q5KROW(R10, Y10)
	Q5KROW(R11, Y11)
	ADDQ $176, R8
	ADDQ $176, R9
	ADDQ $176, R10
	ADDQ $176, R11
	ADDQ $256, SI
	ADDQ $4, DX
	ADDQ $32, BX
	DECQ CX
	JNZ  q5kloop

q5kdone:
	REDUCE4Y(Y8, Y9, Y10, Y11, Y4, Y5, X8, X5)
	MOVQ out+72(FP), DI
	VMOVUPS X8, (DI)
	VZEROUPPER
	RET

DATA bits03<>+0(SB)/8, $0x0303030303030303
DATA bits03<>+8(SB)/8, $0x0303030303030303
DATA bits03<>+16(SB)/8, $0x0303030303030303
DATA bits03<>+24(SB)/8, $0x0303030303030303
GLOBL bits03<>(SB), RODATA|NOPTR, $32

DATA bits04<>+0(SB)/8, $0x0404040404040404
DATA bits04<>+8(SB)/8, $0x0404040404040404
DATA bits04<>+16(SB)/8, $0x0404040404040404
DATA bits04<>+24(SB)/8, $0x0404040404040404
GLOBL bits04<>(SB), RODATA|NOPTR, $32

DATA words0F<>+0(SB)/8, $0x000f000f000f000f
DATA words0F<>+8(SB)/8, $0x000f000f000f000f
DATA words0F<>+16(SB)/8, $0x000f000f000f000f
DATA words0F<>+24(SB)/8, $0x000f000f000f000f
GLOBL words0F<>(SB), RODATA|NOPTR, $32

DATA words32<>+0(SB)/8, $0x0020002000200020
DATA words32<>+8(SB)/8, $0x0020002000200020
DATA words32<>+16(SB)/8, $0x0020002000200020
DATA words32<>+24(SB)/8, $0x0020002000200020
GLOBL words32<>(SB), RODATA|NOPTR, $32

// Q3_K scales (see q3Scales): the low nibbles of bytes 0-7 then their high
// nibbles (qword shifts 0 and 4), and the two-bit pairs of bytes 8-11 at
// shifts 0, 2, 4, 6 (dword shifts).
DATA q3Shift<>+0(SB)/8, $0
DATA q3Shift<>+8(SB)/8, $4
GLOBL q3Shift<>(SB), RODATA|NOPTR, $16
DATA q3HiShift<>+0(SB)/8, $0x0000000200000000
DATA q3HiShift<>+8(SB)/8, $0x0000000600000004
GLOBL q3HiShift<>(SB), RODATA|NOPTR, $16

// Q2CHUNK adds 32 weights (two bits at shift sq of the qs bytes in Y1,
// two 16-weight sub-blocks whose scales mask k of q6kShuf picks from Y12)
// times the activations at yo(SI) to Y13. Y15 is the 0x03 mask.
#define Q2CHUNK(yo, sq, k) \
	VPSRLW     sq, Y1, Y2               \
	VPAND      Y15, Y2, Y2              \
	VPMADDUBSW yo(SI), Y2, Y2           \
	VPSHUFB    q6kShuf<>+k(SB), Y12, Y3 \
	VPMADDWD   Y3, Y2, Y2               \
	VPADDD     Y2, Y13, Y13

// Q3CHUNK is Q2CHUNK with the hmask bit of the chunk (in the bytes of Y7,
// moved to bit 2 by hop hn) added: quants q+4 in [0, 7].
#define Q3CHUNK(yo, sq, hop, hn, k) \
	VPSRLW     sq, Y1, Y2               \
	VPAND      Y15, Y2, Y2              \
	hop        hn, Y7, Y3               \
	VPAND      bits04<>(SB), Y3, Y3     \
	VPOR       Y3, Y2, Y2               \
	VPMADDUBSW yo(SI), Y2, Y2           \
	VPSHUFB    q6kShuf<>+k(SB), Y12, Y3 \
	VPMADDWD   Y3, Y2, Y2               \
	VPADDD     Y2, Y13, Y13

// Q2KROW adds row w's Q2_K super-block to acc: acc -= (d_x·dmin)·Σ m·Σy
// and acc += (d_x·d)·Σ sc·Σ q·y, the sums of each 16 activations at (BX).
#define Q2KROW(w, acc) \
	VPMOVZXBW    (w), Y0             \
	VPSRLW       $4, Y0, Y1          \
	VPMADDWD     (BX), Y1, Y1        \
	VCVTDQ2PS    Y1, Y1              \
	VPBROADCASTW 82(w), X2           \
	VCVTPH2PS    X2, Y2              \
	VMULPS       Y14, Y2, Y2         \
	VFNMADD231PS Y2, Y1, acc         \
	VPAND        words0F<>(SB), Y0, Y0 \
	VPXOR        Y13, Y13, Y13       \
	VPERMQ       $0x44, Y0, Y12      \
	VMOVDQU      16(w), Y1           \
	Q2CHUNK(0, $0, 0)                \
	Q2CHUNK(32, $2, 32)              \
	Q2CHUNK(64, $4, 64)              \
	Q2CHUNK(96, $6, 96)              \
	VPERMQ       $0xee, Y0, Y12      \
	VMOVDQU      48(w), Y1           \
	Q2CHUNK(128, $0, 0)              \
	Q2CHUNK(160, $2, 32)             \
	Q2CHUNK(192, $4, 64)             \
	Q2CHUNK(224, $6, 96)             \
	VCVTDQ2PS    Y13, Y13            \
	VPBROADCASTW 80(w), X2           \
	VCVTPH2PS    X2, Y2              \
	VMULPS       Y14, Y2, Y2         \
	VFMADD231PS  Y2, Y13, acc

// Q3KROW adds row w's Q3_K super-block to acc: (d_x·d)·(Σ sc·Σ (q+4)·y -
// 4·Σ sc·Σy), the sums of each 16 activations at (BX).
#define Q3KROW(w, acc) \
	VMOVQ        96(w), X1                \
	VPUNPCKLQDQ  X1, X1, X1               \
	VPSRLVQ      q3Shift<>(SB), X1, X1    \
	VPAND        lowNib3<>(SB), X1, X1    \
	VPBROADCASTD 104(w), X2               \
	VPSRLVD      q3HiShift<>(SB), X2, X2  \
	VPAND        bits03<>(SB), X2, X2     \
	VPSLLD       $4, X2, X2               \
	VPOR         X2, X1, X1               \
	VPMOVZXBW    X1, Y0                   \
	VPSUBW       words32<>(SB), Y0, Y0    \
	VPMADDWD     (BX), Y0, Y1             \
	VPSLLD       $2, Y1, Y1               \
	VPXOR        Y13, Y13, Y13            \
	VPSUBD       Y1, Y13, Y13             \
	VMOVDQU      (w), Y7                  \
	VPERMQ       $0x44, Y0, Y12           \
	VMOVDQU      32(w), Y1                \
	Q3CHUNK(0, $0, VPSLLW, $2, 0)         \
	Q3CHUNK(32, $2, VPSLLW, $1, 32)       \
	Q3CHUNK(64, $4, VPSRLW, $0, 64)       \
	Q3CHUNK(96, $6, VPSRLW, $1, 96)       \
	VPERMQ       $0xee, Y0, Y12           \
	VMOVDQU      64(w), Y1                \
	Q3CHUNK(128, $0, VPSRLW, $2, 0)       \
	Q3CHUNK(160, $2, VPSRLW, $3, 32)      \
	Q3CHUNK(192, $4, VPSRLW, $4, 64)      \
	Q3CHUNK(224, $6, VPSRLW, $5, 96)      \
	VCVTDQ2PS    Y13, Y13                 \
	VPBROADCASTW 108(w), X2               \
	VCVTPH2PS    X2, Y2                   \
	VMULPS       Y14, Y2, Y2              \
	VFMADD231PS  Y2, Y13, acc

DATA lowNib3<>+0(SB)/8, $0x0f0f0f0f0f0f0f0f
DATA lowNib3<>+8(SB)/8, $0x0f0f0f0f0f0f0f0f
GLOBL lowNib3<>(SB), RODATA|NOPTR, $16

// func mv4Q2KAVX2(w0, w1, w2, w3 *byte, y *int8, dx *float32, bs *int16, nb int, pf uintptr, out *[4]float32)
TEXT ·mv4Q2KAVX2(SB), NOSPLIT, $0-80
	MOVQ w0+0(FP), R8
	MOVQ w1+8(FP), R9
	MOVQ w2+16(FP), R10
	MOVQ w3+24(FP), R11
	MOVQ y+32(FP), SI
	MOVQ dx+40(FP), DX
	MOVQ bs+48(FP), BX
	MOVQ nb+56(FP), CX
	MOVQ pf+64(FP), R13
	VMOVDQU bits03<>(SB), Y15
	VXORPS Y8, Y8, Y8
	VXORPS Y9, Y9, Y9
	VXORPS Y10, Y10, Y10
	VXORPS Y11, Y11, Y11
	TESTQ CX, CX
	JZ    q2kdone

q2kloop:
	PREFETCHT0 (R13)
	PREFETCHT0 64(R13)
	PREFETCHT0 128(R13)
	PREFETCHT0 192(R13)
	PREFETCHT0 256(R13)
	PREFETCHT0 320(R13)
	ADDQ $336, R13
	VBROADCASTSS (DX), Y14
	Q2KROW(R8, Y8)
	Q2KROW(R9, Y9)
	Q2KROW(R10, Y10)
	Q2KROW(R11, Y11)
	ADDQ $84, R8
	ADDQ $84, R9
	ADDQ $84, R10
	ADDQ $84, R11
	ADDQ $256, SI
	ADDQ $4, DX
	ADDQ $32, BX
	DECQ CX
	JNZ  q2kloop

q2kdone:
	REDUCE4Y(Y8, Y9, Y10, Y11, Y4, Y5, X8, X5)
	MOVQ out+72(FP), DI
	VMOVUPS X8, (DI)
	VZEROUPPER
	RET

// func mv4Q3KAVX2(w0, w1, w2, w3 *byte, y *int8, dx *float32, bs *int16, nb int, pf uintptr, out *[4]float32)
TEXT ·mv4Q3KAVX2(SB), NOSPLIT, $0-80
	MOVQ w0+0(FP), R8
	MOVQ w1+8(FP), R9
	MOVQ w2+16(FP), R10
	MOVQ w3+24(FP), R11
	MOVQ y+32(FP), SI
	MOVQ dx+40(FP), DX
	MOVQ bs+48(FP), BX
	MOVQ nb+56(FP), CX
	MOVQ pf+64(FP), R13
	VMOVDQU bits03<>(SB), Y15
	VXORPS Y8, Y8, Y8
	VXORPS Y9, Y9, Y9
	VXORPS Y10, Y10, Y10
	VXORPS Y11, Y11, Y11
	TESTQ CX, CX
	JZ    q3kdone

q3kloop:
	PREFETCHT0 (R13)
	PREFETCHT0 64(R13)
	PREFETCHT0 128(R13)
	PREFETCHT0 192(R13)
	PREFETCHT0 256(R13)
	PREFETCHT0 320(R13)
	PREFETCHT0 384(R13)
	ADDQ $440, R13
	VBROADCASTSS (DX), Y14
	Q3KROW(R8, Y8)
	Q3KROW(R9, Y9)
	Q3KROW(R10, Y10)
	Q3KROW(R11, Y11)
	ADDQ $110, R8
	ADDQ $110, R9
	ADDQ $110, R10
	ADDQ $110, R11
	ADDQ $256, SI
	ADDQ $4, DX
	ADDQ $32, BX
	DECQ CX
	JNZ  q3kloop

q3kdone:
	REDUCE4Y(Y8, Y9, Y10, Y11, Y4, Y5, X8, X5)
	MOVQ out+72(FP), DI
	VMOVUPS X8, (DI)
	VZEROUPPER
	RET

// func mv4BF16AVX2(w0, w1, w2, w3 *uint16, x *float32, n int, pf uintptr, out *[4]float32)
// n is a multiple of 8: out[r] = Σ_i float32(w_r[i])·x[i], a bfloat16
// widened to float32 by a 16-bit left shift.
TEXT ·mv4BF16AVX2(SB), NOSPLIT, $0-64
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

bf16loop:
	CMPQ AX, CX
	JAE  bf16sum
	VMOVUPS (SI)(AX*4), Y4
	PREFETCHT0 (R13)
	ADDQ $64, R13
	VPMOVZXWD (R8)(AX*2), Y5
	VPMOVZXWD (R9)(AX*2), Y6
	VPMOVZXWD (R10)(AX*2), Y7
	VPMOVZXWD (R11)(AX*2), Y8
	VPSLLD $16, Y5, Y5
	VPSLLD $16, Y6, Y6
	VPSLLD $16, Y7, Y7
	VPSLLD $16, Y8, Y8
	VFMADD231PS Y5, Y4, Y0
	VFMADD231PS Y6, Y4, Y1
	VFMADD231PS Y7, Y4, Y2
	VFMADD231PS Y8, Y4, Y3
	ADDQ $8, AX
	JMP  bf16loop

bf16sum:
	REDUCE4Y(Y0, Y1, Y2, Y3, Y4, Y5, X0, X5)
	MOVQ out+56(FP), DI
	VMOVUPS X0, (DI)
	VZEROUPPER
	RET
