package detect

import (
	"math"
	"unicode"
	"unicode/utf8"
)

// Reason names, stable: they are written into records and matched by
// downstream filters.
const (
	ReasonTailLoop         = "tail_loop"         // the output ends in exact copies of a block
	ReasonRepeatedSentence = "repeated_sentence" // one sentence repeated back to back
	ReasonRepeatedPhrase   = "repeated_phrase"   // a long run of copies somewhere before the end
	ReasonLowEntropy       = "low_entropy"       // very few distinct tokens for the length
	ReasonNearLoop         = "near_loop"         // the tail is copies with small variations
	ReasonHomogeneousGroup = "homogeneous_group" // the outputs of one prompt are near-identical
	ReasonNearDuplicateOf  = "near_duplicate_of" // the text nearly duplicates another record's
)

// CopyRule says how many copies a block of up to MaxPeriod tokens needs to
// count as a loop.
type CopyRule struct {
	MaxPeriod int
	MinCopies float64
}

// MinCopies returns the copies needed for period p under rules (sorted by
// MaxPeriod); +Inf when no rule covers p.
func MinCopies(rules []CopyRule, p int) float64 {
	for _, r := range rules {
		if p <= r.MaxPeriod {
			return r.MinCopies
		}
	}
	return math.Inf(1)
}

