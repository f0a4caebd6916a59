//go:build !purego

package kernels

// Assembly kernels. Each doc comment is the Go loop the kernel computes;
// the dispatch code in dispatch_amd64.go is their only caller and checks
// every length first. Pointers are to the first element of a row or
// vector; n counts float32 (or half) elements, nb counts Q8_0 blocks.
//
// The 4-row F16 and Q8_0 matrix-vector kernels also take pf, the address of the next
// group of four rows: they prefetch it while they work through this one,
// a whole group (3 to 24 KiB) ahead of use. The hardware prefetchers alone
// ramp up too slowly on short rows (a 768-wide Q8_0 row is 13 cache lines)
// and left single-thread Q8_0 streaming at a third of the F32 rate.
// Prefetches never fault, so pf may point past the matrix. F32 rows are
// long enough for the hardware alone; prefetching them measured slower.

// dotAVX512 returns Σ a[i]*b[i] for i < n, any n >= 0.
//
//go:noescape
func dotAVX512(a, b *float32, n int) (s float32)

// mv4F32AVX512 sets out[r] = Σ_i w_r[i]*x[i] for the four rows w0..w3.
//
//go:noescape
func mv4F32AVX512(w0, w1, w2, w3, x *float32, n int, out *[4]float32)

// mv4F16AVX512 is mv4F32AVX512 with rows of IEEE halves.
//
//go:noescape
func mv4F16AVX512(w0, w1, w2, w3 *uint16, x *float32, n int, pf uintptr, out *[4]float32)

// mv4Q8AVX512 sets out[r] = Σ_b Σ_j (float32(q_r[b][j])*d_r[b]) * x[32b+j]
// over nb Q8_0 blocks of each row.
//
//go:noescape
func mv4Q8AVX512(w0, w1, w2, w3 *byte, x *float32, nb int, pf uintptr, out *[4]float32)

// mm4x4F32AVX512 sets out[4*v+r] = Σ_i w_r[i]*x_v[i] for 4 rows and 4
// vectors, with the same per-pair arithmetic as mv4F32AVX512. Unless pf is
// 0 it also prefetches the 8n bytes from pf (two F32 rows of the next
// group), two cache lines per 16-column step.
//
//go:noescape
func mm4x4F32AVX512(w0, w1, w2, w3, x0, x1, x2, x3 *float32, n int, pf uintptr, out *[16]float32)

// dotAVX2 returns Σ a[i]*b[i] for i < n, n a multiple of 8.
//
//go:noescape
func dotAVX2(a, b *float32, n int) (s float32)

// mv4F32AVX2 sets out[r] = Σ_i w_r[i]*x[i] for i < n, n a multiple of 8.
//
//go:noescape
func mv4F32AVX2(w0, w1, w2, w3, x *float32, n int, out *[4]float32)

// mv4F16AVX2 is mv4F32AVX2 with rows of IEEE halves.
//
//go:noescape
func mv4F16AVX2(w0, w1, w2, w3 *uint16, x *float32, n int, pf uintptr, out *[4]float32)

// mv4Q8AVX2 is mv4Q8AVX512 with 8-wide vectors.
//
//go:noescape
func mv4Q8AVX2(w0, w1, w2, w3 *byte, x *float32, nb int, pf uintptr, out *[4]float32)

// mm4x2F32AVX2 sets out[4*v+r] = Σ_i w_r[i]*x_v[i] for 4 rows and 2
// vectors, n a multiple of 8, with the per-pair arithmetic of mv4F32AVX2.
//
//go:noescape
func mm4x2F32AVX2(w0, w1, w2, w3, x0, x1 *float32, n int, out *[8]float32)

// f16RowAVX2 sets dst[i] = F16ToF32(src[i]) for i < n, n a multiple of 8.
//
//go:noescape
func f16RowAVX2(dst *float32, src *uint16, n int)

// q8RowAVX2 dequantises nb Q8_0 blocks: dst[32b+j] = float32(q[b][j])*d[b].
//
//go:noescape
func q8RowAVX2(dst *float32, src *byte, nb int)

// mvRowsF32AVX512 computes groups groups of four rows: rows at w + i*stride
// bytes, out[i] = dot(row i, x[:n]) for i < 4*groups, with the instructions
// of mv4F32AVX512.
//
//go:noescape
func mvRowsF32AVX512(w *float32, stride int, x *float32, n int, out *float32, groups int)

// axpyAVX512 sets y[i] += a*x[i] for i < n.
//
//go:noescape
func axpyAVX512(y, x *float32, a float32, n int)

// mixF32AVX512 sets out[j] = Σ_p a[p]*v_p[j] for j < n and p < rows, where
// row v_p starts at v + p*stride bytes, summing in row order from zero.
//
//go:noescape
func mixF32AVX512(out, v *float32, stride int, a *float32, rows, n int)

// swigluAVX512 sets h[i] = h[i]·sigmoid(h[i])·g[i] for i < n, with the
// e^x of expf vectorised (within a few ulp of it, not bit-identical).
//
//go:noescape
func swigluAVX512(h, up *float32, n int)

// softmaxAVX512 replaces x[:n] (n >= 1) with its softmax, with the e^x of
// swigluAVX512 and the sum taken in sixteen lanes.
//
//go:noescape
func softmaxAVX512(x *float32, n int)

// mm4x4Q8AVX512 is mm4x4F32AVX512 on Q8_0 rows of nb blocks, dequantised
// in registers with the arithmetic of mv4Q8AVX512; pf (the next group of
// rows) is prefetched 136 bytes per block.
//
//go:noescape
func mm4x4Q8AVX512(w0, w1, w2, w3 *byte, x0, x1, x2, x3 *float32, nb int, pf uintptr, out *[16]float32)

// mm4x4F16AVX512 is mm4x4F32AVX512 on rows of IEEE halves, converted in
// registers; pf (the next group of rows) is prefetched 128 bytes per step.
//
//go:noescape
func mm4x4F16AVX512(w0, w1, w2, w3 *uint16, x0, x1, x2, x3 *float32, n int, pf uintptr, out *[16]float32)
