package filter

import (
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/degen-llm/degen/detect"
	"github.com/degen-llm/degen/detect/minhash"
	"github.com/degen-llm/degen/internal/textseg"
)

// CollapseOptions are the thresholds of [CollapseRepeatsWith].
type CollapseOptions struct {
	// WordRules, CJKRules and MaxPeriod decide which back-to-back runs of a
	// phrase are collapsed: the copy rules of detect (by default eight
	// copies of a word, five of a short phrase, three of a longer block),
	// so "very very" and "ha ha ha" stay while loops go.
	WordRules, CJKRules []detect.CopyRule
	MaxPeriod           int
	// MinSegmentWeight is the length a clause needs before its repeats
	// are removed, in characters with CJK counted twice (default 12, detect's):
	// short clauses such as "Yes." or "Chorus:" legitimately recur.
	MinSegmentWeight int
	// Detect holds the char_run and stutter thresholds (detect's): a
	// character run that detect would flag is shortened to CharRunKeep
	// copies of its unit, and a stutter stretch to one copy of each word.
	Detect      detect.Options
	CharRunKeep int
}

// DefaultCollapseOptions returns the defaults, taken from
// detect.DefaultOptions with MaxPeriod 64.
func DefaultCollapseOptions() CollapseOptions {
	d := detect.DefaultOptions()
	return CollapseOptions{WordRules: d.WordRules, CJKRules: d.CJKRules, MaxPeriod: 64, MinSegmentWeight: d.MinSegmentWeight, Detect: d, CharRunKeep: 3}
}

// CollapseRepeats is CollapseRepeatsWith(text, DefaultCollapseOptions()).
func CollapseRepeats(text string) (string, int) {
	return CollapseRepeatsWith(text, DefaultCollapseOptions())
}

// CollapseRepeatsWith removes repetition from text in two passes and
// returns the result with the number of copies removed:
//
//  1. phrases: a block of tokens repeated back to back often enough (see
//     CollapseOptions) keeps its first copy; the later copies go, and so
//     does a cut-off copy at the very end of the text;
//  2. clauses (detect.Segments with CJK commas): a clause whose normalised
//     form (case, punctuation and spacing ignored) appeared before is
//     removed wherever it recurs, with the whitespace before it.
//
// Everything kept is byte-for-byte the original text, punctuation and
// spacing included.
func CollapseRepeatsWith(text string, opt CollapseOptions) (string, int) {
	text, n0 := collapseCharRuns(text, opt)
	text, n1 := collapsePhrases(text, opt)
	text, n2 := collapseSegments(text, opt)
	return text, n0 + n1 + n2
}

// collapseCharRuns shortens every character run that detect flags
// ("!!!!…" for hundreds of characters, "nynyny…") to CharRunKeep copies of
// its unit, longest first; separator lines and progress bars are not runs
// for detect, so they stay.
func collapseCharRuns(text string, opt CollapseOptions) (string, int) {
	if opt.Detect.CharRunMinSpan == 0 {
		return text, 0
	}
	removed := 0
	for range 1000 { // each pass removes one run; the bound guards a bad option set
		lo, hi, unit, ok := detect.LongestCharRun(text, opt.Detect)
		if !ok {
			break
		}
		keep := strings.Repeat(unit, max(1, opt.CharRunKeep))
		if hi-lo <= len(keep) {
			break
		}
		removed += (hi - lo - len(keep)) / len(unit)
		text = text[:lo] + keep + text[hi:]
	}
	return text, removed
}

type span struct{ lo, hi int } // bytes [lo, hi) to delete