// Options are the thresholds of [Detect]. The zero value is not useful;
// start from [DefaultOptions].
type Options struct {
	// MaxPeriod is the longest block, in tokens, that periodicity checks
	// try. Default 300 (a 120-word paragraph is about 150 tokens).
	MaxPeriod int

	// WordRules and CJKRules give the copies a block needs at the tail to
	// be a tail_loop, by block length in tokens; a copy cut off by the
	// generation budget counts as a fraction. CJKRules apply when most of
	// the block is CJK characters (each one token). Defaults: words 1 → 8,
	// 2–6 → 5, longer → 3; CJK 1 → 8, 2–4 → 5, longer → 3. Short blocks
	// need more copies because "no, no, no", "very very" and 哈哈哈哈 are
	// ordinary writing, while three back-to-back copies of a sentence are
	// not.
	WordRules, CJKRules []CopyRule
	// IDRules are the rules for token ids (sub-word tokens). Default: like
	// WordRules.
	IDRules []CopyRule
	// SentenceCopies is the copies a block needs, whatever its length,
	// when it holds a sentence end and is at least MinSegmentWeight long:
	// a 5-word sentence three times back to back is a sentence loop, not a
	// short phrase. Default 3.
	SentenceCopies float64
	// CutSentenceCopies is the copies such a block needs when the text
	// ends inside a further copy (the generation budget ran out in the
	// middle of the loop). Default 2.5: a refrain sung twice ends on its
	// last word, a loop does not end at all.
	CutSentenceCopies float64

	// PhraseFactor scales the copy rules for a run that is not at the end
	// (repeated_phrase): a loop the model escaped from is still degenerate,
	// but a run in the middle needs PhraseFactor times the copies and at
	// least PhraseMinSpan tokens. Defaults 2 and 24.
	PhraseFactor  float64
	PhraseMinSpan int

	// MinSegmentWeight is the length a normalised segment needs to count
	// in segment repetition, in characters with CJK characters counted
	// twice. Default 12: a sentence as short as "He cried and ran away."
	// three times in a row is a loop (ollama#15212 uses 20, which let
	// such sentences through on our held-out set), and clean text never
	// has a sentence three times in a row. SegmentRun is how many
	// back-to-back copies make a repeated_sentence (default 3).
	MinSegmentWeight int
	SegmentRun       int

	// Near loops: the tail is NearMinCopies or more copies of a block of
	// 1..NearMaxPeriod sentences (numbers masked) where each sentence is at
	// least NearMinSim similar to the one a period earlier (token edit
	// similarity), on average at least NearMeanSim, and the copies cover
	// at least NearMinTokens tokens. Sentences shorter than NearMinLen
	// tokens never match. Defaults 5, 4, 0.6, 0.8, 24, 3: five copies as
	// in the near-loop definition, since poems and songs with parallel
	// stanzas reach four near-copies (the Shijing's 駉 has four stanzas
	// 0.78 alike).
	NearMinCopies float64
	NearMaxPeriod int
	NearMinSim    float64
	NearMeanSim   float64
	NearMinTokens int
	NearMinLen    int
	// NearMaxDistinct is the largest share of distinct sentences (after
	// normalising and masking numbers) a near loop may have. Default 0.75;
	// near loops in the public set have at most 0.67, poems with parallel
	// stanzas 0.75 and more.
	NearMaxDistinct float64
	// NearManyCopies lifts the NearMaxDistinct limit for long runs: that
	// many near-copies are a loop even if every one differs. Default 8.
	NearManyCopies float64

	// low_entropy: at least LowEntropyMinTokens tokens whose unigram
	// entropy is below LowEntropyRatio·log2(tokens). Defaults 64 and 0.35.
	LowEntropyMinTokens int
	LowEntropyRatio     float64

	// Character runs (char_run): a unit of 1–8 runes inside one line
	// repeated CharRunMinCopies times over at least CharRunMinSpan runes
	// ("!!!!…", "nynyny…", "1200000…", "</s></s>…"), or
	// CharRunMinBlankLines line breaks with nothing between. A line made
	// only of a letterless run and at most CharRunRuleLine runes long is a
	// separator ("=====") and stays clean. Defaults 48, 8, 24, 160: the
	// longest rule lines in code and text are about 80 columns wide, and
	// a 48-rune run inside a sentence is no writing.
	CharRunMinSpan int
	// CharRunPunctSpan is the shorter span for a unit of other
	// punctuation ("!!!!", "？？？", "。。。"): nobody draws with those.
	// Default 24.
	CharRunPunctSpan     int
	CharRunMinCopies     float64
	CharRunMinBlankLines int
	CharRunRuleLine      int

	// StutterMinRuns back-to-back runs of one word each (every run ≥ 2
	// copies, CJK ≥ 3) are a stutter. Default 6: "very very" or "no no"
	// stand alone in writing, and Chinese AABB doubling (干干净净整整齐齐)
	// gives runs of two.
	StutterMinRuns int

	// LongRepeatTokens is the length of a block that is a loop with only
	// two exact back-to-back copies; LongRepeatGapTokens the length of one
	// that counts repeated anywhere. CJK-majority blocks need twice as
	// many tokens (one per character). Defaults 64 and 160: a chorus is
	// 20–40 words and is separated by verses, while an answer written
	// out twice runs to hundreds.
	LongRepeatTokens    int
	LongRepeatGapTokens int
	// LongPartialTokens: a block of at least this many tokens with
	// LongPartialCopies copies (two and half a third) is a loop cut by
	// the budget. Defaults 24 and 2.5.
	LongPartialTokens int
	LongPartialCopies float64

	// LongUnitWeight: a block of one or two tokens at least this heavy
	// (SegmentWeight) needs only LongUnitCopies copies at the tail, like a
	// phrase ("steckdose steckdose …"): it is the length of the unit, not
	// its token count, that makes copies unusual. Defaults 8 and 5.
	LongUnitWeight int
	LongUnitCopies float64

	// TurnLoopTurns user turns and as many assistant turns written by the
	// model (chat-template role headers), or SpecialRunTokens special
	// tokens in a row, are a turn_loop. Defaults 2 and 3.
	TurnLoopTurns    int
	SpecialRunTokens int

	// SeqRepWindow is the window of the seq-rep-4 signal, in tokens
	// (default 200, as in the UL evaluation). Signal only.
	SeqRepWindow int
}

