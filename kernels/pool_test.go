package kernels

import (
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// coverTask counts how often each item is handled and checks alignment.
type coverTask struct {
	hits  []atomic.Int32
	align int
	bad   atomic.Int32 // ranges that start off an align boundary
}

func (c *coverTask) Run(lo, hi int) {
	if lo%c.align != 0 || lo > hi {
		c.bad.Add(1)
	}
	for i := lo; i < hi; i++ {
		c.hits[i].Add(1)
	}
}

func TestPoolCoversEveryItemOnce(t *testing.T) {
	for _, threads := range []int{1, 2, 3, 5} {
		p := NewPool(threads)
		for _, n := range []int{0, 1, 2, 3, 7, 64, 100, 1001} {
			for _, align := range []int{0, 1, 4, 16} {
				c := &coverTask{hits: make([]atomic.Int32, n), align: max(align, 1)}
				// several runs in a row exercise the spin hand-off as well
				for range 3 {
					p.Run(n, align, c)
				}
				for i := range c.hits {
					require.Equal(t, int32(3), c.hits[i].Load(), "threads=%d n=%d align=%d item %d", threads, n, align, i)
				}
				assert.Zero(t, c.bad.Load(), "threads=%d n=%d align=%d: misaligned range", threads, n, align)
			}
		}
		p.Close()
		p.Close() // idempotent
		assert.Panics(t, func() { p.Run(10, 1, &coverTask{hits: make([]atomic.Int32, 10), align: 1}) })
	}
}

type nopTask struct{ sum atomic.Int64 }

func (t *nopTask) Run(lo, hi int) { t.sum.Add(int64(hi - lo)) }

func TestPoolRunAllocatesNothing(t *testing.T) {
	p := NewPool(3)
	defer p.Close()
	task := &nopTask{}
	allocs := testing.AllocsPerRun(200, func() { p.Run(64, 1, task) })
	assert.Zero(t, allocs)
	assert.Equal(t, int64(64*201), task.sum.Load())
}

// TestPoolParkAndWake lets the workers park (no work for longer than the
// spin phase) and checks that the next Run still reaches all of them.
func TestPoolParkAndWake(t *testing.T) {
	p := NewPool(4)
	defer p.Close()
	task := &nopTask{}
	for i := range 5 {
		p.Run(40, 1, task)
		require.Equal(t, int64(40*(i+1)), task.sum.Load())
		// idle long enough for every worker to give up spinning
		require.Eventually(t, func() bool {
			for j := range p.workers {
				if p.workers[j].sleeping.Load() != 1 {
					return false
				}
			}
			return true
		}, 5*time.Second, 100*time.Microsecond, "workers never parked")
	}
}

func TestPoolConcurrentCallers(t *testing.T) {
	p := NewPool(2)
	defer p.Close()
	task := &nopTask{}
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 100 {
				p.Run(10, 1, task)
			}
		}()
	}
	wg.Wait()
	assert.Equal(t, int64(4*100*10), task.sum.Load())
}

type matVecTask struct {
	out []float32
	m   *Mat
	x   []float32
}

func (t *matVecTask) Run(lo, hi int) { MatVec(t.out, t.m, t.x, lo, hi) }

type matMulTask struct {
	out []float32
	m   *Mat
	x   []float32
	n   int
}

func (t *matMulTask) Run(lo, hi int) { MatMul(t.out, t.m, t.x, t.n, lo, hi) }

// TestThreadCountInvariance: MatVec and MatMul split over pools of 1 to 5
// threads, with and without alignment, give bit-identical outputs.
func TestThreadCountInvariance(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	for _, dt := range allTypes {
		t.Run(dt.String(), func(t *testing.T) {
			forEachImpl(t, func(t *testing.T) {
				const rows, n = 37, 5
				cols := 2 * max(64, dt.BlockSize())
				m := randMat(r, dt, rows, cols, 1)
				x := randF32(r, n*cols)
				var mv0, mm0 []float32
				for threads := 1; threads <= 5; threads++ {
					p := NewPool(threads)
					for _, align := range []int{1, 4} {
						mv := &matVecTask{out: make([]float32, rows), m: &m, x: x[:cols]}
						p.Run(rows, align, mv)
						mm := &matMulTask{out: make([]float32, n*rows), m: &m, x: x, n: n}
						p.Run(rows, align, mm)
						var a Act
						a.Prepare(dt, x, n, cols)
						at := &actTask{out: make([]float32, n*rows), m: &m, a: &a}
						p.Run(rows, align, at)
						assert.Equal(t, mm.out, at.out, "MatMulAct threads=%d align=%d", threads, align)
						if mv0 == nil {
							mv0, mm0 = mv.out, mm.out
							continue
						}
						assert.Equal(t, mv0, mv.out, "MatVec threads=%d align=%d", threads, align)
						assert.Equal(t, mm0, mm.out, "MatMul threads=%d align=%d", threads, align)
					}
					p.Close()
				}
			})
		})
	}
}

// poolWrite fills its range with v + index.
type poolWrite struct {
	out []float32
	v   float32
}

func (t *poolWrite) Run(lo, hi int) {
	for i := lo; i < hi; i++ {
		t.out[i] = t.v + float32(i)
	}
}

// TestPoolRunIsComplete alternates tasks of every size (some run inline,
// some split) and checks after each Run that every item was written: Run
// must not return before all workers are done, even when a worker of the
// previous Run is late to clear the caller's waiting flag. Run it with
// -race as well: a premature return shows as a data race.
func TestPoolRunIsComplete(t *testing.T) {
	p := NewPool(2)
	defer p.Close()
	out := make([]float32, 200)
	var a, b poolWrite
	iters := 100000
	if testing.Short() {
		iters = 10000
	}
	for it := 0; it < iters; it++ {
		n := 1 + it%9*20
		tk := &a
		if it%2 == 1 {
			tk = &b
		}
		tk.out = out[:n]
		tk.v = float32(it)
		p.Run(n, 1+it%3, tk)
		for i := 0; i < n; i++ {
			if out[i] != float32(it)+float32(i) {
				t.Fatalf("iteration %d (n %d): item %d not written before Run returned", it, n, i)
			}
		}
	}
}

// stallTask blocks in the chunk holding item 0 until three quarters of all
// items have been handled: with one fixed half per thread the other thread
// could only ever do half, so only a pool whose threads take chunks as they
// free up finishes it.
type stallTask struct {
	n    int
	done atomic.Int32
	ok   atomic.Bool
}

func (s *stallTask) Run(lo, hi int) {
	if lo == 0 {
		deadline := time.Now().Add(10 * time.Second)
		for int(s.done.Load()) < 3*s.n/4 && time.Now().Before(deadline) {
			time.Sleep(time.Millisecond)
		}
		s.ok.Store(int(s.done.Load()) >= 3*s.n/4)
	}
	s.done.Add(int32(hi - lo))
}

func TestPoolStalledThreadHandsOverWork(t *testing.T) {
	p := NewPool(2)
	defer p.Close()
	task := &stallTask{n: 1024}
	p.Run(task.n, 16, task)
	assert.True(t, task.ok.Load(), "the other thread did not take over the rest of the items")
	assert.Equal(t, int32(task.n), task.done.Load())
}