func collapsePhrases(text string, opt CollapseOptions) (string, int) {
	type tok struct {
		id         int32
		norm       string
		start, end int
		cjk        bool
	}
	var toks []tok
	ids := map[string]int32{}
	for _, t := range textseg.Split(nil, text, textseg.Words) {
		n := minhash.Normalize(t.Text)
		if n == "" {
			continue
		}
		id, ok := ids[n]
		if !ok {
			id = int32(len(ids))
			ids[n] = id
		}
		r, _ := utf8.DecodeRuneInString(t.Text)
		// end stops before trailing punctuation, so that a cut keeps the
		// punctuation after the last copy: "a, a, a." → "a."
		end := t.Start + len(strings.TrimRightFunc(t.Text, isPunct))
		toks = append(toks, tok{id, n, t.Start, end, textseg.IsCJK(r)})
	}
	// cjkBefore[i] counts the CJK tokens in toks[:i], so that choosing
	// the rules for a block (mostly CJK or not, as detect does) costs O(1)
	// in the loop over starts and periods below.
	cjkBefore := make([]int, len(toks)+1)
	for i, t := range toks {
		cjkBefore[i+1] = cjkBefore[i]
		if t.cjk {
			cjkBefore[i+1]++
		}
	}
	need := func(i, p int) float64 {
		rules := opt.WordRules
		if 2*(cjkBefore[i+p]-cjkBefore[i]) > p {
			rules = opt.CJKRules
		}
		return detect.MinCopies(rules, p)
	}
	var cuts []span
	removed := 0
	n := len(toks)
	// Stutter ("I I I see see see what what what"): inside a stretch that
	// detect calls a stutter, every run of one word keeps its first copy.
	if opt.Detect.StutterMinRuns > 0 {
		seq := make([]int32, n)
		cjk := make([]bool, n)
		for i, t := range toks {
			seq[i], cjk[i] = t.id, t.cjk
		}
		for off := 0; off < n; {
			st, sp := detect.FindStutter(seq[off:], cjk[off:], opt.Detect.StutterMinRuns)
			if sp == 0 {
				break
			}
			st += off
			for i := st; i < st+sp; {
				j := i + 1
				for j < st+sp && seq[j] == seq[i] {
					j++
				}
				if j-1 > i {
					cuts = append(cuts, span{toks[i].end, toks[j-1].end})
					removed += j - 1 - i
				}
				i = j
			}
			off = st + sp
		}
		if len(cuts) > 0 {
			return apply(text, cuts), removed
		}
	}
	for i := 0; i < n; {
		found := false
		for p := 1; p <= opt.MaxPeriod && i+2*p <= n; p++ {
			m := 0 // tokens after the first copy that continue period p
			for i+p+m < n && toks[i+p+m].id == toks[i+m].id {
				m++
			}
			full := 1 + m/p
			if float64(full) < need(i, p) {
				continue
			}
			last := i + full*p - 1 // last token of the last full copy
			cutOff := false        // a copy cut short by the end of the text follows
			switch e := i + p + m; {
			case e == n && m%p > 0:
				cutOff = true
			case e == n-1:
				// The budget may end mid-word: "… bunny. It is a bunn".
				t, c := toks[n-1].norm, toks[n-1-p].norm
				cutOff = len(t) < len(c) && c[:len(t)] == t
			}
			if cutOff {
				last = n - 1
				removed++
			}
			cuts = append(cuts, span{toks[i+p-1].end, toks[last].end})
			removed += full - 1
			i = last + 1
			found = true
			break
		}
		if !found {
			i++
		}
	}
	return apply(text, cuts), removed
}

func collapseSegments(text string, opt CollapseOptions) (string, int) {
	segs := detect.Segments(text, detect.Clauses)
	seen := map[string]bool{}
	var cuts []span
	prevEnd := 0
	for _, s := range segs {
		if detect.SegmentWeight(s.Norm) >= opt.MinSegmentWeight {
			if seen[s.Norm] {
				cuts = append(cuts, span{prevEnd, s.End})
				continue // the kept text still ends at prevEnd
			}
			seen[s.Norm] = true
		}
		prevEnd = s.End
	}
	return apply(text, cuts), len(cuts)
}

// apply deletes the spans (sorted, possibly adjacent) from text.
func apply(text string, cuts []span) string {
	if len(cuts) == 0 {
		return text
	}
	sort.Slice(cuts, func(i, j int) bool { return cuts[i].lo < cuts[j].lo })
	out := make([]byte, 0, len(text))
	pos := 0
	for _, c := range cuts {
		if c.lo < pos {
			c.lo = pos
		}
		if c.hi <= c.lo {
			continue
		}
		out = append(out, text[pos:c.lo]...)
		pos = c.hi
	}
	return string(append(out, text[pos:]...))
}

func isPunct(r rune) bool { return unicode.IsPunct(r) || unicode.IsSymbol(r) }
