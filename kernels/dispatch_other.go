//go:build !amd64 || purego

package kernels

import "runtime"

// Without assembly every dispatch point calls the generic Go kernel.

func bestImpl() implID { return implGeneric }

// whyMissing: without assembly only the generic kernels exist.
func whyMissing(implID) string {
	if runtime.GOARCH == "amd64" {
		return "built with -tags purego"
	}
	return "no assembly for " + runtime.GOARCH
}

func supportedImpls() []implID { return []implID{implGeneric} }

func dot(a, b []float32) float32 { return dotGeneric(a, b) }

func matVecF32(out, w, x []float32, cols, r0, r1 int) { matVecF32Generic(out, w, x, cols, r0, r1) }

func matVecF16(out []float32, w []byte, x []float32, cols, r0, r1 int) {
	matVecF16Generic(out, w, x, cols, r0, r1)
}

func matVecQ8(out []float32, w []byte, x []float32, cols, r0, r1 int) {
	matVecQ8Generic(out, w, x, cols, r0, r1)
}

func matMul(out []float32, m *Mat, x []float32, n, r0, r1 int) { matMulGeneric(out, m, x, n, r0, r1) }

func matMulAct(out []float32, m *Mat, a *Act, r0, r1 int) { matMulActGeneric(out, m, a, r0, r1) }

func axpy(y []float32, a float32, x []float32) { axpyGeneric(y, a, x) }

func attnScores(att, q, keys []float32, stride int, scale float32) {
	attnScoresGeneric(att, q, keys, stride, scale)
}

func attnMix(out, att, values []float32, stride int) { attnMixAxpy(out, att, values, stride) }

func swiglu(h, g []float32) { swigluGeneric(h, g) }

func softmax(x []float32) { softmaxGeneric(x) }
