package detect

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Reasons of the signals in this file: loops that the word units cannot
// see (they drop punctuation and keep a run without spaces as one token)
// or that need fewer copies because their unit is long.
const (
	ReasonCharRun    = "char_run"    // a run of one short character unit ("!!!!…", "nynyny…", "000…", "\n\n\n…")
	ReasonStutter    = "stutter"     // every word comes out several times in place
	ReasonLongRepeat = "long_repeat" // a long block written out twice (or more) exactly
	ReasonTurnLoop   = "turn_loop"   // the output cycles through chat turns or special tokens
)

// charRun is a run of copies of a unit of Period runes: runes
// [Start, Start+Span) of the text.
type charRun struct {
	Start, Period, Span int
	StartByte           int
}

// findCharRun returns the longest run of a unit of 1..maxCharPeriod runes
// that no writing has: at least CharRunMinSpan runes and
// CharRunMinCopies copies (a one-rune unit needs CharRunMinSpan copies),
// inside one line; whitespace-only units are counted as lines instead
// (CharRunMinBlankLines blank lines in a row). A line made only of the run,
// with no letter in its unit and at most CharRunRuleLine runes, is a
// separator or banner ("=====", "-=-=-=") and is skipped. ok is false when
// there is none.
func findCharRun(text string, opt Options) (best charRun, ok bool) {
	var buf []rune
	blank, blankStart := 0, 0 // line breaks in a row with only spaces between
	for off := 0; off < len(text); {
		end := strings.IndexByte(text[off:], '\n')
		if end < 0 {
			end = len(text)
		} else {
			end += off
		}
		line := text[off:end]
		if end < len(text) && strings.TrimLeft(line, " \t\r") == "" {
			if blank == 0 {
				blankStart = off - 1 // the break that ended the last text line
				if blankStart < 0 {
					blankStart = 0
				}
			}
			blank++
			if blank+1 >= opt.CharRunMinBlankLines && !ok {
				return charRun{Start: utf8.RuneCountInString(text[:blankStart]), StartByte: blankStart, Period: 1, Span: blank + 1}, true
			}
		} else {
			blank = 0
		}
		if len(line) >= min(opt.CharRunMinSpan, opt.CharRunPunctSpan) {
			var r charRun
			var found bool
			if isASCII(line) {
				r, found = lineCharRun(line, []byte(line), opt)
			} else {
				buf = buf[:0]
				for _, c := range line {
					buf = append(buf, c)
				}
				r, found = lineCharRun(line, buf, opt)
			}
			if found && (!ok || r.Span > best.Span) {
				r.StartByte += off
				best, ok = r, true
			}
		}
		off = end + 1
	}
	if ok {
		best.Start = utf8.RuneCountInString(text[:best.StartByte])
	}
	return best, ok
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

const maxCharPeriod = 8

// lineCharRun finds the longest qualifying run in one line (Start and
// StartByte relative to the line).
func lineCharRun[T byte | rune](line string, r []T, opt Options) (best charRun, ok bool) {
	n := len(r)
	trimmed := strings.TrimSpace(line)
	// A run of span ≥ minSpan and period p ≤ maxCharPeriod has at least
	// minSpan − maxCharPeriod consecutive positions i with r[i] == r[i−p],
	// so probing every step-th position finds each one; only probes that
	// match are extended.
	minSpan := min(opt.CharRunPunctSpan, opt.CharRunMinSpan)
	step := max(1, minSpan-maxCharPeriod)
	var covered [maxCharPeriod + 1]int // end of the last run extended, per period
	for i := step; i < n; i += step {
		for p := 1; p <= maxCharPeriod && p <= i; p++ {
			if i < covered[p] || r[i] != r[i-p] || r[i] == '\n' {
				continue
			}
			lo, hi := i, i+1 // positions j in [lo, hi) have r[j] == r[j−p]
			for lo-1 >= p && r[lo-1] == r[lo-1-p] && r[lo-1] != '\n' {
				lo--
			}
			for hi < n && r[hi] == r[hi-p] && r[hi] != '\n' {
				hi++
			}
			covered[p] = hi
			start, span := lo-p, hi-lo+p
			if span < minSpan || float64(span)/float64(p) < opt.CharRunMinCopies || span <= best.Span {
				continue
			}
			unit := runesString(r[start : start+p])
			need := opt.CharRunPunctSpan
			if isLeader(unit) || strings.IndexFunc(unit, isAlnum) >= 0 {
				need = opt.CharRunMinSpan
			}
			if span >= need && !drawing(unit) && strings.TrimSpace(unit) != "" && !ruleLine(unit, runesString(r[start:hi]), trimmed, opt) && !isWordLike(unit) {
				best = charRun{Start: start, Period: p, Span: span, StartByte: runesLen(r[:start])}
				ok = true
			}
		}
	}
	return best, ok
}

func isAlnum(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }

// isLeader reports whether unit is made of the characters writers repeat
// on purpose to draw rules, leaders and banners ("-----", "....", "=-=-",
// "////"): those need the long span and may fill a whole line.
func isLeader(unit string) bool {
	for _, c := range unit {
		if !strings.ContainsRune("-=_.*~#+/\\|:<>^·•…—–", c) && !unicode.IsSpace(c) {
			return false
		}
	}
	return true
}

// drawing reports whether unit is box-drawing or block characters
// (U+2500–U+259F): progress bars and frames in logs, never a loop.
func drawing(unit string) bool {
	for _, c := range unit {
		if c < 0x2500 || c > 0x259F {
			return false
		}
	}
	return true
}

// ruleLine reports whether the run is a whole separator line.
func ruleLine(unit, run, trimmed string, opt Options) bool {
	if !isLeader(unit) {
		return false
	}
	return utf8.RuneCountInString(trimmed) <= opt.CharRunRuleLine && len(strings.TrimSpace(strings.ReplaceAll(trimmed, run, ""))) == 0
}

// isWordLike reports whether a unit is CJK characters: those are words,
// judged by the word units' CJK copy rules.
func isWordLike(unit string) bool {
	for _, c := range unit {
		if !isCJKRune(c) {
			return false
		}
	}
	return true
}

func isCJKRune(c rune) bool {
	return unicode.Is(unicode.Han, c) || unicode.Is(unicode.Hiragana, c) || unicode.Is(unicode.Katakana, c) || unicode.Is(unicode.Hangul, c)
}

// stutter is a stretch of back-to-back runs of one token each, every run
// at least two copies ("I I I see see see what what"): tokens
// [Start, Start+Span), Runs runs.
type stutter struct {
	Start, Span, Runs int
}

// findStutter returns the longest stutter stretch of seq. A CJK token
// needs three copies in its run, since Chinese doubles characters as
// grammar (高高兴兴, 干干净净整整齐齐). inner, when not nil, gives the copies
// a token holds inside itself ("TheThe", "555"): sub-word tokens stutter
// too, and the text shows them glued into one word. One token that is no
// run may sit between two runs ("is is 2+3 is is"), since numbers and
// symbols break the words apart.
func findStutter(seq []int32, cjk []bool, inner []int, minRuns int) (best stutter) {
	// Runs are maximal, so neighbouring runs hold different tokens: the
	// stretch is never one word looping (that is a tail_loop).
	n := len(seq)
	cur := stutter{}
	gap := false // the previous token was a gap
	for i := 0; i < n; {
		j := i + 1
		for j < n && seq[j] == seq[i] {
			j++
		}
		need := 2
		if cjk != nil && cjk[i] {
			need = 3
		}
		copies := j - i
		if inner != nil && j-i == 1 {
			copies = inner[i]
		}
		switch {
		case copies >= need:
			if cur.Runs == 0 {
				cur.Start = i
			}
			cur.Runs++
			cur.Span = j - cur.Start
			gap = false
			if cur.Runs >= minRuns && cur.Span > best.Span {
				best = cur
			}
		case cur.Runs > 0 && !gap:
			gap = true
		default:
			cur, gap = stutter{}, false
		}
		i = j
	}
	return best
}

// innerCopies is the number of copies of a shorter unit that token is made
// of ("thethe" → 2, "555" → 3, "bunny" → 1).
func innerCopies(tok string) int {
	n := len(tok)
	for p := 1; 2*p <= n; p++ {
		if n%p != 0 || !utf8.RuneStart(tok[p%n]) {
			continue
		}
		ok := true
		for i := p; i < n; i++ {
			if tok[i] != tok[i-p] {
				ok = false
				break
			}
		}
		if ok {
			return n / p
		}
	}
	return 1
}

// longRepeat is the longest exact repeat of at least minLen tokens found
// by hashing k-grams: tokens [First, First+Len) equal [Second, Second+Len).
type longRepeat struct {
	First, Second, Len int
}

// findLongRepeat returns the longest stretch that occurs twice, measured
// from k-gram matches at one distance: each k-gram is looked up in a map of
// its last position; consecutive matches at the same distance extend one
// repeated stretch. Cost O(n).
func findLongRepeat(seq []int32, k int) (best longRepeat) {
	n := len(seq)
	if n < 2*k {
		return
	}
	const mul = 1000003
	var pow uint64 = 1
	for range k {
		pow *= mul
	}
	var h uint64
	last := make(map[uint64]int, n)
	dist, runLen := 0, 0
	for i := 0; i < n; i++ {
		h = h*mul + uint64(uint32(seq[i])) + 1
		if i >= k {
			h -= pow * (uint64(uint32(seq[i-k])) + 1)
		}
		if i < k-1 {
			continue
		}
		s := i - k + 1 // start of this k-gram
		j, seen := last[h]
		last[h] = s
		if seen && s-j == dist && runLen > 0 {
			runLen++
		} else if seen && s-j >= k && equal(seq[j:j+k], seq[s:s+k]) {
			dist, runLen = s-j, 1
		} else {
			dist, runLen = 0, 0
			continue
		}
		l := runLen + k - 1
		if l > dist { // overlapping: it is a loop of period dist, not two copies
			l = dist
		}
		if l > best.Len {
			best = longRepeat{First: s - runLen + 1 - dist, Second: s - runLen + 1, Len: l}
		}
	}
	return best
}

func equal(a, b []int32) bool {
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// turnMarkers counts the role headers of chat templates in text (ChatML,
// Llama 3, Gemma, Llama 2 [INST], Phi) per role, and the longest run of
// special tokens with only whitespace between them. A model that writes
// the next user turn itself, or emits </s></s></s>, has lost its stop
// token.
func turnMarkers(text string) (user, assistant, specialRun int) {
	run := 0
	for i := 0; i < len(text); {
		l := specialTokenLen(text[i:])
		if l == 0 {
			next := strings.IndexAny(text[i+1:], "<[\n#")
			if next < 0 {
				next = len(text) - i - 1
			}
			if strings.TrimLeft(text[i:i+1+next], " \n\t\r") != "" {
				run = 0
			}
			i += 1 + next
			continue
		}
		tok := text[i : i+l]
		if tok[0] == '#' || tok[0] == '\n' {
			switch {
			case strings.Contains(tok, "Human") || strings.Contains(tok, "Instruction"):
				user++
			default:
				assistant++
			}
			i += l
			continue
		}
		run++
		specialRun = max(specialRun, run)
		rest := strings.TrimLeft(text[i+l:], " \n")
		role := ""
		switch tok {
		case "[INST]", "<|user|>":
			role = "user"
		case "[/INST]", "<|assistant|>":
			role = "assistant"
		case "<|im_start|>", "<start_of_turn>", "<|start_header_id|>":
			switch {
			case strings.HasPrefix(rest, "user"):
				role = "user"
			case strings.HasPrefix(rest, "assistant"), strings.HasPrefix(rest, "model"):
				role = "assistant"
			}
		}
		switch role {
		case "user":
			user++
		case "assistant":
			assistant++
		}
		i += l
	}
	return user, assistant, specialRun
}

// specialTokenLen is the length of the special token that starts s, or 0:
// <|…|> (no spaces inside), <s>, </s>, <eos>, <bos>, <pad>, <unk>,
// <start_of_turn>, <end_of_turn>, [INST], [/INST].
func specialTokenLen(s string) int {
	if len(s) < 3 {
		return 0
	}
	switch s[0] {
	case '\n', '#':
		// Alpaca/Vicuna headers at a line start: "### Human:", "### Assistant:".
		h := strings.TrimPrefix(s, "\n")
		for _, t := range []string{"### Human:", "### Assistant:", "### Instruction:", "### Response:"} {
			if strings.HasPrefix(h, t) {
				return len(s) - len(h) + len(t)
			}
		}
	case '<':
		if strings.HasPrefix(s, "<|") {
			e := strings.Index(s[2:], "|>")
			if e < 0 || e > 40 || strings.ContainsAny(s[2:2+e], " \n<") {
				return 0
			}
			return e + 4
		}
		for _, t := range []string{"<s>", "</s>", "<eos>", "<bos>", "<pad>", "<unk>", "<start_of_turn>", "<end_of_turn>"} {
			if strings.HasPrefix(s, t) {
				return len(t)
			}
		}
	case '[':
		for _, t := range []string{"[INST]", "[/INST]"} {
			if strings.HasPrefix(s, t) {
				return len(t)
			}
		}
	}
	return 0
}

// extraSignals runs the character, stutter, long-repeat and chat-turn
// checks and records the first loop they locate when none is set.
func extraSignals(text string, ids []int, u *units, seq []int32, runs []run, opt Options, res *Result) {
	s := &res.Signals
	setLoop := func(l *Loop) {
		if res.Loop == nil {
			res.Loop = l
		}
	}
	if cr, ok := findCharRun(text, opt); ok {
		s.CharRunPeriod, s.CharRunSpan = cr.Period, cr.Span
		res.flag(ReasonCharRun)
		unit := text[cr.StartByte:]
		if _, sz := firstRunes(unit, cr.Period); sz > 0 {
			unit = unit[:sz]
		}
		setLoop(&Loop{StartChar: cr.Start, StartByte: cr.StartByte, StartToken: tokenAt(u, cr.StartByte), Unit: unit,
			Period: cr.Period, Copies: round4(float64(cr.Span) / float64(cr.Period)), SpanTokens: -1})
	}

	var cjk []bool
	var inner []int
	if ids == nil {
		cjk = u.cjk
		inner = make([]int, len(u.norm))
		for i, t := range u.norm {
			inner[i] = 1
			if len(t) >= 2 && !u.cjk[i] {
				inner[i] = innerCopies(t)
			}
		}
	}
	if st := findStutter(seq, cjk, inner, opt.StutterMinRuns); st.Runs > 0 {
		s.StutterRuns = st.Runs
		res.flag(ReasonStutter)
		setLoop(tokenLoop(text, u, ids != nil, st.Start, st.Span, 1, float64(st.Span)/float64(st.Runs)))
	}

	// A long block twice and into a third copy: a chorus sung twice ends
	// there, a loop runs on until the budget cuts it.
	for _, r := range append(runs, tailRunsList(seq, opt.MaxPeriod)...) {
		need := opt.LongPartialTokens
		if ids == nil && mostlyCJK(u.cjk[r.Start:r.Start+r.Period]) {
			need *= 2
		}
		if r.Period >= need && r.copies() >= opt.LongPartialCopies {
			res.flag(ReasonLongRepeat)
			setLoop(tokenLoop(text, u, ids != nil, r.Start, r.Span, r.Period, r.copies()))
			break
		}
	}

	lr := findLongRepeat(seq, 16)
	s.LongRepeat = lr.Len
	if lr.Len > 0 {
		need, needGap := opt.LongRepeatTokens, opt.LongRepeatGapTokens
		if ids == nil && mostlyCJK(u.cjk[lr.First:lr.First+lr.Len]) {
			need, needGap = 2*need, 2*needGap
		}
		adjacent := lr.Second-lr.First == lr.Len
		if (adjacent && lr.Len >= need) || lr.Len >= needGap {
			res.flag(ReasonLongRepeat)
			setLoop(tokenLoop(text, u, ids != nil, lr.First, lr.Second+lr.Len-lr.First, lr.Second-lr.First, 2))
		}
	}

	user, asst, special := turnMarkers(text)
	s.SpecialRun = special
	if (user >= opt.TurnLoopTurns && asst >= 1) || special >= opt.SpecialRunTokens {
		res.flag(ReasonTurnLoop)
	}
}

// firstRunes returns the first n runes of s and their byte length.
func firstRunes(s string, n int) (string, int) {
	b := 0
	for i := 0; i < n && b < len(s); i++ {
		_, sz := utf8.DecodeRuneInString(s[b:])
		b += sz
	}
	return s[:b], b
}

// tokenLoop describes a loop over tokens [start, start+span) with a block
// of period tokens.
func tokenLoop(text string, u *units, fromIDs bool, start, span, period int, copies float64) *Loop {
	l := &Loop{StartChar: -1, StartByte: -1, StartToken: start, Period: period, Copies: round4(copies), SpanTokens: span}
	if !fromIDs && start+period <= len(u.start) {
		l.StartByte = u.start[start]
		l.StartChar = utf8.RuneCountInString(text[:l.StartByte])
		l.Unit = text[u.start[start]:u.end[start+period-1]]
	}
	return l
}

// tailRunsList collects the tail runs of at least two copies.
func tailRunsList(seq []int32, maxPeriod int) []run {
	var out []run
	tailRuns(seq, maxPeriod, nil, func(r run) bool {
		if r.Span >= 2*r.Period {
			out = append(out, r)
		}
		return true
	})
	return out
}

// LongestCharRun returns the longest character run of text that makes a
// char_run under opt: bytes [start, end) hold copies of unit. ok is false
// when there is none.
func LongestCharRun(text string, opt Options) (start, end int, unit string, ok bool) {
	cr, ok := findCharRun(text, opt)
	if !ok {
		return 0, 0, "", false
	}
	u, _ := firstRunes(text[cr.StartByte:], cr.Period)
	end = cr.StartByte
	for i := 0; i < cr.Span && end < len(text); i++ {
		_, sz := utf8.DecodeRuneInString(text[end:])
		end += sz
	}
	return cr.StartByte, end, u, true
}

// FindStutter returns the longest stutter stretch of seq as tokens
// [start, start+span): at least minRuns back-to-back runs of one token
// each, every run at least two copies (three where cjk marks a CJK token;
// cjk may be nil). span is 0 when there is none.
func FindStutter(seq []int32, cjk []bool, minRuns int) (start, span int) {
	st := findStutter(seq, cjk, nil, minRuns)
	return st.Start, st.Span
}

// runesLen is the UTF-8 length of r (bytes are ASCII here).
func runesLen[T byte | rune](r []T) int {
	n := 0
	for _, c := range r {
		n += utf8.RuneLen(rune(c))
	}
	return n
}

func runesString[T byte | rune](r []T) string {
	var b strings.Builder
	for _, c := range r {
		b.WriteRune(rune(c))
	}
	return b.String()
}
