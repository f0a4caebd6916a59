package kernels

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// The real shapes of qwen2.5-0.5b (896 dim, 4864 hidden, 151936 vocab)
// and Llama-3.2-1B (2048 dim, 8192 hidden), as (rows, cols).
var quantBenchShapes = [][2]int{{896, 896}, {4864, 896}, {896, 4864}, {2048, 2048}, {8192, 2048}, {151936, 896}}

// actTask is one product split over a Pool, the activations prepared
// once (as the model does) and shared by the workers.
type actTask struct {
	out []float32
	m   *Mat
	a   *Act
}

func (t *actTask) Run(lo, hi int) { MatMulAct(t.out, t.m, t.a, lo, hi) }

// benchTypes is the type list of the per-type benchmarks; -bench filters.
var benchTypes = []DType{F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q2_K, Q3_K, Q4_K, Q5_K, Q6_K}

// BenchmarkQuantMatVec: one vector (decode), per type and shape, the
// conversion of x included. Names: impl/type/rowsxcols/threads.
//
//	go test -bench 'QuantMatVec/avx2/Q4_K' -run '^$' ./kernels
func BenchmarkQuantMatVec(b *testing.B) { benchQuant(b, 1) }

// BenchmarkQuantMatMul: 64 vectors (a prompt, or a large batch).
func BenchmarkQuantMatMul(b *testing.B) { benchQuant(b, 64) }

func benchQuant(b *testing.B, n int) {
	for _, name := range Impls() {
		for _, dt := range benchTypes {
			for _, sh := range quantBenchShapes {
				if sh[0] == 151936 && n > 1 || sh[1]%dt.BlockSize() != 0 {
					continue // the classifier runs on the last token only; 896 is 3.5 super-blocks
				}
				var m Mat
				for _, threads := range []int{1, 2} {
					b.Run(fmt.Sprintf("%s/%s/%dx%d/t%d", name, dt, sh[0], sh[1], threads), func(b *testing.B) {
						if m.Rows == 0 {
							m = benchMat(dt, sh[0], sh[1])
						}
						restore, _ := UseImpl(name)
						defer restore()
						x := randF32(rand.New(rand.NewPCG(1, 1)), n*sh[1])
						p := NewPool(threads)
						defer p.Close()
						var a Act
						task := &actTask{out: make([]float32, n*m.Rows), m: &m, a: &a}
						for b.Loop() {
							a.Prepare(dt, x, n, m.Cols)
							p.Run(m.Rows, 16, task)
						}
						reportRates(b, float64(m.Bytes()), 2*float64(n)*float64(m.Rows*m.Cols))
					})
				}
			}
		}
	}
}
