package detect

// A held-out check of the defaults: records of the same kinds as
// eval/detect_public.jsonl, built the way eval/README.md describes but from
// other texts — prose, poems, songs and licence clauses written for this
// test (testdata/heldout), Go source from GOROOT packages read at test
// time, JSON and markdown tables generated here, and stories260K outputs
// for prompts of our own. Labels come from the construction, never from the
// detector; everything random is drawn from one PCG seed.

import (
	"encoding/json"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/degen-llm/degen/generate"
	"github.com/degen-llm/degen/internal/shared"
	"github.com/degen-llm/degen/kernels"
	"github.com/degen-llm/degen/model"
	"github.com/degen-llm/degen/model/tokenizer"
)

const heldoutSeed = 20260611

// heldoutPrompts are ours: in neither testdata/prompts.jsonl nor the
// public set.
var heldoutPrompts = []string{
	"The little fox wanted to find a red apple.",
	"Anna and her dog went to the lake.",
	"There was a small boat on the river.",
	"Ben liked to build tall towers with his blocks.",
	"A kind bear lived in a big cave.",
	"The girl saw a bright star in the sky.",
	"Mia had a new blue hat.",
	"One morning, the duck could not find her egg.",
	"Tim and Sue made a cake for mom.",
	"The puppy was scared of the loud rain.",
	"Once upon a time, there was a tiny mouse named Chip.",
	"The farmer had a lazy cow.",
	"Lily found a shiny coin in the grass.",
	"The boy wanted to fly a kite.",
	"Grandpa told a story about a big fish.",
}

// ---------------------------------------------------------------------
// Reading the hand-written texts.

func heldoutEntries(t *testing.T, name string) []string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "heldout", name))
	require.NoError(t, err)
	var out []string
	for _, e := range strings.Split(string(b), "\n%\n") {
		if e = strings.TrimSpace(e); e != "" {
			out = append(out, e)
		}
	}
	return out
}

// ---------------------------------------------------------------------
// Text helpers for the construction (independent of the detector's own
// tokenisation).

var wordRE = regexp.MustCompile(`\S+`)

type span struct{ start, end int } // byte offsets

func wordSpans(text string) []span {
	var out []span
	for _, m := range wordRE.FindAllStringIndex(text, -1) {
		out = append(out, span{m[0], m[1]})
	}
	return out
}

func isCJK(r rune) bool { return unicode.Is(unicode.Han, r) }

func isSentEnd(r rune, zh bool) bool {
	if zh {
		return r == '。' || r == '！' || r == '？'
	}
	return r == '.' || r == '!' || r == '?'
}

func isCloseQuote(r rune) bool {
	return r == '"' || r == '”' || r == '“' || r == '\'' || r == '’'
}

// sentenceSpans splits text into sentences: a stop (followed by space,
// newline or the end, with closing quotes kept) or a newline ends one.
func sentenceSpans(text string, zh bool) []span {
	var out []span
	start := 0
	emit := func(end int) {
		s := strings.TrimSpace(text[start:end])
		if s != "" {
			off := start + strings.Index(text[start:end], s)
			out = append(out, span{off, off + len(s)})
		}
		start = end
	}
	for i := 0; i < len(text); {
		r, n := utf8.DecodeRuneInString(text[i:])
		switch {
		case r == '\n':
			emit(i)
		case isSentEnd(r, zh):
			j := i + n
			for j < len(text) {
				q, m := utf8.DecodeRuneInString(text[j:])
				if !isCloseQuote(q) {
					break
				}
				j += m
			}
			if zh || j == len(text) || text[j] == ' ' || text[j] == '\n' {
				emit(j)
				i = j
				continue
			}
		}
		i += n
	}
	emit(len(text))
	return out
}

func trimPunct(w string) string {
	return strings.TrimFunc(w, func(r rune) bool { return unicode.IsPunct(r) || unicode.IsSymbol(r) })
}

func isLetters(w string) bool {
	if w == "" {
		return false
	}
	for _, r := range w {
		if !unicode.IsLetter(r) && r != '-' && r != '\'' {
			return false
		}
	}
	return true
}

var heldoutStop = map[string]bool{}

func init() {
	for _, w := range strings.Fields(`the a an and or but of to in on at for with from by as is was were be been are it its this that these those
		he she they we you i his her their our your my me him them us not no so then than there here what which who when
		der die das und oder aber ein eine einen einem einer den dem des zu im in an auf mit von für ist war sind es er sie wir ihr ich
		sich nicht auch noch nur wie wenn dann als aus bei nach vor über unter dass`) {
		heldoutStop[w] = true
	}
}

func isContent(w string) bool {
	return isLetters(w) && utf8.RuneCountInString(w) >= 4 && !heldoutStop[strings.ToLower(w)]
}

func lowerFirst(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	if n == 0 || (r == 'I' && len(s) > 1 && s[1] == ' ') {
		return s
	}
	return string(unicode.ToLower(r)) + s[n:]
}

func pick[T any](r *rand.Rand, xs []T) T { return xs[r.IntN(len(xs))] }

// between draws an integer in [lo, hi].
func between(r *rand.Rand, lo, hi int) int {
	if hi < lo {
		return lo
	}
	return lo + r.IntN(hi-lo+1)
}

// ---------------------------------------------------------------------
// The purity rule of eval/README.md, used to admit clean records.

// normWords lower-cases whitespace words and strips their punctuation,
// dropping words that are only punctuation.
func normWords(text string) []string {
	var out []string
	for _, w := range strings.Fields(text) {
		if w = strings.ToLower(trimPunct(w)); w != "" {
			out = append(out, w)
		}
	}
	return out
}

// maxRunCopies is the most back-to-back copies of any block of p items.
func maxRunCopies[T comparable](seq []T, p int) int {
	best, run := 1, 0
	for j := p; j < len(seq); j++ {
		if seq[j] == seq[j-p] {
			run++
			best = max(best, run/p+1)
		} else {
			run = 0
		}
	}
	return best
}

func normSentence(s string) string { return strings.Join(normWords(s), " ") }