// DefaultOptions returns the documented defaults.
func DefaultOptions() Options {
	words := []CopyRule{{1, 8}, {6, 5}, {math.MaxInt, 3}}
	return Options{
		MaxPeriod:           300,
		WordRules:           words,
		CJKRules:            []CopyRule{{1, 8}, {4, 5}, {math.MaxInt, 3}},
		IDRules:             words,
		SentenceCopies:      3,
		CutSentenceCopies:   2.5,
		PhraseFactor:        2,
		PhraseMinSpan:       24,
		MinSegmentWeight:    12,
		SegmentRun:          3,
		NearMinCopies:       5,
		NearMaxPeriod:       4,
		NearMinSim:          0.6,
		NearMeanSim:         0.8,
		NearMinTokens:       24,
		NearMinLen:          3,
		NearMaxDistinct:     0.75,
		NearManyCopies:      8,
		LowEntropyMinTokens: 64,
		LowEntropyRatio:     0.35,
		SeqRepWindow:        200,

		CharRunMinSpan:       48,
		CharRunMinCopies:     8,
		CharRunMinBlankLines: 24,
		CharRunPunctSpan:     24,
		LongPartialTokens:    24,
		LongPartialCopies:    2.5,
		CharRunRuleLine:      160,
		StutterMinRuns:       6,
		LongRepeatTokens:     64,
		LongRepeatGapTokens:  160,
		LongUnitWeight:       8,
		LongUnitCopies:       5,
		TurnLoopTurns:        2,
		SpecialRunTokens:     3,
	}
}

// Loop locates a loop: it starts at StartChar (a character, i.e. rune,
// offset into the text; StartByte is the same place as a byte offset) and
// token StartToken, and runs to the end of the text as Copies copies of a
// block of Period tokens whose first copy is Unit. When only token ids
// located the loop, StartChar and StartByte are −1 and Unit is empty.
type Loop struct {
	StartChar  int     `json:"start_char"`
	StartByte  int     `json:"start_byte"`
	StartToken int     `json:"start_token"`
	Unit       string  `json:"unit"`
	Period     int     `json:"period"`
	Copies     float64 `json:"copies"`
	SpanTokens int     `json:"span_tokens"`
}

// Signals are the measurements behind a decision (detection.md §2). Token
// counts refer to Tokens: token ids when given, else the normalised words
// of the text (CJK characters one by one, punctuation dropped).
type Signals struct {
	TokenSource           string  `json:"token_source"` // "ids" or "words"
	Tokens                int     `json:"tokens"`
	TailPeriod            int     `json:"tail_period"` // the period of the longest tail run of ≥ 2 copies (0: none)
	TailCopies            float64 `json:"tail_copies"`
	TailSpan              int     `json:"tail_span"`
	LongestRepeatedSuffix int     `json:"longest_repeated_suffix"`
	MaxRunPeriod          int     `json:"max_run_period"` // the longest run of ≥ 2 copies anywhere (period ≤ 64)
	MaxRunCopies          float64 `json:"max_run_copies"`
	MaxRunSpan            int     `json:"max_run_span"`
	SeqRep4Window         float64 `json:"seq_rep_4_window"`
	Segments              int     `json:"segments"`
	DupSegments           int     `json:"dup_segments"`        // segments equal to an earlier one
	MaxSegmentRepeats     int     `json:"max_segment_repeats"` // occurrences of the most frequent segment
	MaxSegmentRun         int     `json:"max_segment_run"`     // longest back-to-back run of one segment
	NearPeriod            int     `json:"near_period"`         // sentences per block of the near loop (0: none)
	NearCopies            float64 `json:"near_copies"`
	NearSimilarity        float64 `json:"near_similarity"`
	NearDistinct          float64 `json:"near_distinct"` // share of distinct sentences in the near loop
	ZlibRatio             float64 `json:"zlib_ratio"`
	UnigramEntropy        float64 `json:"unigram_entropy"` // bits
	CharRunPeriod         int     `json:"char_run_period"` // runes per unit of the longest character run (0: none)
	CharRunSpan           int     `json:"char_run_span"`   // its length in runes (line breaks for blank lines)
	StutterRuns           int     `json:"stutter_runs"`    // back-to-back runs of a stutter
	LongRepeat            int     `json:"long_repeat"`     // tokens of the longest block that occurs twice
	SpecialRun            int     `json:"special_run"`     // the longest run of special tokens
}

