package sample

import (
	"cmp"
	"math"
	"slices"
)

// Candidates is the working set of one decoding step: the tokens still in
// play with their processed logits, like llama.cpp's llama_token_data_array.
// Processors change logits in place and remove entries; they never add any.
//
// The three slices are always the same length n. Probs holds the softmax of
// Logits as of the last [Candidates.Softmax] call; removing entries does not
// renormalise it, and changing logits makes it stale. Sorted says that the
// entries are in descending logit order, ties by ascending id, so that a
// second truncation (top_k then top_p) need not sort again. A processor that
// changes logits must clear Sorted unless it keeps the order (temperature
// does); entries are removed or reordered only through the methods below, so
// that the bookkeeping stays right.
//
// A Candidates is per sequence and not safe for concurrent use; reuse it
// across steps: after the first Reset at a given vocabulary size, a step
// allocates nothing.
type Candidates struct {
	IDs    []int32   // (n) token ids still in play
	Logits []float32 // (n) their processed logits
	Probs  []float32 // (n) softmax of Logits at the last Softmax call
	Sorted bool      // descending by logit, ties by ascending id

	lse float64 // log Σ exp(logit) at the last successful Softmax

	vocab int  // size of the logits slice given to Reset
	full  bool // IDs[i] == i for all i: nothing removed or reordered since Reset

	// Scratch, sized by the vocabulary and reused by processors and selectors.
	ent     []entry // (vocab) for sorting and compaction
	heap    []entry // top-m selection
	counts  []int32 // (vocab) per-token tallies, all zero between uses
	touched []int32 // ids whose counts are non-zero
	ints    []int32 // general int32 scratch (DRY's Z array)
	keys    []wkey  // top_p's and typical_p's weighted selection
}

// entry is one candidate, used while sorting so that the three slices move
// together.
type entry struct {
	id    int32
	logit float32
	p     float32
}

// rank orders entries best first: higher logit, then lower id; NaN logits
// go last. It is a total order because ids are distinct.
func rank(a, b entry) int {
	if c := cmp.Compare(b.logit, a.logit); c != 0 {
		return c
	}
	return cmp.Compare(a.id, b.id)
}

// NewCandidates returns a working set with room for a vocabulary of the
// given size, so that even the first Reset does not allocate.
func NewCandidates(vocab int) *Candidates {
	c := &Candidates{}
	c.grow(vocab)
	return c
}

func (c *Candidates) grow(n int) {
	if cap(c.IDs) >= n {
		return
	}
	c.IDs = make([]int32, n)
	c.Logits = make([]float32, n)
	c.Probs = make([]float32, n)
	c.ent = make([]entry, n)
	c.counts = make([]int32, n)
	c.touched = make([]int32, 0, 64)
}

// Reset loads a full-vocabulary logits slice (vocab), copying it: the
// candidates become every id 0..vocab-1 in id order.
func (c *Candidates) Reset(logits []float32) {
	n := len(logits)
	c.grow(n)
	c.IDs = c.IDs[:n]
	c.Logits = c.Logits[:n]
	c.Probs = c.Probs[:n]
	for i := range c.IDs {
		c.IDs[i] = int32(i)
	}
	copy(c.Logits, logits)
	c.Sorted = false
	c.vocab = n
	c.full = true
}

// Len is the number of candidates still in play.
func (c *Candidates) Len() int { return len(c.IDs) }

// Vocab is the vocabulary size given to the last Reset.
func (c *Candidates) Vocab() int { return c.vocab }

// Softmax sets Probs to the softmax of Logits over the current candidates.
// It reports false, with Probs all zero, when there is no finite maximum
// logit (no candidates, all −∞, or a +∞) or when a logit is NaN: there is no
// distribution to draw from.
func (c *Candidates) Softmax() bool {
	mx := float32(math.Inf(-1))
	for _, l := range c.Logits {
		if l > mx {
			mx = l
		}
	}
	if math.IsInf(float64(mx), 0) {
		clear(c.Probs)
		return false
	}
	// Accumulate in float64: with a 32000-entry vocabulary the float32 sum
	// of many tiny terms loses most of their mass.
	var sum float64
	for i, l := range c.Logits {
		e := math.Exp(float64(l - mx))
		c.Probs[i] = float32(e)
		sum += e
	}
	if math.IsNaN(sum) {
		clear(c.Probs)
		return false
	}
	c.lse = float64(mx) + math.Log(sum)
	inv := 1 / sum
	for i, p := range c.Probs {
		c.Probs[i] = float32(float64(p) * inv)
	}
	return true
}

