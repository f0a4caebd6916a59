package kernels

import (
	"runtime"
	"sync"
	"sync/atomic"
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
//	caller ──Run(n, task)──┬─ itself:  take chunks until none are left
//	                       ├─ worker 1: take chunks ...   (seq bump, wake if parked)
//	                       └─ ...        ──► pending hits 0 ──► Run returns
//
// A small model issues dozens of products per token, each a few
// microseconds long, so hand-off latency matters as much as throughput:
// a worker that finishes spins on its own sequence number for a while
// (a posted job is seen within nanoseconds) and only then parks on a
// channel; the caller waits for the last worker the same way. A Run posts
// jobs into per-worker slots and allocates nothing.
//
// The chunks of [0, n) depend only on n, align and the thread count, and
// each item is handled whole by one worker, so results that are computed
// per item (like matrix rows) are identical for every thread count and
// whichever worker takes a chunk.
type Pool struct {
	threads int
	workers []poolWorker // threads-1 of them; the caller is the other one
	mu      sync.Mutex   // one Run at a time
	closed  bool

	pending atomic.Int32  // jobs of the current Run not finished yet
	waiting atomic.Int32  // 1 while the caller is parked on done
	done    chan struct{} // wakes a parked caller (buffered 1)

	// The current Run's chunks, written before any worker is posted.
	// Chunk c is the items [bounds[c], bounds[c+1]).
	task   Task
	chunks int32
	bounds [maxChunks + 1]int
	_      [64]byte
	next   atomic.Int32 // the next chunk to hand out
	_      [64]byte
}

// poolWorker is one worker's mailbox. The Pool's task and chunk fields are
// written by the caller before it bumps seq and read by the worker after
// it sees the bump; the atomics order the two. A bump with no task (from
// Close) asks the worker to exit.
type poolWorker struct {
	seq      atomic.Uint32
	sleeping atomic.Int32  // 1 while parked on wake
	wake     chan struct{} // buffered 1
	_        [64]byte      // keep each worker's hot words on its own cache line
}

// spinLimit is how many polls a waiter makes before parking: with a
// runtime.Gosched every spinYield polls this is some tens of microseconds,
// longer than the gap between the products of one token but short enough
// that an idle pool stops burning CPU almost at once.
const (
	spinLimit = 1 << 14
	spinYield = 1 << 8
)

// NewPool starts a pool of threads workers (the caller's goroutine counts as
// one). threads <= 0 means runtime.NumCPU().
func NewPool(threads int) *Pool {
	if threads <= 0 {
		threads = runtime.NumCPU()
	}
	p := &Pool{threads: threads, workers: make([]poolWorker, threads-1), done: make(chan struct{}, 1)}
	for i := range p.workers {
		w := &p.workers[i]
		w.wake = make(chan struct{}, 1)
		go p.work(w)
	}
	return p
}

// Threads is the number of workers, the caller included.
func (p *Pool) Threads() int { return p.threads }

func (p *Pool) work(w *poolWorker) {
	var seen uint32
	for {
		s := w.seq.Load()
		for spins := 0; s == seen; spins++ {
			if spins < spinLimit {
				if spins%spinYield == spinYield-1 {
					runtime.Gosched()
				}
				s = w.seq.Load()
				continue
			}
			// Park. Announce it first, then look again: a caller that
			// bumped seq in between either saw sleeping == 1 and will send
			// a wake (which must be consumed), or did not and sends none.
			w.sleeping.Store(1)
			if s = w.seq.Load(); s != seen {
				if !w.sleeping.CompareAndSwap(1, 0) {
					<-w.wake
				}
				break
			}
			<-w.wake
			s = w.seq.Load()
		}
		seen = s
		if p.task == nil {
			return
		}
		p.runChunks()
		if p.pending.Add(-1) == 0 && p.waiting.Swap(0) == 1 {
			p.done <- struct{}{}
		}
	}
}

// runChunks takes chunks of the current Run until none are left.
func (p *Pool) runChunks() {
	for {
		c := p.next.Add(1) - 1
		if c >= p.chunks {
			return
		}
		p.task.Run(p.bounds[c], p.bounds[c+1])
	}
}

// post hands a job to worker w and wakes it if it is parked.
func (w *poolWorker) post() {
	w.seq.Add(1)
	if w.sleeping.Swap(0) == 1 {
		w.wake <- struct{}{}
	}
}

// Run calls task.Run over [0, n) split into contiguous chunks and returns
// when all are done. Chunks are aligned to multiples of align items (use 1
// for none) so that SIMD kernels get whole blocks; align is also the
// smallest chunk, so a larger align keeps tiny tasks (which would spend
// longer handing off than computing, e.g. a 64×64 product) on the caller
// alone: Run(64, 64, t) runs inline.
//
// Workers and the caller take chunks from a shared counter rather than one
// fixed share each: on a machine shared with other jobs, or when one core
// is slower for a while, a fixed half-and-half split makes every product
// wait for the slower core, dozens of times per token. The chunks shrink
// as the work does (guided scheduling): each is 1/(2·threads) of what is
// left, so the first ones are long sequential reads of a weight matrix,
// which the hardware prefetchers stream best, and the last ones are single
// align granules that even out the finish. Which worker handles a chunk
// does not change its results: every item is computed by the same
// instructions whoever runs it.
func (p *Pool) Run(n, align int, task Task) {
	if n <= 0 {
		return
	}
	if align < 1 {
		align = 1
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		panic("kernels: Run on a closed Pool")
	}
	k := p.threads
	units := (n + align - 1) / align
	if units < k {
		k = units
	}
	if k <= 1 {
		task.Run(0, n)
		return
	}
	p.task = task
	c, done := 0, 0
	for done < units {
		size := (units - done + 2*k - 1) / (2 * k)
		if c == maxChunks-1 {
			size = units - done
		}
		p.bounds[c] = done * align
		done += size
		c++
	}
	p.bounds[c] = n
	p.chunks = int32(c)
	p.next.Store(0)
	p.pending.Store(int32(k - 1))
	for i := 1; i < k; i++ {
		p.workers[i-1].post()
	}
	p.runChunks()
	p.wait()
	p.task = nil
}

// maxChunks bounds the chunks of one Run. Guided chunks shrink by a factor
// 1-1/(2·threads) each, so even 8 threads reach single granules within
// this many chunks for any realistic n; past it the last chunk takes the
// rest.
//
// Measured on the stories110M shape, 2 threads, runs alternating in one
// process: decode 94 tok/s with one fixed share per thread, 110 with 16
// equal chunks per thread, 108-119 (median 111) guided against 99-112
// (median 108) for 16 equal chunks; the matrix products of an 8-sequence
// step 14.5 ms guided against 15.7 equal; stories15M decode 666-822 against
// 591-710.
const maxChunks = 256

// wait returns once every posted job has finished: spin, then park on done
// with the same announce-and-recheck handshake the workers use.
//
// A wake-up does not prove this Run is done: a worker of the previous Run
// that brought pending to 0 may reach its waiting.Swap only after this Run
// has set waiting again, and send a token meant for no one. So every
// wake-up looks at pending again. Each waiting.Store(1) is matched by
// exactly one 1→0 transition (the caller's CAS, or one worker's Swap that
// sends a token), and every token sent is received, so none is left over.
func (p *Pool) wait() {
	for spins := 0; p.pending.Load() != 0; spins++ {
		if spins < spinLimit {
			if spins%spinYield == spinYield-1 {
				runtime.Gosched()
			}
			continue
		}
		p.waiting.Store(1)
		if p.pending.Load() == 0 {
			if !p.waiting.CompareAndSwap(1, 0) {
				<-p.done // a worker took the flag and is sending
			}
			return
		}
		<-p.done
		spins = 0
	}
}

// Close stops the workers. The pool must not be used afterwards.
func (p *Pool) Close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return
	}
	p.closed = true
	for i := range p.workers {
		p.workers[i].post()
	}
}
