package score

import (
	"fmt"
	"math"
	"slices"
)

// MaxNGram is the largest n-gram order Options.NGrams may ask for.
const MaxNGram = 32

// Options chooses what a Scorer computes.
type Options struct {
	// Tokens is the tokenisation (default Words).
	Tokens Tokenization
	// NGrams are the orders of seq_rep_n and distinct_n, ascending, each in
	// 1..MaxNGram (default 1, 2, 3, 4).
	NGrams []int
	// ZlibLevel is the zlib level of zlib_ratio, 4..9 (default 6, Python's
	// and so Whisper's). 0 means the default.
	ZlibLevel int
}

// DefaultNGrams are the n-gram orders Welleck et al. report.
var DefaultNGrams = []int{1, 2, 3, 4}

func (o Options) normalized() (Options, error) {
	if o.Tokens < Words || o.Tokens > Model {
		return o, fmt.Errorf("unknown tokenization %d", int(o.Tokens))
	}
	if len(o.NGrams) == 0 {
		o.NGrams = DefaultNGrams
	}
	o.NGrams = slices.Clone(o.NGrams)
	slices.Sort(o.NGrams)
	o.NGrams = slices.Compact(o.NGrams)
	if o.NGrams[0] < 1 || o.NGrams[len(o.NGrams)-1] > MaxNGram {
		return o, fmt.Errorf("n-gram orders must be in 1..%d, got %v", MaxNGram, o.NGrams)
	}
	if o.ZlibLevel == 0 {
		o.ZlibLevel = 6
	}
	if _, ok := zConfigs[o.ZlibLevel]; !ok {
		return o, fmt.Errorf("zlib level %d not supported (want 4..9)", o.ZlibLevel)
	}
	return o, nil
}

// Scorer computes the per-record metrics of texts. It holds all scratch
// space, so scoring allocates nothing per record beyond the Result's two
// small slices once it has seen a text as long as the current one. A Scorer
// is not safe for concurrent use: make one per worker.
type Scorer struct {
	opts     Options
	maxLevel int // longest n-gram order kept: max(NGrams, 4 for SimCTG)

	strs strTable
	ids  idTable // model ids → dense ids
	tab  idTable // n-gram windows → dense ids

	uni        []int32   // (L) dense unigram id of each token
	keys       []uint64  // (L) corpus key of each token
	counts     []int32   // (distinct tokens) occurrences, aliasing strs or ids
	levels     [][]int32 // levels[n]: (L-n+1) dense id of each n-gram window
	uniq       []int     // uniq[n]: distinct n-grams
	lastSingle []bool    // lastSingle[n]: the last n-gram occurs once

	pows       [][]int32 // pows[b]: (L-2^b+1) dense ids of windows of 2^b tokens
	powBufs    [][]int32
	bufA, bufB []int32

	zs *zlibSizer
}

// NewScorer checks o and returns a Scorer.
func NewScorer(o Options) (*Scorer, error) {
	o, err := o.normalized()
	if err != nil {
		return nil, fmt.Errorf("score options: %w", err)
	}
	zs, _ := newZlibSizer(o.ZlibLevel)
	s := &Scorer{opts: o, maxLevel: max(4, o.NGrams[len(o.NGrams)-1]), zs: zs}
	s.levels = make([][]int32, s.maxLevel+1)
	s.uniq = make([]int, s.maxLevel+1)
	s.lastSingle = make([]bool, s.maxLevel+1)
	return s, nil
}

// Score tokenises text as Options.Tokens says and computes its metrics. It
// fails only in Model mode, where the ids must come through ScoreIDs.
func (s *Scorer) Score(text string) (Result, error) {
	s.strs.reset(len(text)/6 + 8)
	s.uni = s.uni[:0]
	switch s.opts.Tokens {
	case Words, Chars:
		splitSeg(text, s.opts.Tokens == Chars, func(tok string) {
			s.uni = append(s.uni, s.strs.intern(tok))
		})
	case Whitespace:
		splitWhitespace(text, func(tok string) {
			s.uni = append(s.uni, s.strs.intern(tok))
		})
	default:
		return Result{}, fmt.Errorf("score: tokenization %v needs token ids: call ScoreIDs", s.opts.Tokens)
	}
	s.keys = s.keys[:0]
	for _, id := range s.uni {
		s.keys = append(s.keys, s.strs.keys[id])
	}
	s.counts = s.strs.counts
	r := s.compute(text)
	clear(s.strs.strs) // keep no reference to text
	return r, nil
}

// ScoreIDs computes the metrics of a text given as model token ids; text
// (the decoded ids) is used only for zlib_ratio. Ids are compared as
// given, so pass them without BOS/EOS unless those should count.
func (s *Scorer) ScoreIDs(ids []int32, text string) Result {
	s.ids.reset(len(ids))
	s.uni = s.uni[:0]
	s.keys = s.keys[:0]
	for _, id := range ids {
		s.uni = append(s.uni, s.ids.intern(uint64(uint32(id))))
		s.keys = append(s.keys, uint64(uint32(id)))
	}
	s.counts = s.ids.counts
	return s.compute(text)
}

// IDs returns the dense token ids of the last text scored: equal tokens
// have equal ids, numbered from 0 in order of first appearance. The slice
// is scratch space, valid until the next call.
func (s *Scorer) IDs() []int32 { return s.uni }