// purityViolation returns "" when text matches none of the constructive
// definitions of a loop, else what it matches. anywhere adds the rule for
// prose-like kinds: no sentence of ≥ 20 characters three times at all.
func purityViolation(text string, zh, anywhere bool) string {
	ws := normWords(text)
	for p := 1; p <= 150 && 2*p <= len(ws); p++ {
		need := 3
		switch {
		case p == 1:
			need = 8
		case p <= 6:
			need = 5
		}
		if c := maxRunCopies(ws, p); c >= need {
			return fmt.Sprintf("word block of %d ×%d", p, c)
		}
	}
	var sents []string
	for _, sp := range sentenceSpans(text, zh) {
		if n := normSentence(text[sp.start:sp.end]); n != "" {
			sents = append(sents, n)
		}
	}
	if c := maxRunCopies(sents, 1); c >= 3 {
		return fmt.Sprintf("sentence ×%d in a row", c)
	}
	if anywhere {
		count := map[string]int{}
		for _, s := range sents {
			if utf8.RuneCountInString(s) >= 20 {
				if count[s]++; count[s] >= 3 {
					return fmt.Sprintf("sentence %q ×3", s)
				}
			}
		}
	}
	if zh {
		var cs []rune
		for _, r := range text {
			if !unicode.IsSpace(r) && !unicode.IsPunct(r) && !unicode.IsSymbol(r) {
				cs = append(cs, r)
			}
		}
		for p := 1; p <= 300 && 2*p <= len(cs); p++ {
			need := 3
			switch {
			case p == 1:
				need = 8
			case p <= 4:
				need = 5
			}
			if c := maxRunCopies(cs, p); c >= need {
				return fmt.Sprintf("char block of %d ×%d", p, c)
			}
		}
	}
	return ""
}

// tailBlock applies the model_loop rule: the last ≥ 40 whitespace words
// are ≥ 3 copies of a block (the final word may be a cut-off prefix of its
// copy). It returns the smallest such period in words, or 0.
func tailBlock(text string) (period int, copies float64) {
	w := strings.Fields(text)
	n := len(w)
	for p := 1; 3*p <= n; p++ {
		run := 0
		for i := n - 1; i-p >= 0; i-- {
			same := w[i] == w[i-p]
			if i == n-1 && !same {
				same = strings.HasPrefix(w[i-p], w[i])
			}
			if !same {
				break
			}
			run++
		}
		span := run + p
		if span >= 40 && span >= 3*p {
			return p, float64(span) / float64(p)
		}
	}
	return 0, 0
}

// ---------------------------------------------------------------------
// Injection of loops (eval/README.md, degenerate kinds 1–5).

type base struct {
	text, lang, src string
}

func (b base) zh() bool { return b.lang == "zh" }

// cut truncates the base at 30–100 % of its words (zh: characters), or
// right after a sentence end in that range when atSentence.
func cut(r *rand.Rand, b base, atSentence bool) string {
	if atSentence {
		var ends []int
		for _, sp := range sentenceSpans(b.text, b.zh()) {
			if 10*sp.end >= 3*len(b.text) {
				ends = append(ends, sp.end)
			}
		}
		if len(ends) > 0 {
			return b.text[:pick(r, ends)]
		}
	}
	if b.zh() {
		rs := []rune(b.text)
		k := between(r, (3*len(rs)+9)/10, len(rs))
		return string(rs[:max(k, 1)])
	}
	ws := wordSpans(b.text)
	k := between(r, (3*len(ws)+9)/10, len(ws))
	return b.text[:ws[max(k, 1)-1].end]
}

// join appends the loop to the truncated text.
func join(r *rand.Rand, prefix, loop string, zh bool) string {
	if zh {
		if r.IntN(5) == 0 {
			return prefix + "\n" + loop
		}
		return prefix + loop
	}
	return prefix + pick(r, []string{" ", " ", "\n"}) + loop
}

// repeatUnit writes copies of unit separated by sep; 30 % of the time a
// cut-short copy follows them, as when the generation budget runs out (in
// the public set the cut copy comes on top of the full ones: a phrase
// with copies=N occurs N+1 times, the original included, before the cut
// one).
func repeatUnit(r *rand.Rand, unit, sep string, copies int) (string, bool) {
	parts := make([]string, copies)
	for i := range parts {
		parts[i] = unit
	}
	if p := partial(r, unit); p != "" {
		parts = append(parts, p)
		return strings.Join(parts, sep), true
	}
	return strings.Join(parts, sep), false
}

// partial is, 30 % of the time, a proper prefix of unit (cut at any
// character, trailing spaces dropped), else "".
func partial(r *rand.Rand, unit string) string {
	if r.IntN(10) >= 3 {
		return ""
	}
	rs := []rune(unit)
	if len(rs) < 2 {
		return ""
	}
	return strings.TrimRight(string(rs[:between(r, 1, len(rs)-1)]), " ")
}

var (
	wordCopies   = []int{8, 9, 10, 12, 15, 20, 25, 30, 40, 60}
	phraseCopies = []int{5, 6, 7, 8, 10, 12, 15, 20, 30}
)

func sentenceCopies(r *rand.Rand) int {
	if r.IntN(10) < 4 {
		return 3
	}
	return between(r, 4, 12)
}

// hanRuns are the maximal runs of Han characters of text.
func hanRuns(text string) [][]rune {
	var out [][]rune
	var cur []rune
	for _, c := range text {
		if isCJK(c) {
			cur = append(cur, c)
		} else if len(cur) > 0 {
			out = append(out, cur)
			cur = nil
		}
	}
	if len(cur) > 0 {
		out = append(out, cur)
	}
	return out
}

// hanSubstring draws n consecutive Han characters of text.
func hanSubstring(r *rand.Rand, text string, lo, hi int) string {
	var ok [][]rune
	for _, run := range hanRuns(text) {
		if len(run) >= lo {
			ok = append(ok, run)
		}
	}
	run := pick(r, ok)
	n := between(r, lo, min(hi, len(run)))
	s := r.IntN(len(run) - n + 1)
	return string(run[s : s+n])
}

func makeWordLoop(r *rand.Rand, b base) (string, string) {
	if b.zh() {
		prefix := cut(r, b, false)
		var unit string
		if rs := []rune(prefix); r.IntN(10) < 4 && len(rs) >= 3 && isCJK(rs[len(rs)-1]) && isCJK(rs[len(rs)-2]) {
			n := 2
			if isCJK(rs[len(rs)-3]) && r.IntN(2) == 0 {
				n = 3
			}
			unit = string(rs[len(rs)-n:])
		} else {
			unit = hanSubstring(r, b.text, 2, 3)
		}
		sep := ""
		if r.IntN(5) == 0 {
			sep = "，"
		}
		c := pick(r, wordCopies)
		loop, tr := repeatUnit(r, unit, sep, c)
		return join(r, prefix, loop, true), fmt.Sprintf("unit=%q sep=%q copies=%d truncated=%v", unit, sep, c, tr)
	}
	prefix := cut(r, b, false)
	unit := ""
	if r.IntN(10) < 4 {
		ws := strings.Fields(prefix)
		for i := len(ws) - 1; i >= 0 && unit == ""; i-- {
			if w := trimPunct(ws[i]); isContent(w) {
				unit = w
			}
		}
	}
	for unit == "" {
		if w := trimPunct(pick(r, strings.Fields(b.text))); isLetters(w) && utf8.RuneCountInString(w) >= 3 {
			unit = w
		}
	}
	sep := pick(r, []string{" ", " ", " ", ", ", "\n"})
	c := pick(r, wordCopies)
	loop, tr := repeatUnit(r, unit, sep, c)
	return join(r, prefix, loop, false), fmt.Sprintf("unit=%q sep=%q copies=%d truncated=%v", unit, sep, c, tr)
}

