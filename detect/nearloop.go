package detect

import "sort"

// nearResult describes the best fuzzy tail loop over sentences.
type nearResult struct {
	ok           bool    // passes the near-loop thresholds
	period       int     // sentences per block
	copies       float64 // blocks, counting the first
	meanSim      float64 // mean similarity of each sentence to the one a period earlier
	distinct     float64 // share of distinct sentences (normalised, numbers masked) in the run
	startByte    int     // where the first block starts
	unitEnd      int     // where the first block ends
	periodTokens int     // tokens in the first block
}

// nearLoop looks for a tail made of near-copies of a block of sentences:
// "S. Then S. S again. S!" (period 1), "A. B. A. B." with small changes
// (period 2), one word rotating through others. Sentences are compared as
// sequences of normalised tokens with numbers masked, by token edit
// similarity, because variations insert or swap a word or two, which
// leaves most of the sequence aligned. A loop also mostly repeats itself
// verbatim, so at most NearMaxDistinct of the run's sentences may be
// distinct: parallel lines of a poem that each change one word (the
// Shijing's 芣苢: 采采芣苢，薄言采之。… 薄言有之。…) are all distinct. Only
// a run of NearManyCopies or more, longer than poems' parallelism goes,
// is a loop however much each copy varies.
func nearLoop(text string, u *units, opt Options) nearResult {
	segs := Segments(text, Sentences)
	// A sentence's tokens are the text's tokens (normalised, numbers
	// masked) that start inside it.
	toks := make([][]int32, len(segs))
	for i, sg := range segs {
		toks[i] = u.masked[sort.SearchInts(u.start, sg.Start):sort.SearchInts(u.start, sg.End)]
	}
	var best, first nearResult
	bestTokens := 0
	for p := 1; p <= opt.NearMaxPeriod; p++ {
		// The last sentence may be a copy cut short by the budget: also try
		// the run that ends one sentence earlier.
		for skip := 0; skip <= 1; skip++ {
			end := len(segs) - 1 - skip
			m, sum := 0, 0.0
			for i := end; i-p >= 0; i-- {
				a, b := toks[i], toks[i-p]
				if len(a) < opt.NearMinLen || len(b) < opt.NearMinLen {
					break
				}
				sim := editSimilarity(a, b)
				if sim < opt.NearMinSim {
					break
				}
				m++
				sum += sim
			}
			if m == 0 {
				continue
			}
			lo := end - m - p + 1 // first sentence of the first block
			r := nearResult{
				period:    p,
				copies:    float64(m+p) / float64(p),
				meanSim:   sum / float64(m),
				startByte: segs[lo].Start,
				unitEnd:   segs[lo+p-1].End,
			}
			tokens := 0
			forms := map[string]bool{}
			for j := lo; j <= end; j++ {
				tokens += len(toks[j])
				forms[maskDigits(segs[j].Norm)] = true
			}
			r.distinct = float64(len(forms)) / float64(end-lo+1)
			for j := lo; j < lo+p; j++ {
				r.periodTokens += len(toks[j])
			}
			r.ok = r.copies >= opt.NearMinCopies && r.meanSim >= opt.NearMeanSim && tokens >= opt.NearMinTokens &&
				(r.distinct <= opt.NearMaxDistinct || r.copies >= opt.NearManyCopies)
			if r.ok && !first.ok {
				first = r
			}
			if tokens > bestTokens {
				best, bestTokens = r, tokens
			}
		}
	}
	if first.ok {
		return first
	}
	return best
}

// editSimilarity is 1 − Levenshtein(a, b)/max(len a, len b) over tokens.
func editSimilarity(a, b []int32) float64 {
	if len(a) < len(b) {
		a, b = b, a
	}
	if len(a) == 0 {
		return 1
	}
	// Sentences longer than 256 tokens are compared on their first 256:
	// bounded cost, and a real near-copy agrees there already.
	a, b = a[:min(len(a), 256)], b[:min(len(b), 256)]
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			c := prev[j-1]
			if a[i-1] != b[j-1] {
				c = 1 + min(c, prev[j], cur[j-1])
			}
			cur[j] = c
		}
		prev, cur = cur, prev
	}
	return 1 - float64(prev[len(b)])/float64(len(a))
}