// Keys returns the 64-bit corpus key of each token of the last text
// scored, for [Corpus.Add]: a fixed hash of the token string (the same in
// every process) or, with ScoreIDs, the model id. Scratch space, valid until the
// next call; copy it if Add happens later.
func (s *Scorer) Keys() []uint64 { return s.keys }

// pair packs two dense ids into one key of the next level.
func pair(a, b int32) uint64 { return uint64(uint32(a))<<32 | uint64(uint32(b)) }

func grow32(buf []int32, n int) []int32 {
	if cap(buf) < n {
		return make([]int32, n, n+n/4)
	}
	return buf[:n]
}

func (s *Scorer) compute(text string) Result {
	L := len(s.uni)
	o := s.opts
	r := Result{
		Tokens:      L,
		NGrams:      o.NGrams,
		SeqRep:      make([]float64, len(o.NGrams)),
		Distinct:    make([]float64, len(o.NGrams)),
		EntropyBits: math.NaN(),
		ZlibRatio:   math.NaN(),
	}

	// Level n holds one dense id per n-gram window: windows are equal
	// exactly when their ids are, because level n interns the pair (id of
	// the (n-1)-gram at i, token at i+n-1). Counting distinct n-grams is then
	// one pass over 64-bit keys per level, with no collisions to worry about.
	s.levels[1] = s.uni
	if L > 0 {
		s.uniq[1] = len(s.counts)
		s.lastSingle[1] = s.counts[s.uni[L-1]] == 1
	}
	for n := 2; n <= s.maxLevel && n <= L; n++ {
		prev, m := s.levels[n-1], L-n+1
		cur := grow32(s.levels[n], m)
		s.tab.reset(m)
		for i := range cur {
			cur[i] = s.tab.intern(pair(prev[i], s.uni[i+n-1]))
		}
		s.levels[n] = cur
		s.uniq[n] = s.tab.distinct()
		s.lastSingle[n] = s.tab.counts[cur[m-1]] == 1
	}
	if L == 0 {
		s.levels[1] = nil
	}

	for j, n := range o.NGrams {
		if L < n {
			r.SeqRep[j], r.Distinct[j] = math.NaN(), math.NaN()
			continue
		}
		d := float64(s.uniq[n]) / float64(L-n+1)
		r.SeqRep[j], r.Distinct[j] = 1-d, d
	}

	// SimCTG's eval_text counts only the first L-n windows: the last window
	// drops out of the unique count unless it also occurs earlier.
	for j, n := range [3]int{2, 3, 4} {
		if L > n {
			u := s.uniq[n]
			if s.lastSingle[n] {
				u--
			}
			r.SimCTG.Unique[j], r.SimCTG.Total[j] = u, L-n
		}
	}

	if L > 0 {
		var h float64
		fl := float64(L)
		for _, c := range s.counts {
			p := float64(c) / fl
			h -= p * math.Log2(p)
		}
		r.EntropyBits = max(h, 0) // also turns -0 into 0
	}
	if len(text) > 0 {
		r.ZlibSize = s.zs.size(text)
		r.ZlibRatio = float64(len(text)) / float64(r.ZlibSize)
	}
	r.LongestRepeat = s.longestRepeat(L)
	return r
}

// longestRepeat is the length of the longest run of tokens that occurs at
// two or more positions (the occurrences may overlap: "a a a a" → 3). A run
// of m tokens repeats only if its prefix of m-1 tokens does, so the answer
// is found by binary lifting on the length: double the window (ids of 2w
// windows come from pairs of w windows) until no window repeats, then add
// the halves back from the largest down, keeping each step that still
// repeats. That is O(L log m) table operations for a longest repeat of m,
// about 5 passes over a normal text, and O(L log m) memory for the kept
// power-of-two levels.
func (s *Scorer) longestRepeat(L int) int {
	if L < 2 || s.uniq[1] == L {
		return 0
	}
	s.pows = append(s.pows[:0], s.uni)
	b := 0
	for {
		w := 2 << b
		if w >= L { // a repeat of w tokens needs two windows
			break
		}
		m := L - w + 1
		var next []int32
		var d int
		if w <= s.maxLevel {
			next, d = s.levels[w], s.uniq[w]
		} else {
			for len(s.powBufs) <= b+1 {
				s.powBufs = append(s.powBufs, nil)
			}
			next = grow32(s.powBufs[b+1], m)
			s.powBufs[b+1] = next
			prev, half := s.pows[b], w/2
			s.tab.reset(m)
			for i := range next {
				next[i] = s.tab.intern(pair(prev[i], prev[i+half]))
			}
			d = s.tab.distinct()
		}
		if d == m {
			break
		}
		s.pows = append(s.pows, next)
		b++
	}
	cur, best := s.pows[b], 1<<b
	useA := true
	for bb := b - 1; bb >= 0; bb-- {
		w := best + 1<<bb
		n := L - w + 1
		if n < 2 {
			continue
		}
		if w <= s.maxLevel {
			// A kept n-gram level: the answer for w is already known.
			if s.uniq[w] < n {
				cur, best = s.levels[w], w
			}
			continue
		}
		var cand []int32
		if useA {
			s.bufA = grow32(s.bufA, n)
			cand = s.bufA
		} else {
			s.bufB = grow32(s.bufB, n)
			cand = s.bufB
		}
		p := s.pows[bb]
		s.tab.reset(n)
		for i := range cand {
			cand[i] = s.tab.intern(pair(cur[i], p[i+best]))
		}
		if s.tab.distinct() < n {
			cur, best = cand, w
			useA = !useA
		}
	}
	return best
}
