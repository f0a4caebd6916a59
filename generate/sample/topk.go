package sample

import "strconv"

// TopK keeps the K highest logits (HF TopKLogitsWarper). K ≤ 0 keeps all.
// Like Hugging Face, every candidate tied with the K-th logit is kept, so
// more than K may survive; Exact keeps exactly K, ties broken by lower id
// (llama.cpp cuts at K after a sort whose tie order is unspecified).
// At least MinKeep candidates are kept (HF: k = max(top_k, min_keep)).
type TopK struct {
	K       int
	Exact   bool
	MinKeep int
}

func (t TopK) String() string {
	s := "top_k(" + strconv.Itoa(t.K)
	if t.Exact {
		s += ",exact"
	}
	return s + ")"
}

func (t TopK) Process(_ *History, c *Candidates) {
	if t.K <= 0 {
		return
	}
	k := max(t.K, t.MinKeep)
	n := c.Len()
	if k >= n {
		return
	}
	if c.Sorted {
		for !t.Exact && k < n && c.Logits[k] == c.Logits[k-1] {
			k++
		}
		c.Truncate(k)
		return
	}
	h := c.topHeap(k)
	if !t.Exact {
		// Candidates tied with the k-th logit rank right after it (by id):
		// count those outside the top k and keep that many more.
		kth, ties := h[0].logit, 0
		for _, l := range c.Logits {
			if l == kth {
				ties++
			}
		}
		for _, e := range h {
			if e.logit == kth {
				ties--
			}
		}
		if ties > 0 {
			c.keepTop(k + ties)
			return
		}
	}
	c.finishTop(h)
}
