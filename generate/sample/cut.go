package sample

import (
	"cmp"
	"slices"
)

// wkey is one candidate in a weighted selection, ordered by k, then id.
type wkey struct {
	k  float64
	w  float64 // its probability
	id int32
	i  int32 // its position in the candidates
}

func cmpW(a, b wkey) int {
	if r := cmp.Compare(a.k, b.k); r != 0 {
		return r
	}
	return cmp.Compare(a.id, b.id)
}

// massCut reorders keys so that keys[:K] are the first K in (k, id) order,
// unordered among themselves, where K is the smallest count whose weights
// sum to at least target (len(keys) if they never do), and returns K.
//
// This is what top_p and typical_p need: the kept set, not its order. A
// quickselect that only descends into the side holding the cut costs
// expected O(n), where sorting a 32000-entry vocabulary to find a nucleus of
// a few thousand tokens costs milliseconds.
func massCut(keys []wkey, target float64) int {
	lo, hi := 0, len(keys)
	var acc float64 // weight of keys[:lo]
	for hi-lo > 48 {
		// Median of three as pivot, moved to hi−1.
		a, b, c := lo, lo+(hi-lo)/2, hi-1
		if cmpW(keys[b], keys[a]) < 0 {
			a, b = b, a
		}
		if cmpW(keys[c], keys[b]) < 0 {
			b = c
			if cmpW(keys[b], keys[a]) < 0 {
				b = a
			}
		}
		keys[b], keys[hi-1] = keys[hi-1], keys[b]
		pivot := keys[hi-1]
		p := lo
		var left float64
		for j := lo; j < hi-1; j++ {
			if cmpW(keys[j], pivot) < 0 {
				keys[p], keys[j] = keys[j], keys[p]
				left += keys[p].w
				p++
			}
		}
		keys[p], keys[hi-1] = keys[hi-1], keys[p]
		if acc+left >= target {
			hi = p // the cut is among the keys before the pivot
			continue
		}
		acc += left + keys[p].w
		if acc >= target {
			return p + 1
		}
		lo = p + 1
	}
	slices.SortFunc(keys[lo:hi], cmpW)
	for j := lo; j < hi; j++ {
		acc += keys[j].w
		if acc >= target {
			return j + 1
		}
	}
	return hi
}

// wkeys returns the reusable weighted-key scratch of length n.
func (c *Candidates) wkeys(n int) []wkey {
	if cap(c.keys) < n {
		c.keys = make([]wkey, n)
	}
	c.keys = c.keys[:n]
	return c.keys
}
