package kernels

import (
	"runtime"
	"sync"
)

// Task is work that a Pool splits by index range: Run(lo, hi) handles the
// items [lo, hi). Pass a pointer to a reusable struct so that running a
// task allocates nothing.
type Task interface {
	Run(lo, hi int)
}

// Pool is a fixed set of worker goroutines, started once and reused for
// every call: starting a goroutine per matrix-vector product would cost more
// than the product itself on small models.
//
//	caller ──Run(n, task)──┬─ worker 0: task.Run(0, n/k)      (the caller itself)
//	                       ├─ worker 1: task.Run(n/k, 2n/k)   (over a channel)
//	                       └─ ...           ──► WaitGroup ──► Run returns
//
// The split of [0, n) depends only on n and the thread count, and each item
// is handled whole by one worker, so results that are computed per item
// (like matrix rows) are identical for every thread count.
type Pool struct {
	threads int
	work    []chan poolJob
	wg      sync.WaitGroup
	mu      sync.Mutex // one Run at a time
	closed  bool
}

type poolJob struct {
	task   Task
	lo, hi int
}

// NewPool starts a pool of threads workers (the caller's goroutine counts as
// one). threads <= 0 means runtime.NumCPU().
func NewPool(threads int) *Pool {
	if threads <= 0 {
		threads = runtime.NumCPU()
	}
	p := &Pool{threads: threads, work: make([]chan poolJob, threads-1)}
	for i := range p.work {
		ch := make(chan poolJob, 1)
		p.work[i] = ch
		go func() {
			for j := range ch {
				j.task.Run(j.lo, j.hi)
				p.wg.Done()
			}
		}()
	}
	return p
}

// Threads is the number of workers, the caller included.
func (p *Pool) Threads() int { return p.threads }

// Run calls task.Run over [0, n) split into contiguous ranges, one per
// worker, and returns when all are done. Ranges are aligned to multiples of
// align items (use 1 for none) so that SIMD kernels get whole blocks.
func (p *Pool) Run(n, align int, task Task) {
	if n <= 0 {
		return
	}
	if align < 1 {
		align = 1
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	k := p.threads
	units := (n + align - 1) / align
	if units < k {
		k = units
	}
	if k <= 1 {
		task.Run(0, n)
		return
	}
	bound := func(i int) int {
		b := (units * i / k) * align
		if b > n {
			b = n
		}
		return b
	}
	p.wg.Add(k - 1)
	for i := 1; i < k; i++ {
		p.work[i-1] <- poolJob{task, bound(i), bound(i + 1)}
	}
	task.Run(0, bound(1))
	p.wg.Wait()
}

// Close stops the workers. The pool must not be used afterwards.
func (p *Pool) Close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return
	}
	p.closed = true
	for _, ch := range p.work {
		close(ch)
	}
}