// Result is the verdict on one text. It marshals to JSON with the keys in
// the order of the fields.
type Result struct {
	Degenerate bool     `json:"degenerate"`
	Reasons    []string `json:"reasons"`
	Loop       *Loop    `json:"loop,omitempty"`
	Signals    Signals  `json:"signals"`
}

func (r *Result) flag(reason string) {
	for _, x := range r.Reasons {
		if x == reason {
			return
		}
	}
	r.Reasons = append(r.Reasons, reason)
	r.Degenerate = true
}

// Detect judges one generated text. ids, when not nil, are the generated
// token ids (generation.token_ids); the periodicity, suffix, seq-rep and
// entropy signals then run on them, and the segment and compression
// signals on the text.
func Detect(text string, ids []int, opt Options) Result {
	res := Result{Reasons: []string{}}
	u := textUnits(text)
	s := &res.Signals

	seq, rules := u.ids, opt.WordRules
	s.TokenSource = "words"
	var lastOK func(i, j int) bool
	if ids != nil {
		s.TokenSource = "ids"
		seq = make([]int32, len(ids))
		for i, v := range ids {
			seq[i] = int32(v)
		}
		rules = opt.IDRules
	} else {
		// The budget may cut the last word: "bunn" continues "bunny".
		lastOK = func(i, j int) bool {
			return len(u.norm[i]) < len(u.norm[j]) && u.norm[j][:len(u.norm[i])] == u.norm[i]
		}
	}
	rulesFor := func(r run) []CopyRule {
		if ids == nil && mostlyCJK(u.cjk[r.Start:r.Start+r.Period]) {
			return opt.CJKRules
		}
		return rules
	}
	isLoop := func(r run) bool {
		if r.copies() >= MinCopies(rulesFor(r), r.Period) {
			return true
		}
		// A sentence twice and into a third copy that the text stops in
		// the middle of: the budget cut a loop.
		if ids == nil && r.copies() >= opt.CutSentenceCopies && r.Span%r.Period != 0 && endsAbruptly(text) && u.sentenceEnd(text, r.Start, r.Period) >= 0 &&
			SegmentWeight(NormalizeSegment(text[u.start[r.Start]:u.end[r.Start+r.Period-1]])) >= opt.MinSegmentWeight {
			return true
		}
		if ids == nil && r.Period <= 2 && r.copies() >= opt.LongUnitCopies &&
			SegmentWeight(NormalizeSegment(text[u.start[r.Start]:u.end[r.Start+r.Period-1]])) >= opt.LongUnitWeight {
			return true
		}
		return ids == nil && r.copies() >= opt.SentenceCopies && u.sentenceEnd(text, r.Start, r.Period) >= 0 &&
			SegmentWeight(NormalizeSegment(text[u.start[r.Start]:u.end[r.Start+r.Period-1]])) >= opt.MinSegmentWeight
	}
	s.Tokens = len(seq)

	// Tail periodicity: the smallest period that passes its copy rule is
	// the loop; the signal reports the longest tail run.
	var loop run
	var sig run
	tailRuns(seq, opt.MaxPeriod, lastOK, func(r run) bool {
		if r.Span >= 2*r.Period && r.Span > sig.Span {
			sig = r
		}
		if loop.Period == 0 && isLoop(r) {
			loop = r
		}
		return true
	})
	s.TailPeriod, s.TailCopies, s.TailSpan = sig.Period, round4(sig.copies()), sig.Span
	if loop.Period > 0 {
		res.flag(ReasonTailLoop)
		res.Loop = makeLoop(text, u, loop, ids != nil)
	}

	// Numbers masked: counters ("Day 3: … Day 4: …") become exact loops.
	if loop.Period == 0 && ids == nil {
		tailRuns(u.masked, opt.MaxPeriod, lastOK, func(r run) bool {
			if isLoop(r) {
				loop = r
				return false
			}
			return true
		})
		if loop.Period > 0 {
			res.flag(ReasonNearLoop)
			res.Loop = makeLoop(text, u, loop, false)
		}
	}

	s.LongestRepeatedSuffix = longestRepeatedSuffix(seq)

	// Runs anywhere: a loop the text left again.
	var best run
	runs := bestRuns(seq, min(opt.MaxPeriod, 64))
	for _, r := range runs {
		if r.Span >= 2*r.Period && r.Span > best.Span {
			best = r
		}
		if r.Span >= opt.PhraseMinSpan && r.copies() >= opt.PhraseFactor*MinCopies(rulesFor(r), r.Period) {
			res.flag(ReasonRepeatedPhrase)
		}
	}
	s.MaxRunPeriod, s.MaxRunCopies, s.MaxRunSpan = best.Period, round4(best.copies()), best.Span

	s.SeqRep4Window = round4(seqRepWindow(seq, 4, opt.SeqRepWindow))
	s.UnigramEntropy = round4(entropyBits(seq))
	if len(seq) >= opt.LowEntropyMinTokens && s.UnigramEntropy < opt.LowEntropyRatio*math.Log2(float64(len(seq))) {
		res.flag(ReasonLowEntropy)
	}
	s.ZlibRatio = round4(zlibRatio(text))

	segmentSignals(text, opt, &res)
	if nl := nearLoop(text, u, opt); nl.period > 0 {
		s.NearPeriod, s.NearCopies, s.NearSimilarity, s.NearDistinct = nl.period, round4(nl.copies), round4(nl.meanSim), round4(nl.distinct)
		if nl.ok {
			res.flag(ReasonNearLoop)
			if res.Loop == nil {
				res.Loop = &Loop{
					StartChar:  utf8.RuneCountInString(text[:nl.startByte]),
					StartByte:  nl.startByte,
					StartToken: tokenAt(u, nl.startByte),
					Unit:       text[nl.startByte:nl.unitEnd],
					Period:     nl.periodTokens,
					Copies:     round4(nl.copies),
					SpanTokens: len(u.start) - tokenAt(u, nl.startByte),
				}
			}
		}
	}
	extraSignals(text, ids, u, seq, runs, opt, &res)
	return res
}