func makePhraseLoop(r *rand.Rand, b base) (string, string) {
	prefix := cut(r, b, false)
	c := pick(r, phraseCopies)
	if b.zh() {
		unit := hanSubstring(r, b.text, 4, 10)
		sep := pick(r, []string{"", "，", "。"})
		loop, tr := repeatUnit(r, unit, sep, c)
		return join(r, prefix, loop, true), fmt.Sprintf("unit=%q sep=%q copies=%d truncated=%v", unit, sep, c, tr)
	}
	sents := sentenceSpans(b.text, false)
	for {
		sp := pick(r, sents)
		ws := strings.Fields(b.text[sp.start:sp.end])
		k := between(r, 2, 6)
		if len(ws) < k {
			continue
		}
		s := r.IntN(len(ws) - k + 1)
		seen := map[string]bool{}
		distinct := true
		for _, w := range ws[s : s+k] {
			n := strings.ToLower(trimPunct(w))
			if n == "" || seen[n] {
				distinct = false
			}
			seen[n] = true
		}
		if !distinct {
			continue
		}
		unit := trimPunct(strings.Join(ws[s:s+k], " "))
		sep := pick(r, []string{" ", ", ", "... ", " - "})
		loop, tr := repeatUnit(r, unit, sep, c)
		return join(r, prefix, loop, false), fmt.Sprintf("unit=%q sep=%q copies=%d truncated=%v", unit, sep, c, tr)
	}
}

func makeSentenceLoop(r *rand.Rand, b base) (string, string) {
	atSent := r.IntN(10) < 6
	prefix := cut(r, b, atSent)
	c := sentenceCopies(r)
	if b.zh() {
		var sents []string
		for _, sp := range sentenceSpans(b.text, true) {
			s := b.text[sp.start:sp.end]
			if last, _ := utf8.DecodeLastRuneInString(s); isSentEnd(last, true) && utf8.RuneCountInString(s) >= 6 {
				sents = append(sents, s)
			}
		}
		if r.IntN(2) == 0 || len(sents) == 0 {
			// A clause joined by "，": 这是一个杯子，这是一个杯子，…
			var clauses []string
			for _, cl := range regexp.MustCompile(`[，。！？；\n“”：]`).Split(b.text, -1) {
				if n := utf8.RuneCountInString(cl); n >= 4 && n <= 20 {
					clauses = append(clauses, cl)
				}
			}
			unit := pick(r, clauses)
			loop, tr := repeatUnit(r, unit, "，", c)
			return join(r, prefix, loop, true), fmt.Sprintf("clause=%q copies=%d truncated=%v", unit, c, tr)
		}
		unit := pick(r, sents)
		sep := pick(r, []string{"", "", "\n"})
		loop, tr := repeatUnit(r, unit, sep, c)
		return join(r, prefix, loop, true), fmt.Sprintf("sentence=%q copies=%d truncated=%v", unit, c, tr)
	}
	var sents []string
	for _, sp := range sentenceSpans(b.text, false) {
		s := b.text[sp.start:sp.end]
		if n := len(strings.Fields(s)); n >= 4 && n <= 25 {
			sents = append(sents, strings.Join(strings.Fields(s), " "))
		}
	}
	unit := pick(r, sents)
	if ps := sentenceSpans(prefix, false); atSent && r.IntN(2) == 0 && len(ps) > 0 {
		last := strings.Join(strings.Fields(prefix[ps[len(ps)-1].start:]), " ")
		if slices.Contains(sents, last) {
			unit = last
		}
	}
	sep := pick(r, []string{" ", " ", "\n"})
	loop, tr := repeatUnit(r, unit, sep, c)
	return join(r, prefix, loop, false), fmt.Sprintf("sentence=%q copies=%d truncated=%v", unit, c, tr)
}

func makeParagraphLoop(r *rand.Rand, b base) (string, string) {
	prefix := cut(r, b, false)
	c := between(r, 3, 5)
	sep := pick(r, []string{" ", "\n", "\n\n"})
	sents := sentenceSpans(b.text, b.zh())
	if b.zh() {
		n := between(r, 45, 180)
		var starts []int
		for _, sp := range sents {
			if utf8.RuneCountInString(b.text[sp.start:]) >= 45 {
				starts = append(starts, sp.start)
			}
		}
		rs := []rune(b.text[pick(r, starts):])
		unit := strings.TrimSpace(string(rs[:min(n, len(rs))]))
		if sep == " " {
			sep = ""
		}
		loop, tr := repeatUnit(r, unit, sep, c)
		return join(r, prefix, loop, true), fmt.Sprintf("block=%d chars copies=%d truncated=%v", utf8.RuneCountInString(unit), c, tr)
	}
	ws := wordSpans(b.text)
	n := between(r, 30, 120)
	var starts []int // word indices that start a sentence with ≥ 30 words after them
	for i, w := range ws {
		for _, sp := range sents {
			if sp.start == w.start && len(ws)-i >= 30 {
				starts = append(starts, i)
			}
		}
	}
	s := 0
	if len(starts) > 0 {
		s = pick(r, starts)
	}
	e := min(s+n, len(ws))
	unit := b.text[ws[s].start:ws[e-1].end]
	loop, tr := repeatUnit(r, unit, sep, c)
	return join(r, prefix, loop, false), fmt.Sprintf("block=%d words copies=%d sep=%q truncated=%v", e-s, c, sep, tr)
}

// nearSentences are the sentences of b suitable for a near loop.
func nearSentences(b base) []string {
	var out []string
	for _, sp := range sentenceSpans(b.text, b.zh()) {
		s := strings.Join(strings.Fields(b.text[sp.start:sp.end]), " ")
		last, _ := utf8.DecodeLastRuneInString(s)
		if !isSentEnd(last, b.zh()) {
			continue
		}
		if b.zh() {
			if n := utf8.RuneCountInString(s); n >= 6 && n <= 40 {
				out = append(out, s)
			}
		} else if n := len(strings.Fields(s)); n >= 4 && n <= 20 {
			out = append(out, s)
		}
	}
	return out
}

// insertBeforeEnd puts add before the final stop of s.
func insertBeforeEnd(s, add string) string {
	last, n := utf8.DecodeLastRuneInString(s)
	if isSentEnd(last, true) || isSentEnd(last, false) {
		return s[:len(s)-n] + add + s[len(s)-n:]
	}
	return s + add
}

func exclaim(s string, zh bool) string {
	last, n := utf8.DecodeLastRuneInString(s)
	if zh {
		return s[:len(s)-n] + "！"
	}
	if isSentEnd(last, false) {
		return s[:len(s)-n] + "!"
	}
	return s + "!"
}

