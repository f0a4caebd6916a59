//go:build !purego

package kernels

// matMulActAVX2 runs the integer AVX2 kernels of the types that have them
// and reports whether it did.
func matMulActAVX2(out []float32, m *Mat, a *Act, r0, r1 int) bool {
	return false
}
