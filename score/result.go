package score

import (
	"math"
	"strconv"
)

// Result is the per-record metrics of one text, marshalled by the CLI as
// "score": {…}. Undefined values are NaN in the float fields and are
// written as JSON null:
//
//   - seq_rep_n, distinct_n: null when the text has fewer than n tokens;
//   - entropy_bits: null for 0 tokens;
//   - zlib_ratio: null for the empty string (whitespace alone has a ratio).
type Result struct {
	// Tokens is the number of tokens, L.
	Tokens int
	// NGrams are the orders of SeqRep and Distinct (shared with the
	// Scorer's options: do not modify).
	NGrams []int
	// SeqRep[j] is Welleck et al.'s seq-rep-n for n = NGrams[j]:
	// 1 − |unique n-grams| / |n-grams|, n-grams = the L−n+1 windows.
	SeqRep []float64
	// Distinct[j] is |unique n-grams| / |n-grams| (= 1 − SeqRep[j]), the
	// per-n-gram distinct-n, not Li et al.'s per-token variant.
	Distinct []float64
	// EntropyBits is the unigram entropy −Σ p log2 p over token frequencies.
	EntropyBits float64
	// ZlibRatio is Whisper's compression ratio: UTF-8 bytes / bytes of
	// zlib.compress(text) at Options.ZlibLevel (exact zlib sizes, see
	// zlibsize.go).
	ZlibRatio float64
	// ZlibSize is the compressed size behind ZlibRatio (0 for empty text);
	// not marshalled, the corpus pools it.
	ZlibSize int
	// LongestRepeat is the length in tokens of the longest token run that
	// occurs at least twice, overlaps allowed; 0 when no token repeats.
	LongestRepeat int
	// SimCTG holds the counts SimCTG's eval_text gives for this text; it is
	// not marshalled (the corpus pools it, and SimCTGCounts gives per-text
	// values).
	SimCTG SimCTGCounts
}

// AppendJSON appends r as a JSON object with the fields in this order:
// tokens, seq_rep_n…, distinct_n…, entropy_bits, zlib_ratio, longest_repeat.
// Floats are written in the shortest form that reads back exactly.
func (r *Result) AppendJSON(b []byte) []byte {
	b = append(b, `{"tokens":`...)
	b = strconv.AppendInt(b, int64(r.Tokens), 10)
	for j, n := range r.NGrams {
		b = append(b, `,"seq_rep_`...)
		b = strconv.AppendInt(b, int64(n), 10)
		b = append(b, `":`...)
		b = appendFloat(b, r.SeqRep[j])
	}
	for j, n := range r.NGrams {
		b = append(b, `,"distinct_`...)
		b = strconv.AppendInt(b, int64(n), 10)
		b = append(b, `":`...)
		b = appendFloat(b, r.Distinct[j])
	}
	b = append(b, `,"entropy_bits":`...)
	b = appendFloat(b, r.EntropyBits)
	b = append(b, `,"zlib_ratio":`...)
	b = appendFloat(b, r.ZlibRatio)
	b = append(b, `,"longest_repeat":`...)
	b = strconv.AppendInt(b, int64(r.LongestRepeat), 10)
	return append(b, '}')
}

// MarshalJSON is AppendJSON for encoding/json.
func (r Result) MarshalJSON() ([]byte, error) { return r.AppendJSON(nil), nil }

// appendFloat writes NaN and ±Inf as null and −0 as 0.
func appendFloat(b []byte, v float64) []byte {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return append(b, "null"...)
	}
	if v == 0 {
		return append(b, '0')
	}
	return strconv.AppendFloat(b, v, 'g', -1, 64)
}

// SimCTGCounts are, for n = 2, 3, 4 (index 0, 1, 2), the numbers SimCTG's
// eval_text returns for a text: Total = L−n n-grams (its loop stops one
// window early, so the last n-gram is never counted; 0 when L ≤ n) and
// Unique = the distinct ones among them.
type SimCTGCounts struct {
	Unique, Total [3]int
}

// Rep is SimCTG's rep-n in percent for n = 2, 3, 4:
// round(100·(1 − Unique/Total), 2), NaN when Total is 0 (SimCTG divides by
// zero). Rounding is Python's round(x, 2): half to even on the exact
// binary value, which strconv's 'f' formatting also does.
func (c SimCTGCounts) Rep(n int) float64 {
	return simctgRep(c.Unique[n-2], c.Total[n-2])
}

// Diversity is SimCTG's (1 − rep2/100)(1 − rep3/100)(1 − rep4/100) from
// the rounded rep values, NaN if any is undefined.
func (c SimCTGCounts) Diversity() float64 {
	return simctgDiversity(c.Rep(2), c.Rep(3), c.Rep(4))
}

func simctgRep[T int | int64](unique, total T) float64 {
	if total == 0 {
		return math.NaN()
	}
	return round2((1 - float64(unique)/float64(total)) * 100)
}

func simctgDiversity(r2, r3, r4 float64) float64 {
	return (1 - r2/100) * (1 - r3/100) * (1 - r4/100)
}

// round2 is Python's round(x, 2).
func round2(x float64) float64 {
	v, _ := strconv.ParseFloat(strconv.FormatFloat(x, 'f', 2, 64), 64)
	return v
}