func makeNearLoop(r *rand.Rand, b base, mode string) (string, string) {
	prefix := cut(r, b, r.IntN(10) < 6)
	sents := nearSentences(b)
	s := pick(r, sents)
	var items []string
	switch mode {
	case "variation":
		var vs []string
		switch b.lang {
		case "en":
			vs = []string{s, insertBeforeEnd(s, " again"), "Then " + lowerFirst(s), exclaim(s, false)}
		case "de":
			vs = []string{s, insertBeforeEnd(s, " noch einmal"), "Und dann: " + s, exclaim(s, false)}
		default:
			vs = []string{s, "然后" + s, exclaim(s, true), "又一次，" + s}
		}
		n := between(r, 5, 9) + 1
		for len(items) < n {
			v := pick(r, vs)
			if k := len(items); k >= 2 && items[k-1] == v && items[k-2] == v {
				continue
			}
			items = append(items, v)
		}
	case "alternate":
		a := pick(r, sents)
		for a == s && len(sents) > 1 {
			a = pick(r, sents)
		}
		for range between(r, 3, 6) {
			items = append(items, s, a)
		}
		items = append(items, s)
	case "counter":
		var format string
		switch b.lang {
		case "en":
			format = pick(r, []string{"Day %d: %s", "Round %d - %s", "Step %d. %s", "Chapter %d: %s"})
		case "de":
			format = pick(r, []string{"Tag %d: %s", "Runde %d - %s", "Schritt %d. %s"})
		default:
			format = pick(r, []string{"第%d天：%s", "第%d次：%s", "第%d回，%s"})
		}
		from := between(r, 1, 5)
		for i := range between(r, 5, 10) + 1 {
			items = append(items, fmt.Sprintf(format, from+i, s))
		}
	case "substitute":
		ws := strings.Fields(s)
		var pos []int
		for i, w := range ws {
			if isContent(trimPunct(w)) {
				pos = append(pos, i)
			}
		}
		seen := map[string]bool{}
		var repl []string
		for _, w := range strings.Fields(b.text) {
			if w = trimPunct(w); isContent(w) && !seen[strings.ToLower(w)] && !strings.Contains(s, w) {
				seen[strings.ToLower(w)] = true
				repl = append(repl, w)
			}
		}
		if len(pos) == 0 || len(repl) < 3 {
			return makeNearLoop(r, b, "variation")
		}
		p := pick(r, pos)
		r.Shuffle(len(repl), func(i, j int) { repl[i], repl[j] = repl[j], repl[i] })
		repl = append([]string{trimPunct(ws[p])}, repl[:between(r, 2, 4)]...)
		for i := range between(r, 5, 9) + 1 {
			w := slices.Clone(ws)
			w[p] = strings.Replace(ws[p], trimPunct(ws[p]), repl[i%len(repl)], 1)
			items = append(items, strings.Join(w, " "))
		}
	}
	sep := " "
	if b.zh() {
		sep = ""
	}
	if r.IntN(4) == 0 {
		sep = "\n"
	}
	// The loop has one item more than it shows: the cut-short copy, when
	// there is one, is a prefix of the item that would come next.
	next := items[len(items)-1]
	items = items[:len(items)-1]
	loop := strings.Join(items, sep)
	last := partial(r, next)
	truncated := last != ""
	if truncated {
		loop += sep + last
	}
	return join(r, prefix, loop, b.zh()), fmt.Sprintf("mode=%s items=%d base=%q truncated=%v", mode, len(items), s, truncated)
}

// ---------------------------------------------------------------------
// Hard negatives.

func makeSong(r *rand.Rand, entry, lang string) string {
	blocks := strings.Split(entry, "\n\n")
	chorus, verses := blocks[0], blocks[1:]
	labels := r.IntN(2) == 0
	verse := func(i int) string {
		if !labels {
			return verses[i]
		}
		switch lang {
		case "de":
			return fmt.Sprintf("Strophe %d:\n%s", i+1, verses[i])
		case "zh":
			return fmt.Sprintf("第%d段：\n%s", i+1, verses[i])
		}
		return fmt.Sprintf("Verse %d:\n%s", i+1, verses[i])
	}
	ch := chorus
	if labels {
		ch = map[string]string{"en": "Chorus:", "de": "Refrain:", "zh": "副歌："}[lang] + "\n" + chorus
	}
	parts := []string{verse(0), ch, verse(1), ch}
	for i := 2; i < len(verses); i++ {
		parts = append(parts, verse(i))
	}
	return strings.Join(parts, "\n\n")
}

// oneLiners are the sentences of the prose entries that fit on one line.
func oneLiners(entries []string, zh bool) []string {
	var out []string
	seen := map[string]bool{}
	for _, e := range entries {
		for _, sp := range sentenceSpans(e, zh) {
			s := e[sp.start:sp.end]
			if strings.ContainsAny(s, "\"“„") || seen[s] {
				continue
			}
			n := utf8.RuneCountInString(s)
			if (zh && n >= 8 && n <= 60) || (!zh && n >= 25 && n <= 140) {
				seen[s] = true
				out = append(out, s)
			}
		}
	}
	return out
}

func makeList(r *rand.Rand, lines []string, lang string) string {
	markers := map[string][]string{
		"en": {"%d. ", "%d) ", "- ", "* ", "Step %d: ", "(%d) "},
		"de": {"%d. ", "%d) ", "- ", "Schritt %d: "},
		"zh": {"%d、", "第%d条：", "%d. "},
	}[lang]
	titles := map[string][]string{
		"en": {"", "Notes from the week", "Things to remember:", "Overheard"},
		"de": {"", "Notizen", "Zum Merken:"},
		"zh": {"", "备忘：", "本周要点"},
	}[lang]
	m := pick(r, markers)
	n := between(r, 5, min(15, len(lines)))
	idx := r.Perm(len(lines))[:n]
	var b strings.Builder
	if title := pick(r, titles); title != "" {
		b.WriteString(title + "\n")
	}
	for i, k := range idx {
		if strings.Contains(m, "%d") {
			fmt.Fprintf(&b, m, i+1)
		} else {
			b.WriteString(m)
		}
		b.WriteString(lines[k] + "\n")
	}
	return strings.TrimRight(b.String(), "\n")
}

// insertInterjection puts a short interjection at a clause or sentence
// boundary of text.
func insertInterjection(r *rand.Rand, text, lang string) (string, string) {
	type ij struct {
		word, sep string
	}
	opts := map[string][]ij{
		"en": {{"ha", " "}, {"no", ", "}, {"la", "-"}, {"very", " "}, {"well", ", "}},
		"de": {{"nein", ", "}, {"ja", ", "}, {"na", " "}},
		"zh": {{"哈", ""}, {"不", ""}, {"好", ""}},
	}[lang]
	o := pick(r, opts)
	k := between(r, 2, 5)
	if o.sep != "" {
		k = max(k, 2)
	}
	ins := strings.Repeat(o.word+o.sep, k-1) + o.word
	var cands []int
	for i, c := range text {
		if i > 0 && (c == ',' || c == '.' || c == '，' || c == '。') && i+utf8.RuneLen(c) < len(text) {
			cands = append(cands, i+utf8.RuneLen(c))
		}
	}
	at := pick(r, cands)
	if lang == "zh" {
		return text[:at] + ins + "，" + text[at:], ins
	}
	return text[:at] + " " + ins + "," + text[at:], ins
}