// Sort orders the candidates by descending logit, ties by ascending id.
func (c *Candidates) Sort() {
	if c.Sorted {
		return
	}
	n := len(c.IDs)
	e := c.load(c.ent[:n])
	slices.SortFunc(e, rank)
	c.store(e)
	c.Sorted = true
	c.full = false
}

// Truncate keeps the first n candidates.
func (c *Candidates) Truncate(n int) {
	if n >= len(c.IDs) {
		return
	}
	n = max(n, 0)
	c.IDs = c.IDs[:n]
	c.Logits = c.Logits[:n]
	c.Probs = c.Probs[:n]
	c.full = false
}

// Filter keeps the candidates at the positions i for which keep(i) is true,
// in their current order.
func (c *Candidates) Filter(keep func(i int) bool) {
	j := 0
	for i := range c.IDs {
		if keep(i) {
			c.IDs[j], c.Logits[j], c.Probs[j] = c.IDs[i], c.Logits[i], c.Probs[i]
			j++
		}
	}
	if j < len(c.IDs) {
		c.Truncate(j)
	}
}

// dropFront removes the first k candidates (XTC).
func (c *Candidates) dropFront(k int) {
	if k <= 0 {
		return
	}
	n := copy(c.IDs, c.IDs[k:])
	copy(c.Logits, c.Logits[k:])
	copy(c.Probs, c.Probs[k:])
	c.Truncate(n)
	c.full = false
}

func (c *Candidates) load(dst []entry) []entry {
	for i := range dst {
		dst[i] = entry{c.IDs[i], c.Logits[i], c.Probs[i]}
	}
	return dst
}

func (c *Candidates) store(src []entry) {
	for i, e := range src {
		c.IDs[i], c.Logits[i], c.Probs[i] = e.id, e.logit, e.p
	}
}

// sortTop moves the best m candidates, in order, to the front; the others
// follow in their previous relative order. It selects with a size-m heap,
// O(n log m) at worst and about O(n) on real logits, where most entries lose
// to the heap's root at once, instead of sorting all n.
func (c *Candidates) sortTop(m int) {
	n := len(c.IDs)
	if c.Sorted || m <= 0 {
		return
	}
	if m >= n || m > n/4 {
		c.Sort()
		return
	}
	h := c.topHeap(m)
	worst := h[0]
	slices.SortFunc(h, rank)
	tmp := c.ent[:n]
	copy(tmp, h)
	j := m
	for i, l := range c.Logits {
		e := entry{c.IDs[i], l, c.Probs[i]}
		if l < worst.logit || rank(e, worst) > 0 {
			tmp[j] = e
			j++
		}
	}
	c.store(tmp)
	c.full = false
}

// keepTop keeps only the best m candidates, sorted. Unlike sortTop it does
// not write back the others, which is most of the cost of top_k.
func (c *Candidates) keepTop(m int) {
	if c.Sorted || m > len(c.IDs)/4 {
		c.Sort()
		c.Truncate(m)
		return
	}
	c.finishTop(c.topHeap(max(m, 1)))
}

// finishTop makes the heap h from topHeap the whole candidate set, sorted.
func (c *Candidates) finishTop(h []entry) {
	slices.SortFunc(h, rank)
	c.store(h)
	c.Truncate(len(h))
	c.Sorted = true
}

// topHeap returns, in c.heap, the best m candidates as a min-heap in rank
// order (the root is the worst of them). Most entries lose to the root on
// the logit alone, which is checked first.
func (c *Candidates) topHeap(m int) []entry {
	h := c.heap[:0]
	for i, l := range c.Logits {
		if len(h) == m && l < h[0].logit {
			continue
		}
		e := entry{c.IDs[i], l, c.Probs[i]}
		if len(h) < m {
			h = append(h, e)
			heapUp(h, len(h)-1)
		} else if rank(e, h[0]) < 0 {
			h[0] = e
			heapDown(h, 0)
		}
	}
	c.heap = h
	return h
}

