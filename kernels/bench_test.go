package kernels

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// Benchmarks report weight bandwidth (GB/s of weights read, the limit for
// decode) and arithmetic rate (GFLOP/s, the limit for prefill), on one
// thread (t1) and on a 2-thread Pool (t2). Names: impl/dtype/shape/threads.
//
//	go test -bench 'MatVec/avx512' -count 5 ./kernels
//
// Shapes are those of stories110M (768 dim, 2048 hidden, 32000 vocab) and
// the stories15M classifier (32000×288).

var benchShapes = [][2]int{{768, 768}, {2048, 768}, {32000, 768}, {32000, 288}}

func benchMat(dt DType, rows, cols int) Mat {
	return randMat(rand.New(rand.NewPCG(uint64(rows), uint64(cols))), dt, rows, cols, 0)
}

func reportRates(b *testing.B, weightBytes, flops float64) {
	ns := float64(b.Elapsed().Nanoseconds()) / float64(b.N)
	b.ReportMetric(weightBytes/ns, "GB/s")
	b.ReportMetric(flops/ns, "GFLOP/s")
}

func BenchmarkMatVec(b *testing.B) {
	for _, name := range Impls() {
		for _, dt := range []DType{F32, F16, Q8_0} {
			for _, sh := range benchShapes {
				m := benchMat(dt, sh[0], sh[1])
				x := randF32(rand.New(rand.NewPCG(1, 1)), sh[1])
				for _, threads := range []int{1, 2} {
					b.Run(fmt.Sprintf("%s/%s/%dx%d/t%d", name, dt, sh[0], sh[1], threads), func(b *testing.B) {
						restore, _ := UseImpl(name)
						defer restore()
						p := NewPool(threads)
						defer p.Close()
						task := &matVecTask{out: make([]float32, m.Rows), m: &m, x: x}
						for b.Loop() {
							p.Run(m.Rows, 16, task)
						}
						reportRates(b, float64(m.Bytes()), 2*float64(m.Rows*m.Cols))
					})
				}
			}
		}
	}
}

func BenchmarkMatMul(b *testing.B) {
	for _, name := range Impls()[1:] {
		for _, dt := range []DType{F32, F16, Q8_0} {
			for _, sh := range [][2]int{{768, 768}, {2048, 768}} {
				m := benchMat(dt, sh[0], sh[1])
				for _, n := range []int{8, 64, 128} {
					x := randF32(rand.New(rand.NewPCG(2, 2)), n*sh[1])
					for _, threads := range []int{1, 2} {
						b.Run(fmt.Sprintf("%s/%s/%dx%d/n%d/t%d", name, dt, sh[0], sh[1], n, threads), func(b *testing.B) {
							restore, _ := UseImpl(name)
							defer restore()
							p := NewPool(threads)
							defer p.Close()
							task := &matMulTask{out: make([]float32, n*m.Rows), m: &m, x: x, n: n}
							for b.Loop() {
								p.Run(m.Rows, 16, task)
							}
							reportRates(b, float64(m.Bytes()), 2*float64(n*m.Rows*m.Cols))
						})
					}
				}
			}
		}
	}
}

// BenchmarkDecode110M runs the matrix-vector products of one stories110M
// token (12 layers of q, k, v, o, w1, w2, w3 and the classifier), about
// 440 MB of F32 weights: more than the caches hold, so this measures the
// memory-bandwidth limit decode runs into. Allocates the whole model.
func BenchmarkDecode110M(b *testing.B) {
	if testing.Short() {
		b.Skip("allocates a 110M-parameter model")
	}
	const dim, hidden, layers, vocab = 768, 2048, 12, 32000
	for _, dt := range []DType{F32, Q8_0} {
		var mats []Mat
		var bytes int64
		for l := 0; l < layers; l++ {
			for _, sh := range [][2]int{{dim, dim}, {dim, dim}, {dim, dim}, {dim, dim}, {hidden, dim}, {dim, hidden}, {hidden, dim}} {
				m := benchMat(dt, sh[0], sh[1])
				mats = append(mats, m)
				bytes += m.Bytes()
			}
		}
		cls := benchMat(dt, vocab, dim)
		mats = append(mats, cls)
		bytes += cls.Bytes()
		xs := randF32(rand.New(rand.NewPCG(3, 3)), hidden)
		out := make([]float32, vocab)
		for _, threads := range []int{1, 2} {
			b.Run(fmt.Sprintf("%s/%s/t%d", Impl(), dt, threads), func(b *testing.B) {
				p := NewPool(threads)
				defer p.Close()
				task := &matVecTask{}
				for b.Loop() {
					for i := range mats {
						task.m, task.x, task.out = &mats[i], xs[:mats[i].Cols], out[:mats[i].Rows]
						p.Run(mats[i].Rows, 16, task)
					}
				}
				ns := float64(b.Elapsed().Nanoseconds()) / float64(b.N)
				b.ReportMetric(float64(bytes)/ns, "GB/s")
				b.ReportMetric(1e9/ns, "tok/s")
			})
		}
	}
}

// BenchmarkPoolTiny is the stories260K case: a 64×64 product is so short
// that the hand-off between threads dominates.
func BenchmarkPoolTiny(b *testing.B) {
	m := benchMat(F32, 64, 64)
	x := randF32(rand.New(rand.NewPCG(4, 4)), 64)
	for _, threads := range []int{1, 2} {
		b.Run(fmt.Sprintf("64x64/t%d", threads), func(b *testing.B) {
			p := NewPool(threads)
			defer p.Close()
			task := &matVecTask{out: make([]float32, 64), m: &m, x: x}
			for b.Loop() {
				p.Run(64, 16, task)
			}
		})
	}
}

func BenchmarkDot(b *testing.B) {
	for _, name := range Impls() {
		for _, n := range []int{64, 768} {
			a, c := randF32(rand.New(rand.NewPCG(5, 5)), n), randF32(rand.New(rand.NewPCG(6, 6)), n)
			b.Run(fmt.Sprintf("%s/%d", name, n), func(b *testing.B) {
				restore, _ := UseImpl(name)
				defer restore()
				var s float32
				for b.Loop() {
					s += Dot(a, c)
				}
				reportRates(b, 0, 2*float64(n))
				_ = s
			})
		}
	}
}