func goRoot() string {
	if g := runtime.GOROOT(); g != "" { //nolint:staticcheck // the brief asks for the toolchain's own source
		return g
	}
	out, err := exec.Command("go", "env", "GOROOT").Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
}

// codeExcerpt is one or more consecutive top-level functions (with their
// doc comments) of a package in GOROOT, 300–3000 bytes, or "".
func codeExcerpt(r *rand.Rand, root, pkg string) (string, string) {
	dir := filepath.Join(root, "src", filepath.FromSlash(pkg))
	files, _ := filepath.Glob(filepath.Join(dir, "*.go"))
	files = slices.DeleteFunc(files, func(f string) bool { return strings.HasSuffix(f, "_test.go") })
	if len(files) == 0 {
		return "", ""
	}
	for range 50 {
		f := pick(r, files)
		src, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		fset := token.NewFileSet()
		af, err := parser.ParseFile(fset, f, src, parser.ParseComments)
		if err != nil {
			continue
		}
		var funcs []*ast.FuncDecl
		for _, d := range af.Decls {
			if fd, ok := d.(*ast.FuncDecl); ok {
				funcs = append(funcs, fd)
			}
		}
		if len(funcs) == 0 {
			continue
		}
		i := r.IntN(len(funcs))
		startPos := funcs[i].Pos()
		if funcs[i].Doc != nil {
			startPos = funcs[i].Doc.Pos()
		}
		start := fset.Position(startPos).Offset
		j := i
		end := fset.Position(funcs[j].End()).Offset
		for end-start < 300 && j+1 < len(funcs) {
			j++
			end = fset.Position(funcs[j].End()).Offset
		}
		if n := end - start; n < 300 || n > 3000 {
			continue
		}
		return string(src[start:end]), fmt.Sprintf("goroot:src/%s/%s#%s", pkg, filepath.Base(f), funcs[i].Name.Name)
	}
	return "", ""
}

var (
	adjectives = []string{"Compact", "Heavy-duty", "Portable", "Classic", "Wireless", "Folding", "Stainless", "Cordless", "Ergonomic", "Vintage", "Quiet", "Smart"}
	nouns      = []string{"Kettle", "Desk Lamp", "Backpack", "Drill", "Blender", "Chair", "Thermos", "Speaker", "Bicycle Pump", "Toaster", "Umbrella", "Router", "Notebook", "Tent"}
	cities     = []string{"Lisbon", "Oslo", "Tartu", "Graz", "Lyon", "Porto", "Turku", "Bergen", "Gdansk", "Brno", "Bilbao", "Cork", "Malmo", "Ghent"}
	firsts     = []string{"Alice", "Bruno", "Chiara", "Dmitri", "Elif", "Farid", "Greta", "Hiro", "Ines", "Jonas", "Kemal", "Lena", "Mateo", "Nora", "Oskar", "Priya"}
	lasts      = []string{"Novak", "Schmidt", "Rossi", "Haddad", "Larsen", "Okafor", "Silva", "Tanaka", "Varga", "Weber", "Yilmaz", "Moreau"}
)

func makeJSON(r *rand.Rand, i int) (string, string) {
	n := between(r, 4, 25)
	var objs []map[string]any
	kind := i % 5
	seen := map[string]bool{}
	for tries := 0; len(objs) < n && tries < 2000; tries++ {
		var o map[string]any
		var key string
		switch kind {
		case 0: // product records
			name := pick(r, adjectives) + " " + pick(r, nouns)
			key = name
			o = map[string]any{"sku": fmt.Sprintf("SK-%05d", r.IntN(100000)), "name": name,
				"price": float64(r.IntN(20000))/100 + 1, "in_stock": r.IntN(3) > 0, "category": pick(r, []string{"kitchen", "garden", "office", "outdoor"})}
		case 1: // config table
			svc := pick(r, []string{"auth", "billing", "search", "mailer", "cache", "gateway", "reports", "uploads", "scheduler", "metrics", "audit", "export"})
			env := pick(r, []string{"dev", "staging", "prod"})
			key = svc + env
			o = map[string]any{"service": svc, "environment": env, "replicas": between(r, 1, 12),
				"memory_mb": pick(r, []int{256, 512, 1024, 2048}), "log_level": pick(r, []string{"info", "warn", "debug"}), "enabled": r.IntN(4) > 0}
		case 2: // people
			first, last := pick(r, firsts), pick(r, lasts)
			key = first + last
			o = map[string]any{"id": r.IntN(9000) + 1000, "first_name": first, "last_name": last,
				"email": strings.ToLower(first+"."+last) + "@example.org", "office": pick(r, cities), "active": r.IntN(5) > 0}
		case 3: // weather stations
			city := pick(r, cities)
			key = city + pick(r, []string{" Airport", " Harbour", " Centre", " Hill"})
			o = map[string]any{"station": key, "code": strings.ToUpper(city[:3]) + fmt.Sprint(between(r, 1, 9)),
				"lat": float64(between(r, 36000, 70000)) / 1000, "lon": float64(between(r, -9000, 30000)) / 1000, "elevation_m": between(r, 2, 900)}
		default: // flag table, like the MSBuild tables
			flag := pick(r, []string{"Optimize", "WarningLevel", "DebugInfo", "RuntimeLibrary", "Inline", "FloatModel", "Exceptions", "StringPooling", "BufferCheck", "TreatWarnings", "CallingConvention", "OmitFramePointers"})
			key = flag
			o = map[string]any{"name": flag, "switch": "/" + strings.ToLower(flag[:2]) + fmt.Sprint(r.IntN(4)),
				"comment": pick(r, []string{"Disabled", "Enabled", "Level 1", "Level 2", "Full", "Minimal"}), "value": fmt.Sprint(r.IntN(4)), "flags": []string{}}
		}
		if seen[key] {
			continue
		}
		seen[key] = true
		objs = append(objs, o)
	}
	var v any = objs
	wrap := r.IntN(3) == 0
	if wrap {
		v = map[string]any{pick(r, []string{"items", "records", "data", "entries"}): objs}
	}
	var b []byte
	switch r.IntN(3) {
	case 0:
		b, _ = json.Marshal(v)
	case 1:
		b, _ = json.MarshalIndent(v, "", "  ")
	default:
		b, _ = json.MarshalIndent(v, "", "    ")
	}
	return string(b), fmt.Sprintf("synthetic json kind %d, %d objects, wrapped=%v", kind, len(objs), wrap)
}

