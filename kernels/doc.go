// Package kernels holds the numeric inner loops of inference: dot products,
// matrix-vector and matrix-matrix products over F32, F16 and Q8_0 weights,
// RMSNorm, softmax, RoPE and SwiGLU, and the persistent worker pool that
// splits matrix rows across cores.
//
// Every kernel has a generic Go version that always compiles. Faster
// versions sit behind build tags (opt out with -tags purego) and are chosen
// at run time by CPU feature; tests check them against the generic ones.
//
// Weights are row-major: a (rows, cols) matrix stores row r at
// [r*cols, (r+1)*cols) of its elements. A matrix-vector product computes
// out[r] = dot(W[r,:], x) for a range of rows, so a pool can give each
// worker its own rows and the result does not depend on the thread count
// (each row is always summed by the same code in the same order).
//
// Shape mismatches are programmer errors and panic, as in gonum.
package kernels