// endsAbruptly reports whether text stops inside a word or clause: its
// last rune is a letter, digit or comma, not a sentence end, a closing
// bracket or a line end, as when the generation budget ran out.
func endsAbruptly(text string) bool {
	r, _ := utf8.DecodeLastRuneInString(text)
	return unicode.IsLetter(r) || unicode.IsDigit(r) || r == ',' || r == '，' || r == '、'
}

// mostlyCJK reports whether more than half of the flags are set.
func mostlyCJK(cjk []bool) bool {
	n := 0
	for _, c := range cjk {
		if c {
			n++
		}
	}
	return 2*n > len(cjk)
}

// tokenAt is the index of the first unit starting at or after byte b.
func tokenAt(u *units, b int) int {
	for i, s := range u.start {
		if s >= b {
			return i
		}
	}
	return len(u.start)
}

// makeLoop describes run r. A block that holds a sentence end is rotated
// to start after it, so that the loop starts at a sentence start (where
// filter.TruncateLoop will cut) rather than mid-sentence where the
// matching happened to begin; copies are counted from there.
func makeLoop(text string, u *units, r run, fromIDs bool) *Loop {
	if !fromIDs {
		if k := u.sentenceEnd(text, r.Start, r.Period); k >= 0 && k < r.Period-1 && r.Span-(k+1) >= r.Period {
			r.Start += k + 1
			r.Span -= k + 1
		}
	}
	l := &Loop{StartChar: -1, StartByte: -1, StartToken: r.Start, Period: r.Period, Copies: round4(r.copies()), SpanTokens: r.Span}
	if !fromIDs {
		l.StartByte = u.start[r.Start]
		l.StartChar = utf8.RuneCountInString(text[:l.StartByte])
		l.Unit = text[u.start[r.Start]:u.end[r.Start+r.Period-1]]
	} else if text != "" {
		// Identical token ids decode to identical text, so a loop found on
		// the ids repeats in the text too: locate it there, on the words
		// (aligned to a sentence start) or else on the characters.
		var w run
		tailRuns(u.ids, maxTextPeriod, nil, func(t run) bool {
			if t.Span >= 2*t.Period && t.Span >= 4 {
				w = t
				return false
			}
			return true
		})
		if w.Period > 0 {
			tl := makeLoop(text, u, w, false)
			l.StartChar, l.StartByte, l.Unit = tl.StartChar, tl.StartByte, tl.Unit
		} else if start, unit, ok := textTailLoop(text, min(l.Copies, 2)); ok {
			l.StartChar, l.Unit = start, unit
			l.StartByte = len(string([]rune(text)[:start]))
		}
	}
	return l
}