func makeTable(r *rand.Rand, i int) (string, string) {
	n := between(r, 5, 30)
	var head []string
	var rows [][]string
	seen := map[string]bool{}
	add := func(key string, row ...string) {
		if !seen[key] {
			seen[key] = true
			rows = append(rows, row)
		}
	}
	var title string
	switch i % 5 {
	case 0:
		title, head = "Inventory", []string{"Item", "Category", "Warehouse", "Qty"}
		for tries := 0; len(rows) < n && tries < 1000; tries++ {
			it := pick(r, adjectives) + " " + pick(r, nouns)
			add(it, it, pick(r, []string{"Kitchen", "Garden", "Office"}), pick(r, []string{"North", "South"}), fmt.Sprint(r.IntN(500)))
		}
	case 1:
		title, head = "Staff", []string{"Name", "Department", "Office", "Ext."}
		for tries := 0; len(rows) < n && tries < 1000; tries++ {
			nm := pick(r, firsts) + " " + pick(r, lasts)
			add(nm, nm, pick(r, []string{"Finance", "Sales", "Engineering", "Support"}), pick(r, cities), fmt.Sprint(between(r, 100, 999)))
		}
	case 2:
		title, head = "Departures", []string{"Time", "Destination", "Platform", "Status"}
		for tries := 0; len(rows) < n && tries < 1000; tries++ {
			tm := fmt.Sprintf("%02d:%02d", between(r, 5, 23), 5*r.IntN(12))
			add(tm, tm, pick(r, cities), pick(r, []string{"1", "2", "3", "4a"}), pick(r, []string{"On time", "On time", "Delayed", "Cancelled"}))
		}
	case 3:
		title, head = "Weather", []string{"City", "Condition", "High", "Low"}
		for tries := 0; len(rows) < n && tries < 1000; tries++ {
			c := pick(r, cities)
			hi := between(r, 5, 30)
			add(c, c, pick(r, []string{"Sunny", "Cloudy", "Rain", "Showers"}), fmt.Sprint(hi), fmt.Sprint(hi-between(r, 3, 12)))
		}
	default:
		title, head = "Regions", []string{"Code", "Name", "Type", "Parent"}
		for tries := 0; len(rows) < n && tries < 1000; tries++ {
			nm := pick(r, cities) + " " + pick(r, []string{"North", "South", "East", "West", "Central", "Upper", "Lower"})
			code := fmt.Sprintf("XR-%02d", r.IntN(100))
			add(code, code, nm, pick(r, []string{"District", "District", "Province", "Municipality"}), pick(r, []string{"XR", "XR-N", "XR-S"}))
		}
	}
	var b strings.Builder
	if r.IntN(2) == 0 {
		fmt.Fprintf(&b, "Table: %s\n\n", title)
	}
	b.WriteString("| " + strings.Join(head, " | ") + " |\n|")
	align := pick(r, []string{" --- |", " ---: |", " :--- |"})
	b.WriteString(strings.Repeat(align, len(head)) + "\n")
	for _, row := range rows {
		b.WriteString("| " + strings.Join(row, " | ") + " |\n")
	}
	return strings.TrimRight(b.String(), "\n"), fmt.Sprintf("synthetic table %s, %d rows", title, len(rows))
}

// ---------------------------------------------------------------------
// Trivial edits for homogeneous groups.

var synonyms = map[string][]string{
	"en": {"big", "large", "little", "small", "happy", "glad", "said", "replied", "quickly", "fast", "started", "began", "very", "really", "went", "walked"},
	"de": {"groß", "riesig", "klein", "winzig", "schnell", "rasch", "sagte", "meinte", "immer", "stets", "alte", "frühere"},
	"zh": {"非常", "十分", "说", "讲", "很", "挺", "开始", "着手", "已经", "早已"},
}

func trivialEdit(r *rand.Rand, text, lang string) (string, string) {
	for range 10 {
		switch r.IntN(5) {
		case 0: // synonym swap
			syn := synonyms[lang]
			k := 2 * r.IntN(len(syn)/2)
			from, to := syn[k], syn[k+1]
			if lang != "zh" {
				from = " " + from + " "
				to = " " + to + " "
			}
			if strings.Contains(text, from) {
				return strings.Replace(text, from, to, 1), "synonym"
			}
		case 1: // punctuation
			for _, p := range [][2]string{{". ", "! "}, {", ", " "}, {"，", "、"}, {"。", "！"}} {
				if strings.Contains(text, p[0]) && r.IntN(2) == 0 {
					return strings.Replace(text, p[0], p[1], 1), "punctuation"
				}
			}
		case 2: // whitespace
			if i := strings.LastIndex(text[:len(text)/2+1], " "); i > 0 {
				return text[:i] + pick(r, []string{"\n", "  "}) + text[i+1:], "whitespace"
			}
			if i := strings.Index(text, "。"); i > 0 && i+3 < len(text) {
				return text[:i+3] + "\n" + text[i+3:], "whitespace"
			}
		case 3: // drop the last 1–4 words (zh: characters)
			k := between(r, 1, 4)
			if lang == "zh" {
				rs := []rune(text)
				return string(rs[:len(rs)-k]), fmt.Sprintf("dropped last %d chars", k)
			}
			ws := wordSpans(text)
			return text[:ws[len(ws)-1-k].end], fmt.Sprintf("dropped last %d words", k)
		case 4: // capitalisation
			if lang == "zh" {
				continue
			}
			ws := wordSpans(text)
			w := ws[r.IntN(len(ws))]
			word := text[w.start:w.end]
			first, n := utf8.DecodeRuneInString(word)
			swapped := unicode.ToUpper(first)
			if unicode.IsUpper(first) {
				swapped = unicode.ToLower(first)
			}
			if swapped != first {
				return text[:w.start] + string(swapped) + word[n:] + text[w.end:], "capitalisation"
			}
		}
	}
	return text, "none"
}

// ---------------------------------------------------------------------
// stories260K.

type heldoutModel struct {
	e *generate.Engine
}

func loadHeldoutModel(t *testing.T) heldoutModel {
	t.Helper()
	dir, err := shared.Models()
	require.NoError(t, err)
	m, err := model.Load(filepath.Join(dir, "stories260K.bin"), model.LoadOptions{})
	require.NoError(t, err)
	t.Cleanup(func() { m.Close() })
	tok, err := tokenizer.New(m.Vocab)
	require.NoError(t, err)
	pool := kernels.NewPool(1)
	t.Cleanup(pool.Close)
	e, err := generate.NewEngine(m, tok, pool, model.StateOptions{})
	require.NoError(t, err)
	return heldoutModel{e}
}