// heapUp and heapDown keep a min-heap in the rank order: the root is the
// worst entry kept so far.
func heapUp(h []entry, i int) {
	for i > 0 {
		p := (i - 1) / 2
		if rank(h[i], h[p]) <= 0 {
			return
		}
		h[i], h[p] = h[p], h[i]
		i = p
	}
}

func heapDown(h []entry, i int) {
	n := len(h)
	for {
		w := i
		if l := 2*i + 1; l < n && rank(h[l], h[w]) > 0 {
			w = l
		}
		if r := 2*i + 2; r < n && rank(h[r], h[w]) > 0 {
			w = r
		}
		if w == i {
			return
		}
		h[i], h[w] = h[w], h[i]
		i = w
	}
}

// prefixWhile walks the candidates best first, sorting lazily (the top 64,
// then 4× more each time it runs out), and returns the first position i for
// which more(i) is false, or n. Entries [0, i] are then sorted best first,
// so the caller may Truncate(i) and set Sorted. Probs move with the entries.
func (c *Candidates) prefixWhile(more func(i int) bool) int {
	n := len(c.IDs)
	m := n
	if !c.Sorted {
		m = min(n, 64)
		c.sortTop(m)
	}
	for i := 0; i < n; i++ {
		if i == m {
			m = min(n, 4*m)
			c.sortTop(m)
		}
		if !more(i) {
			return i
		}
	}
	return n
}

// kthLogit returns the k-th largest logit (k ≥ 1) without reordering the
// candidates.
func (c *Candidates) kthLogit(k int) float32 {
	n := len(c.IDs)
	k = min(max(k, 1), n)
	if k == 1 || c.Sorted {
		if c.Sorted {
			return c.Logits[k-1]
		}
		mx := float32(math.Inf(-1))
		for _, l := range c.Logits {
			mx = max(mx, l)
		}
		return mx
	}
	return c.topHeap(k)[0].logit
}

// tally counts the occurrences of each id of toks (ids outside the
// vocabulary are ignored) into c.counts and lists the distinct ids in
// c.touched. Call untally when done: counts must be all zero between uses.
func (c *Candidates) tally(toks []int32) {
	c.touched = c.touched[:0]
	for _, t := range toks {
		if t < 0 || int(t) >= c.vocab {
			continue
		}
		if c.counts[t] == 0 {
			c.touched = append(c.touched, t)
		}
		c.counts[t]++
	}
}

func (c *Candidates) untally() {
	for _, t := range c.touched {
		c.counts[t] = 0
	}
	c.touched = c.touched[:0]
}

// adjustTallied calls f(i, count) for each candidate whose id occurs in
// toks (count times) and clears the tally: the shape of every penalty on
// past tokens. The candidates are no longer sorted if any was touched.
func (c *Candidates) adjustTallied(toks []int32, f func(i int, count int32)) {
	c.tally(toks)
	c.eachTallied(f)
	if len(c.touched) > 0 {
		c.Sorted = false
	}
	c.untally()
}

// eachTallied calls f(i, count) for each candidate position i whose id has
// a non-zero tally. On a full, untouched vocabulary it visits only the
// tallied ids; otherwise it scans the candidates.
func (c *Candidates) eachTallied(f func(i int, count int32)) {
	if c.full && len(c.IDs) == c.vocab {
		for _, t := range c.touched {
			f(int(t), c.counts[t])
		}
		return
	}
	if len(c.touched) == 0 {
		return
	}
	for i, id := range c.IDs {
		if n := c.counts[id]; n > 0 {
			f(i, n)
		}
	}
}

// scratchInts returns a reusable int32 slice of length n.
func (c *Candidates) scratchInts(n int) []int32 {
	if cap(c.ints) < n {
		c.ints = make([]int32, n)
	}
	c.ints = c.ints[:n]
	return c.ints
}

var negInf = float32(math.Inf(-1))