// maxTextPeriod bounds the word period searched when locating an ids loop
// in its text.
const maxTextPeriod = 300

// textTailLoop finds, in the characters of text, the shortest period p
// (at most 4096) whose copies end the text with at least minCopies copies
// covering at least 16 characters, and returns where they start (in
// characters) and the first copy.
func textTailLoop(text string, minCopies float64) (start int, unit string, ok bool) {
	r := []rune(text)
	n := len(r)
	for p := 1; p <= n/2 && p <= 4096; p++ {
		run := 0 // characters i with r[i] == r[i+p], counted back from the end
		for i := n - 1 - p; i >= 0 && r[i] == r[i+p]; i-- {
			run++
		}
		span := run + p
		if float64(span)/float64(p) >= minCopies && span >= 16 {
			s := n - span
			return s, string(r[s : s+p]), true
		}
	}
	return 0, "", false
}

// segmentSignals counts repeated normalised clauses and flags
// repeated_sentence for a back-to-back run.
func segmentSignals(text string, opt Options, res *Result) {
	s := &res.Signals
	segs := Segments(text, Clauses)
	s.Segments = len(segs)
	counts := map[string]int{}
	runLen, prev := 0, ""
	for _, sg := range segs {
		if SegmentWeight(sg.Norm) < opt.MinSegmentWeight {
			runLen, prev = 0, ""
			continue
		}
		counts[sg.Norm]++
		if counts[sg.Norm] > 1 {
			s.DupSegments++
		}
		s.MaxSegmentRepeats = max(s.MaxSegmentRepeats, counts[sg.Norm])
		if sg.Norm == prev {
			runLen++
		} else {
			runLen, prev = 1, sg.Norm
		}
		s.MaxSegmentRun = max(s.MaxSegmentRun, runLen)
	}
	if s.MaxSegmentRun >= opt.SegmentRun {
		res.flag(ReasonRepeatedSentence)
	}
}

// sentenceEnd returns the offset k < p of the first token in
// [start, start+p) after which a sentence or line ends (the token ends in
// . ! ? ; … or a CJK stop, or such punctuation or a newline follows it),
// or −1.
func (u *units) sentenceEnd(text string, start, p int) int {
	for k := range p {
		i := start + k
		next := len(text)
		if i+1 < len(u.start) {
			next = u.start[i+1]
		}
		last, _ := utf8.DecodeLastRuneInString(text[u.start[i]:u.end[i]])
		if isSentenceEnd(last) {
			return k
		}
		for _, r := range text[u.end[i]:next] {
			if r == '\n' || isSentenceEnd(r) {
				return k
			}
		}
	}
	return -1
}

func isSentenceEnd(r rune) bool {
	switch r {
	case '.', '!', '?', ';', '…', '。', '！', '？', '；', '．':
		return true
	}
	return false
}