func (h heldoutModel) greedy(t *testing.T, prompt string) string {
	res, err := h.e.Generate(prompt, generate.Params{MaxNewTokens: 512}, nil)
	require.NoError(t, err)
	return strings.TrimLeft(res.Text, " \n")
}

func (h heldoutModel) sample(t *testing.T, prompt string, seed uint64) string {
	p := generate.DefaultParams()
	p.DoSample, p.Temperature, p.TopP, p.Seed, p.MaxNewTokens = true, 1.0, 0.9, seed, 256
	res, err := h.e.Generate(prompt, p, nil)
	require.NoError(t, err)
	return strings.TrimSpace(res.Text)
}

// cleanSample is a sample that passes the purity rule and has ≥ 40 words.
func cleanSample(s string) bool {
	return len(strings.Fields(s)) >= 40 && purityViolation(s, false, true) == ""
}

// ---------------------------------------------------------------------
// The held-out set.

func buildHeldout(t *testing.T) []Record {
	// DEGEN_HELDOUT_SEED draws another realisation of the injected and
	// generated records (the model outputs stay the same).
	s1 := uint64(heldoutSeed)
	if v := os.Getenv("DEGEN_HELDOUT_SEED"); v != "" {
		n, err := strconv.ParseUint(v, 10, 64)
		require.NoError(t, err, "DEGEN_HELDOUT_SEED")
		s1 = n
	}
	r := rand.New(rand.NewPCG(s1, 0x5eed))
	var recs []Record
	add := func(rec Record) {
		rec.ID = fmt.Sprintf("ho-%03d", len(recs)+1)
		recs = append(recs, rec)
	}

	prose := map[string][]string{}
	for _, lang := range []string{"en", "de", "zh"} {
		prose[lang] = heldoutEntries(t, "prose_"+lang+".txt")
	}
	require.GreaterOrEqual(t, len(prose["en"]), 25)
	require.GreaterOrEqual(t, len(prose["de"]), 12)
	require.GreaterOrEqual(t, len(prose["zh"]), 12)

	// Hand-written clean texts must themselves be clean by construction.
	mustPure := func(kind, lang, text string, anywhere bool) {
		t.Helper()
		require.Empty(t, purityViolation(text, lang == "zh", anywhere), "%s/%s is not a clean text:\n%s", kind, lang, text)
	}

	// Model outputs first: greedy loops, and clean samples (also used as
	// injection bases for 30 % of en records and for groups).
	h := loadHeldoutModel(t)
	loopUnits := map[string]int{}
	for i, p := range heldoutPrompts {
		out := h.greedy(t, p)
		per, copies := tailBlock(out)
		if per == 0 {
			t.Logf("greedy %d %q: no tail block of ≥ 40 words, not used (…%q)", i, p, out[max(0, len(out)-300):])
			continue
		}
		w := strings.Fields(out)
		unit := strings.Join(w[len(w)-per:], " ")
		if loopUnits[unit] >= 2 { // at most 2 records per loop unit
			continue
		}
		loopUnits[unit]++
		add(Record{Text: out, Prompt: p, Label: "degenerate", Kind: "model_loop", Lang: "en",
			Source: fmt.Sprintf("stories260K:greedy:n512:prompt=%q", p), Note: fmt.Sprintf("period_words=%d copies=%.2f", per, copies)})
	}
	var samples []base // clean samples for injection and homogeneous groups
	seed := uint64(700000)
	for _, p := range heldoutPrompts {
		kept := 0
		for try := 0; try < 6 && kept < 3; try++ {
			seed++
			s := h.sample(t, p, seed)
			if !cleanSample(s) {
				continue
			}
			src := fmt.Sprintf("stories260K:sample:t1.0:p0.9:seed%d:n256:prompt=%q", seed, p)
			if kept < 2 {
				add(Record{Text: s, Prompt: p, Label: "clean", Kind: "model_sampled", Lang: "en", Source: src})
			} else {
				samples = append(samples, base{s, "en", src})
			}
			kept++
		}
	}
	require.GreaterOrEqual(t, len(samples), 8, "clean samples for bases and groups")

	// Clean prose.
	for _, lang := range []string{"en", "de", "zh"} {
		for i, e := range prose[lang] {
			mustPure("prose", lang, e, true)
			add(Record{Text: e, Label: "clean", Kind: "prose", Lang: lang, Source: fmt.Sprintf("heldout:prose_%s#%d", lang, i)})
		}
	}

	// Injected loops.
	counts := map[string]int{"en": 14, "de": 8, "zh": 8}
	nearModes := map[string][]string{"en": {"variation", "alternate", "counter", "substitute"}, "de": {"variation", "alternate", "counter", "substitute"}, "zh": {"variation", "alternate", "counter"}}
	sampleBases := samples[3:] // samples[:3] are the homogeneous-group bases
	for _, kind := range []string{"word_loop", "phrase_loop", "sentence_loop", "paragraph_loop", "near_loop"} {
		for _, lang := range []string{"en", "de", "zh"} {
			for i := range counts[lang] {
				var b base
				for b.text == "" || (kind == "near_loop" && len(nearSentences(b)) < 2) {
					if lang == "en" && r.IntN(10) < 3 {
						b = pick(r, sampleBases)
					} else {
						k := r.IntN(len(prose[lang]))
						b = base{prose[lang][k], lang, fmt.Sprintf("heldout:prose_%s#%d", lang, k)}
					}
				}
				// Paragraph loops need room for a 30–120-word block.
				if kind == "paragraph_loop" {
					if (lang == "zh" && utf8.RuneCountInString(b.text) < 120) || (lang != "zh" && len(strings.Fields(b.text)) < 80) {
						k := r.IntN(len(prose[lang]))
						b.text += "\n\n" + prose[lang][k]
						b.src += fmt.Sprintf("+heldout:prose_%s#%d", lang, k)
					}
				}
				var text, note string
				switch kind {
				case "word_loop":
					text, note = makeWordLoop(r, b)
				case "phrase_loop":
					text, note = makePhraseLoop(r, b)
				case "sentence_loop":
					text, note = makeSentenceLoop(r, b)
				case "paragraph_loop":
					text, note = makeParagraphLoop(r, b)
				case "near_loop":
					modes := nearModes[lang]
					text, note = makeNearLoop(r, b, modes[i%len(modes)])
				}
				add(Record{Text: text, Label: "degenerate", Kind: kind, Lang: lang, Source: b.src, Note: "injected: " + note})
			}
		}
	}

	// Poems and songs.
	for _, lang := range []string{"en", "de", "zh"} {
		for i, e := range heldoutEntries(t, "poems_"+lang+".txt") {
			mustPure("poem", lang, e, true)
			add(Record{Text: e, Label: "clean", Kind: "hardneg_poem", Lang: lang, Source: fmt.Sprintf("heldout:poems_%s#%d", lang, i)})
		}
		for i, e := range heldoutEntries(t, "songs_"+lang+".txt") {
			s := makeSong(r, e, lang)
			mustPure("song", lang, s, true)
			add(Record{Text: s, Label: "clean", Kind: "hardneg_song", Lang: lang, Source: fmt.Sprintf("heldout:songs_%s#%d", lang, i), Note: "chorus appears exactly twice, separated by a verse"})
		}
	}

	// Legal: consecutive pairs of clauses, non-overlapping.
	clauses := heldoutEntries(t, "legal_en.txt")
	for i := 0; i+1 < len(clauses); i += 2 {
		text := clauses[i] + "\n\n" + clauses[i+1]
		mustPure("legal", "en", text, false)
		add(Record{Text: text, Label: "clean", Kind: "hardneg_legal", Lang: "en", Source: fmt.Sprintf("heldout:legal_en#%d-%d", i, i+1)})
	}

	// Code from GOROOT: one excerpt per package.
	root := goRoot()
	require.NotEmpty(t, root, "GOROOT")
	nCode := 0
	for _, pkg := range []string{"strings", "sort", "bufio", "bytes", "unicode/utf8", "container/list", "container/heap", "text/tabwriter", "path", "encoding/csv", "strconv", "encoding/hex", "math/bits", "container/ring"} {
		if nCode == 12 {
			break
		}
		code, src := codeExcerpt(r, root, pkg)
		if code == "" || purityViolation(code, false, false) != "" {
			continue
		}
		nCode++
		add(Record{Text: code, Label: "clean", Kind: "hardneg_code", Lang: "code", Source: src})
	}
	require.Equal(t, 12, nCode, "code excerpts")

	for i := range 10 {
		for {
			js, note := makeJSON(r, i)
			if purityViolation(js, false, false) == "" {
				add(Record{Text: js, Label: "clean", Kind: "hardneg_json", Lang: "json", Source: "synthetic", Note: note})
				break
			}
		}
		for {
			tb, note := makeTable(r, i)
			if purityViolation(tb, false, false) == "" {
				add(Record{Text: tb, Label: "clean", Kind: "hardneg_table", Lang: "md", Source: "synthetic", Note: note})
				break
			}
		}
	}

	// Lists and interjections.
	for lang, n := range map[string]int{"en": 5, "de": 3, "zh": 2} {
		lines := oneLiners(prose[lang], lang == "zh")
		for range n {
			l := makeList(r, lines, lang)
			mustPure("list", lang, l, true)
			add(Record{Text: l, Label: "clean", Kind: "hardneg_list", Lang: lang, Source: "heldout:prose_" + lang + " sentences"})
		}
	}
	for lang, n := range map[string]int{"en": 5, "de": 3, "zh": 2} {
		for _, k := range r.Perm(len(prose[lang]))[:n] {
			text, ins := insertInterjection(r, prose[lang][k], lang)
			mustPure("interjection", lang, text, true)
			add(Record{Text: text, Label: "clean", Kind: "hardneg_interjection", Lang: lang, Source: fmt.Sprintf("heldout:prose_%s#%d", lang, k), Note: fmt.Sprintf("inserted interjection %q", ins)})
		}
	}

	// Groups of 4.
	homBases := []base{samples[0], samples[1], samples[2],
		{prose["en"][3], "en", "heldout:prose_en#3"}, {prose["de"][6], "de", "heldout:prose_de#6"}, {prose["zh"][7], "zh", "heldout:prose_zh#7"}}
	for g, b := range homBases {
		name := fmt.Sprintf("ho-gh-%d", g+1)
		for c := range 4 {
			text, edits := b.text, []string{}
			for range r.IntN(4) {
				var e string
				text, e = trivialEdit(r, text, b.lang)
				edits = append(edits, e)
			}
			add(Record{Text: text, Group: name, Label: "degenerate", Kind: "group_homogeneous", Lang: b.lang, Source: b.src,
				Note: fmt.Sprintf("copy %d; trivial edits: %s", c+1, strings.Join(edits, ", "))})
		}
	}
	// Diverse groups: 4 samples of one prompt with different seeds (4
	// groups), 4 different zh poems, 4 different de prose texts.
	for g := range 4 {
		p := heldoutPrompts[(3*g+1)%len(heldoutPrompts)]
		name := fmt.Sprintf("ho-gd-%d", g+1)
		got := 0
		for try := 0; got < 4 && try < 12; try++ {
			s := h.sample(t, p, uint64(800000+100*g+try))
			if !cleanSample(s) {
				continue
			}
			got++
			add(Record{Text: s, Prompt: p, Group: name, Label: "clean", Kind: "group_diverse", Lang: "en", Note: "same prompt, different seed"})
		}
		require.Equal(t, 4, got, "diverse group %s", name)
	}
	zhPoems := heldoutEntries(t, "poems_zh.txt")
	for i := range 4 {
		add(Record{Text: zhPoems[2*i], Group: "ho-gd-5", Label: "clean", Kind: "group_diverse", Lang: "zh", Note: "different poems"})
	}
	for i := range 4 {
		add(Record{Text: prose["de"][3*i], Group: "ho-gd-6", Label: "clean", Kind: "group_diverse", Lang: "de", Note: "different texts"})
	}
	return recs
}

