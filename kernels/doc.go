// Package kernels holds the numeric inner loops of inference: dot products,
// matrix-vector and matrix-matrix products over F32, F16, BF16 and ggml's
// block-quantised weights (Q4_0, Q4_1, Q5_0, Q5_1, Q8_0 and the K-quants
// Q2_K .. Q6_K, byte for byte as GGUF files store them, see DType),
// RMSNorm, softmax, RoPE and SwiGLU, and the persistent worker pool that
// splits matrix rows across cores.
//
// Every kernel has a generic Go version that always compiles. On amd64 the
// products also have assembly versions, AVX2+FMA+F16C and AVX-512
// (F/BW/VL), chosen at init from the CPU features; build with -tags purego
// to leave them out. With AVX-512, attention ([AttnScores], [AttnMix]),
// [Softmax] and [SwiGLU] are vectorised too; the last two use a 16-lane
// version of the scalar e^x, within a few ulp of it rather than
// bit-identical. [Impl] names the one in use and [UseImpl] forces
// another, which is how the tests run every version against the generic one.
//
// Weights are row-major: a (rows, cols) matrix stores row r at
// [r*cols, (r+1)*cols) of its elements. A matrix-vector product computes
// out[r] = dot(W[r,:], x) for a range of rows, so a pool can give each
// worker its own rows and the result does not depend on the thread count
// (each row is always summed by the same code in the same order).
//
// The assembly goes four rows at a time, one accumulator per row stepping
// through the columns, and folds the accumulators with one fixed tree. A
// short last group repeats its final row rather than switching code, so a
// row's sum never depends on where a range starts. [MatMul] uses register
// tiles of 4 rows by 4 vectors (AVX-512) or 2 (AVX2) for the float
// kernels and 1 row by 4 vectors for the integer ones, reusing each
// loaded weight for several inputs, with the same per-row arithmetic: for
// the fast versions, MatMul of n vectors equals n MatVec calls bit for
// bit, so batched and single decoding agree.
//
// Products are computed as llama.cpp's CPU backend computes them, the
// reference that users hold their GGUF files to: the activations are
// first converted to the weight type's partner format ([Act]: F16 or
// BF16 rounding, or int8 blocks Q8_0, Q8_1, Q8_K with ggml's scales and
// rounding), each weight block is multiplied with its activation block
// in exact integer arithmetic, and only the float32 accumulation of the
// block results may differ from ggml's order. For Q4_1 and Q5_1 not even
// that: every implementation follows the lanes, fused multiply-adds and
// final fold of ggml's AVX2 vec_dot and returns its float32 bits, which is
// what llama.cpp computes for them on x86 (an ulp of difference in one
// product can flip a later F16 or Q8 rounding at a tie and grow into
// visibly different logits). A model prepares an Act once
// per matrix and token and hands row ranges to [MatMulAct]; [MatVec] and
// [MatMul] take float32 vectors and prepare one themselves.
//
// F16 and BF16 weights multiply the rounded inputs in float32, which is
// exact per product as in ggml. Every block type has an integer AVX2
// kernel (byte products summed exactly with VPMADDUBSW and VPMADDWD, as
// ggml's AVX2 code does; per block or super-block the int32 lanes are
// converted to float32 and added, times the scales, to one accumulator
// per row): four rows per call for one vector, and for batches of the
// common types (Q4_0, Q5_0, Q8_0, Q4_K, Q6_K) a 1-row by 4-vector tile
// that unpacks each weight block once for four vectors, with the same
// per-pair instructions. There are no AVX-512 versions of the new
// kernels: the AVX-512 implementation runs the AVX2 ones for every type
// except F32, F16 and Q8_0, whose AVX-512 float32 kernels it keeps; for
// Q8_0 they are fed the activation blocks dequantised to float32, so each
// product equals ggml's integer one up to one float32 rounding. Their
// batched tiles convert Q8_0 and F16 rows to float32 in registers for up
// to 16 vectors, and longer batches convert each group of rows once into
// a scratch block shared by all their tiles.
//
// llama.cpp's own AVX2 build repacks Q4_0 and Q4_K matrices (rows in
// interleaved groups of eight) and quantises the activations for them
// with an AVX2 Q8_K routine; that routine may pick the opposite sign of
// the block scale when +m and -m both have the largest magnitude, which
// negates every quant and the scale together and so yields the same
// products as the reference quantiser that Act follows.
//
// Results differ from the generic versions only by summation order and
// fused multiply-adds: at most about 2n·2⁻²⁴·Σ|w_i x_i| for a length-n
// sum, the bound the tests use (for the types with mins, Σ|w_i x_i| is
// taken over the scaled quants and the mins separately). Q4_1 and Q5_1
// products are the generic ones bit for bit.
//
// [QuantizeRow] encodes float32 rows as any type with ggml's reference
// quantisers, which llama-quantize uses without an importance matrix:
// the same weights give the same bytes.
//
// The [Pool] hands out guided chunks (each 1/(2·threads) of the work left)
// from a shared counter: long sequential reads first, fine-grained ones at
// the end, and no product waits for a core that another job slowed down.
//
// Shape mismatches are programmer errors and panic, as in gonum.
package kernels
