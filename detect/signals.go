package detect

import (
	"math"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/degen-llm/degen/detect/minhash"
	"github.com/degen-llm/degen/internal/textseg"
	"github.com/degen-llm/degen/score"
)

// units is a text as the sequence the signals count: its non-punctuation
// tokens, normalised, interned to small integers so that periodicity and
// n-gram checks compare integers.
type units struct {
	norm   []string // normalised token text (lowercase, end punctuation stripped)
	ids    []int32  // (n) interned norm
	masked []int32  // (n) interned norm with every digit run replaced by "0"
	start  []int    // (n) byte offset of the token in the text
	end    []int    // (n) byte offset just past the token
	cjk    []bool   // (n) token is a CJK character
}

// interner numbers strings in order of first appearance.
type interner map[string]int32

func (in interner) id(s string) int32 {
	if v, ok := in[s]; ok {
		return v
	}
	v := int32(len(in))
	in[s] = v
	return v
}

// textUnits tokenises text with textseg.Words (whitespace words, CJK
// characters one by one), drops tokens that are only punctuation or symbols
// (separators such as "-", "|", "，" and code braces) and normalises the
// rest, so "menschen," and "Menschen" compare equal.
func textUnits(text string) *units {
	u := &units{}
	in, inM := interner{}, interner{}
	for _, t := range textseg.Split(nil, text, textseg.Words) {
		n := minhash.Normalize(t.Text)
		if n == "" {
			continue
		}
		r, _ := utf8.DecodeRuneInString(t.Text)
		u.norm = append(u.norm, n)
		u.ids = append(u.ids, in.id(n))
		u.masked = append(u.masked, inM.id(maskDigits(n)))
		u.start = append(u.start, t.Start)
		u.end = append(u.end, t.End)
		u.cjk = append(u.cjk, textseg.IsCJK(r))
	}
	return u
}

// maskDigits replaces every run of decimal digits by one "0", so counters
// ("Day 3", "Day 4", "第4天") look alike.
func maskDigits(s string) string {
	if strings.IndexFunc(s, unicode.IsDigit) < 0 {
		return s
	}
	var b strings.Builder
	inRun := false
	for _, r := range s {
		if unicode.IsDigit(r) {
			if !inRun {
				b.WriteByte('0')
			}
			inRun = true
			continue
		}
		inRun = false
		b.WriteRune(r)
	}
	return b.String()
}

// run is a stretch of consecutive copies of a block of Period tokens:
// tokens [Start, Start+Span) with seq[i] == seq[i−Period] for every i in
// [Start+Period, Start+Span). Copies = Span/Period counts a final partial
// copy as a fraction.
type run struct {
	Period, Start, Span int
}

func (r run) copies() float64 {
	if r.Period == 0 {
		return 0
	}
	return float64(r.Span) / float64(r.Period)
}

// tailMatch returns how many positions at the end of seq continue a period
// p (seq[i] == seq[i−p] going backwards from the last token). lastOK, if
// not nil, may accept a mismatch at the very last token, for a word cut off
// by the generation budget.
func tailMatch(seq []int32, p int, lastOK func(i, j int) bool) int {
	n := len(seq)
	m := 0
	for i := n - 1; i-p >= 0; i-- {
		if seq[i] != seq[i-p] && (i != n-1 || lastOK == nil || !lastOK(i, i-p)) {
			break
		}
		m++
	}
	return m
}

// tailRuns calls visit with the tail run of every period 1..maxPeriod (at
// least one full copy plus one more token), smallest period first, until
// visit returns false.
func tailRuns(seq []int32, maxPeriod int, lastOK func(i, j int) bool, visit func(run) bool) {
	n := len(seq)
	for p := 1; p <= maxPeriod && 2*p <= n; p++ {
		m := tailMatch(seq, p, lastOK)
		if m == 0 {
			continue
		}
		if !visit(run{Period: p, Start: n - m - p, Span: m + p}) {
			return
		}
	}
}

// bestRuns returns, for every period 1..maxPeriod, the longest run of that
// period anywhere in seq. Cost O(n·maxPeriod).
func bestRuns(seq []int32, maxPeriod int) []run {
	n := len(seq)
	var out []run
	for p := 1; p <= maxPeriod && 2*p <= n; p++ {
		best := run{Period: p}
		m := 0
		for i := p; i <= n; i++ {
			if i < n && seq[i] == seq[i-p] {
				m++
				continue
			}
			if m > 0 && m+p > best.Span {
				best = run{Period: p, Start: i - m - p, Span: m + p}
			}
			m = 0
		}
		if best.Span > 0 {
			out = append(out, best)
		}
	}
	return out
}

// longestRepeatedSuffix is the length of the longest suffix of seq that
// also occurs ending earlier in seq (it may overlap the suffix itself). It
// runs the Z-algorithm on the reversed sequence: z[k] of the reverse is the
// longest common suffix of seq and seq[:n−k].
func longestRepeatedSuffix(seq []int32) int {
	n := len(seq)
	if n < 2 {
		return 0
	}
	rev := make([]int32, n)
	for i, v := range seq {
		rev[n-1-i] = v
	}
	z := make([]int, n)
	best := 0
	for k, l, r := 1, 0, 0; k < n; k++ {
		if k < r {
			z[k] = min(r-k, z[k-l])
		}
		for k+z[k] < n && rev[z[k]] == rev[k+z[k]] {
			z[k]++
		}
		if k+z[k] > r {
			l, r = k, k+z[k]
		}
		best = max(best, z[k])
	}
	return best
}

// seqRepWindow is the largest seq-rep-n (1 − distinct n-grams / n-grams,
// Welleck et al.) over all windows of w tokens; the whole sequence when it
// is shorter than w. 0 when there is no n-gram.
func seqRepWindow(seq []int32, n, w int) float64 {
	if len(seq) < n {
		return 0
	}
	w = min(w, len(seq))
	g := w - n + 1 // n-grams per window
	key := func(i int) uint64 {
		var h uint64 = 1469598103934665603
		for _, v := range seq[i : i+n] {
			h = (h ^ uint64(uint32(v))) * 1099511628211
		}
		return h
	}
	counts := map[uint64]int{}
	for i := 0; i < g; i++ {
		counts[key(i)]++
	}
	best := 1 - float64(len(counts))/float64(g)
	for i := g; i+n <= len(seq); i++ { // slide: add n-gram i, drop n-gram i−g
		counts[key(i)]++
		old := key(i - g)
		if counts[old]--; counts[old] == 0 {
			delete(counts, old)
		}
		best = max(best, 1-float64(len(counts))/float64(g))
	}
	return best
}

// entropyBits is the unigram entropy −Σ p log2 p of seq, in bits.
func entropyBits(seq []int32) float64 {
	if len(seq) == 0 {
		return 0
	}
	counts := map[int32]int{}
	for _, v := range seq {
		counts[v]++
	}
	h := 0.0
	for _, c := range counts {
		p := float64(c) / float64(len(seq))
		h -= p * math.Log2(p)
	}
	return h
}

// zlibRatio is Whisper's compression ratio len(utf8)/len(zlib(utf8)) at
// zlib level 6 (Python's default), with zlib's exact output size.
func zlibRatio(text string) float64 { return score.ZlibRatio(text) }

func round4(x float64) float64 { return math.Round(x*1e4) / 1e4 }