// TestEvaluateHeldout holds the default detector to the project's targets
// on a held-out set built like the public one from other texts: overall F1
// ≥ 0.95 and ≥ 97 % of hard negatives left clean.
func TestEvaluateHeldout(t *testing.T) {
	recs := buildHeldout(t)
	kinds := map[string]int{}
	for _, rec := range recs {
		kinds[rec.Kind]++
	}
	names := make([]string, 0, len(kinds))
	for k := range kinds {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		t.Logf("%-22s %d", k, kinds[k])
	}

	rep := Evaluate(recs)
	t.Logf("held-out set: %d records\n%s", len(recs), rep.Table())

	for i, pr := range rep.Predictions {
		rec := recs[i]
		if pr.Degenerate == (rec.Label == "degenerate") {
			continue
		}
		res := Detect(rec.Text, nil, DefaultOptions())
		js, _ := json.MarshalIndent(res, "", "  ")
		t.Logf("WRONG %s kind=%s lang=%s label=%s flagged=%v reasons=%v\nsource: %s\nnote: %s\ntext:\n%s\nresult:\n%s\n",
			rec.ID, rec.Kind, rec.Lang, rec.Label, pr.Degenerate, pr.Reasons, rec.Source, rec.Note, rec.Text, js)
	}

	assert.GreaterOrEqual(t, rep.Overall.F1(), 0.95, "overall F1")
	assert.GreaterOrEqual(t, rep.HardNegatives.Specificity(), 0.97, "hard negatives left clean")
	assert.GreaterOrEqual(t, rep.HardNegatives.Precision(), 0.97, "precision against hard negatives")
}
