package generate

// StopOnLoop: a generation stops as soon as its tail is a loop, with finish
// reason "repetition", like vLLM's repetition detection, but with the copy
// rule of degen detect: a shorter block must repeat more often before it
// counts, so "very very" or a refrain does not stop a text.

// loopRule gives the copies a block of period p must show at the tail.
func loopCopies(p int) int {
	switch {
	case p == 1:
		return 8
	case p <= 6:
		return 5
	}
	return 3
}

// maxLoopPeriod is the longest block (in tokens) watched for.
const maxLoopPeriod = 64

// loopStopper watches token ids for a tail loop.
type loopStopper struct {
	ids []int
}

func (s *loopStopper) Add(id int) bool {
	s.ids = append(s.ids, id)
	return tailLoop(s.ids) > 0
}

func (s *loopStopper) Clone() Stopper {
	return &loopStopper{ids: append([]int(nil), s.ids...)}
}

// Reason names why the stopper stopped the sequence.
func (s *loopStopper) Reason() string { return FinishRepetition }

// tailLoop returns the smallest period p ≤ maxLoopPeriod whose last
// loopCopies(p) blocks are identical, or 0. It only checks periods that can
// have just completed a copy, so it is cheap to call after every token.
func tailLoop(ids []int) int {
	n := len(ids)
	for p := 1; p <= maxLoopPeriod; p++ {
		need := p * loopCopies(p)
		if need > n {
			if p*3 > n {
				return 0
			}
			continue
		}
		ok := true
		for i := n - need; i < n-p; i++ {
			if ids[i] != ids[i+p] {
				ok = false
				break
			}
		}
		if ok {
			return p
		}
	}
	return 0
}

// stoppers runs several stoppers on one sequence and remembers which one
// fired.
type stoppers struct {
	list  []Stopper
	fired Stopper
}

func (s *stoppers) Add(id int) bool {
	for _, st := range s.list {
		if st.Add(id) && s.fired == nil {
			s.fired = st
		}
	}
	return s.fired != nil
}

func (s *stoppers) Clone() Stopper {
	c := &stoppers{list: make([]Stopper, len(s.list))}
	for i, st := range s.list {
		c.list[i] = st.Clone()
	}
	if s.fired != nil {
		for i, st := range s.list {
			if st == s.fired {
				c.fired = c.list[i]
			}
		}
	}
	return c
}

func (s *stoppers) Reason() string { return stopReason(s.fired) }

// stopReason is the finish reason a stopper gives: FinishStop unless it
// says otherwise.
func stopReason(st Stopper) string {
	if r, ok := st.(interface{ Reason() string }); ok && r.Reason() != "" {
		return r.Reason()
	}
	return FinishStop
}
