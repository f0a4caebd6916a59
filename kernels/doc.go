// Package kernels holds the numeric inner loops of inference: dot products,
// matrix-vector and matrix-matrix products over F32, F16 and Q8_0 weights,
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
// tiles of 4 rows by 4 vectors (AVX-512) or 2 (AVX2), reusing each loaded
// weight for several inputs, with the same per-row arithmetic: for the
// fast versions, MatMul of n vectors equals n MatVec calls bit for bit, so
// batched and single decoding agree.
//
// Q8_0 and F16 weights are converted to float32 in registers (an int8
// times its F16 block scale is exact in float32) and multiplied with the
// float32 input; the batched tiles do the same for up to 16 vectors, and
// longer batches (prompts) convert each group of rows once into a scratch
// block shared by all their tiles. The results therefore match float32 arithmetic on the
// dequantised weights to within summation rounding. The other common
// design, quantising x to int8 blocks once per call and using integer dot
// products (VPDPBUSD), does less work per weight but adds an error of up
// to half an int8 step of each 32-element block of x (about 0.4% of its
// largest value) to every product; we keep float inputs.
//
// Results differ from the generic versions only by summation order and
// fused multiply-adds: at most about 2n·2⁻²⁴·Σ|w_i x_i| for a length-n
// sum, the bound the tests use.
//
// The [Pool] hands out guided chunks (each 1/(2·threads) of the work left)
// from a shared counter: long sequential reads first, fine-grained ones at
// the end, and no product waits for a core that another job slowed down.
//
// Shape mismatches are programmer errors and panic, as in gonum.
package kernels
