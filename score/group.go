package score

import (
	"math"
	"strings"
	"unicode"
	"unicode/utf8"
)

// This file holds the metrics computed among the texts of one group (the
// outputs for one prompt): Texygen's self-BLEU, Shaib et al.'s
// homogenization (ROUGE-L) and self-repetition. Each is a pure function
// over tokenised documents; Corpus keeps a group's documents until the
// group is finished.

// BLEUTokens splits text the way the eval set's self-BLEU references do:
// the regex \w+|[^\w\s] with Python's Unicode classes (\w = letters,
// numbers and "_"; combining marks are not \w), an approximation of
// nltk.word_tokenize.
func BLEUTokens(text string) []string {
	var out []string
	start := -1
	for i := 0; i < len(text); {
		r, size := utf8.DecodeRuneInString(text[i:])
		if isPyWord(r) {
			if start < 0 {
				start = i
			}
		} else {
			if start >= 0 {
				out = append(out, text[start:i])
				start = -1
			}
			if !isPySpace(r) {
				out = append(out, text[i:i+size])
			}
		}
		i += size
	}
	if start >= 0 {
		out = append(out, text[start:])
	}
	return out
}

func isPyWord(r rune) bool {
	if r < utf8.RuneSelf {
		return r == '_' || ('0' <= r && r <= '9') || ('a' <= r && r <= 'z') || ('A' <= r && r <= 'Z')
	}
	return unicode.IsLetter(r) || unicode.IsNumber(r)
}

// RougeTokens is rouge_score's default tokenizer without stemming:
// lowercase, every run of characters other than [a-z0-9] separates tokens.
// Text in other scripts yields no tokens.
func RougeTokens(text string) []string {
	text = strings.ToLower(text)
	return strings.FieldsFunc(text, func(r rune) bool {
		return !(('a' <= r && r <= 'z') || ('0' <= r && r <= '9'))
	})
}

// WhitespaceTokens is Python's str.split().
func WhitespaceTokens(text string) []string {
	var out []string
	splitWhitespace(text, func(t string) { out = append(out, t) })
	return out
}

// vocab interns strings to ids for one group, copying them so that the
// group does not keep the callers' text buffers alive.
type vocab map[string]int32

func (v vocab) ids(toks []string) []int32 {
	out := make([]int32, len(toks))
	for i, t := range toks {
		id, ok := v[t]
		if !ok {
			id = int32(len(v))
			v[strings.Clone(t)] = id
		}
		out[i] = id
	}
	return out
}

// ngramLevels gives, for each document, dense ids of its n-gram windows for
// n = 1..maxN (levels[n][d]); equal ids mean equal n-grams across the
// documents.
func ngramLevels(docs [][]int32, maxN int) [][][]int32 {
	levels := make([][][]int32, maxN+1)
	levels[1] = docs
	tab := map[uint64]int32{}
	for n := 2; n <= maxN; n++ {
		clear(tab)
		levels[n] = make([][]int32, len(docs))
		for d, prev := range levels[n-1] {
			if len(prev) < 2 {
				continue
			}
			cur := make([]int32, len(prev)-1)
			for i := range cur {
				k := pair(prev[i], docs[d][i+n-1])
				id, ok := tab[k]
				if !ok {
					id = int32(len(tab))
					tab[k] = id
				}
				cur[i] = id
			}
			levels[n][d] = cur
		}
	}
	return levels
}

// SelfBLEU is Texygen's self-BLEU of texts for each order in orders (BLEU-N
// with uniform weights 1/N): every text is the hypothesis once, against
// all the others as references, with nltk's sentence_bleu and
// SmoothingFunction().method1; the result is the mean over texts (all of
// them, as get_bleu_parallel does — not get_bleu_fast's first 500). Texts
// are tokenised with BLEUTokens. NaN for fewer than two texts.
func SelfBLEU(texts []string, orders ...int) []float64 {
	v := vocab{}
	docs := make([][]int32, len(texts))
	for i, t := range texts {
		docs[i] = v.ids(BLEUTokens(t))
	}
	return selfBLEU(docs, orders)
}

func selfBLEU(docs [][]int32, orders []int) []float64 {
	out := make([]float64, len(orders))
	k := len(docs)
	if k < 2 || len(orders) == 0 {
		for i := range out {
			out[i] = math.NaN()
		}
		return out
	}
	maxN := 0
	for _, n := range orders {
		maxN = max(maxN, n)
	}
	levels := ngramLevels(docs, maxN)
	// num[n][d] is nltk's modified-precision numerator for hypothesis d:
	// its n-gram counts clipped by the largest count in any one other
	// document. The largest count among the others is the overall largest
	// unless d holds it, then the second largest: keep the top two.
	type top2 struct{ c1, owner, c2 int32 }
	num := make([][]int, maxN+1)
	for n := 1; n <= maxN; n++ {
		num[n] = make([]int, k)
		counts := make([]map[int32]int32, k)
		top := map[int32]top2{}
		for d, ids := range levels[n] {
			c := map[int32]int32{}
			for _, g := range ids {
				c[g]++
			}
			counts[d] = c
			for g, x := range c {
				t := top[g]
				switch {
				case x > t.c1:
					t = top2{x, int32(d), t.c1}
				case x > t.c2:
					t.c2 = x
				}
				top[g] = t
			}
		}
		for d, c := range counts {
			s := 0
			for g, x := range c {
				t := top[g]
				ref := t.c1
				if t.owner == int32(d) {
					ref = t.c2
				}
				s += int(min(x, ref))
			}
			num[n][d] = s
		}
	}
	for j, N := range orders {
		sum := 0.0
		for d, hyp := range docs {
			sum += sentenceBLEU(d, len(hyp), docs, num, N)
		}
		out[j] = sum / float64(k)
	}
	return out
}

// sentenceBLEU is nltk 3.8 sentence_bleu (via corpus_bleu) for hypothesis d
// of length c against all other documents, given the clipped numerators.
func sentenceBLEU(d, c int, docs [][]int32, num [][]int, N int) float64 {
	if num[1][d] == 0 {
		return 0 // nltk: no unigram matches
	}
	// Closest reference length, ties to the shorter.
	r := -1
	for e, ref := range docs {
		if e == d {
			continue
		}
		l := len(ref)
		if r < 0 || abs(l-c) < abs(r-c) || (abs(l-c) == abs(r-c) && l < r) {
			r = l
		}
	}
	bp := 1.0
	if c <= r {
		bp = math.Exp(1 - float64(r)/float64(c)) // c > 0 here: it has a unigram match
	}
	w := 1 / float64(N)
	s := 0.0
	for n := 1; n <= N; n++ {
		den := max(1, c-n+1)
		p := float64(num[n][d]) / float64(den)
		if num[n][d] == 0 {
			p = 0.1 / float64(den) // method1: epsilon 0.1 for zero counts
		}
		s += w * math.Log(p)
	}
	return bp * math.Exp(s)
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// Homogenization is Shaib et al.'s homogenization_score with ROUGE-L (§6.3):
// the mean over ordered pairs i ≠ j of ROUGE-L F1 between texts i and j
// (RougeTokens, no stemming), where identical texts score 1 as in the
// package. Unlike the package, a corpus whose pairs all score 0 gets 0 (it
// returns 1.0 then) and nothing is rounded. NaN for fewer than two texts.
func Homogenization(texts []string) float64 {
	v := vocab{}
	docs := make([][]int32, len(texts))
	for i, t := range texts {
		docs[i] = v.ids(RougeTokens(t))
	}
	same := func(i, j int) bool { return texts[i] == texts[j] }
	return homogenization(docs, same)
}

func homogenization(docs [][]int32, same func(i, j int) bool) float64 {
	k := len(docs)
	if k < 2 {
		return math.NaN()
	}
	var row []int
	sum := 0.0
	for i := range k {
		for j := i + 1; j < k; j++ {
			if same(i, j) {
				sum++
				continue
			}
			var f float64
			f, row = rougeLF1(docs[i], docs[j], row)
			sum += f
		}
	}
	// F1 is symmetric, so the mean over ordered pairs is the mean over
	// unordered ones.
	return sum / float64(k*(k-1)/2)
}

// rougeLF1 is rouge_score's ROUGE-L F-measure: LCS length over each side,
// harmonic mean; 0 if either side is empty. row is scratch space.
func rougeLF1(a, b []int32, row []int) (float64, []int) {
	if len(a) == 0 || len(b) == 0 {
		return 0, row
	}
	if len(b) > len(a) {
		a, b = b, a
	}
	if cap(row) < len(b)+1 {
		row = make([]int, len(b)+1)
	}
	row = row[:len(b)+1]
	clear(row)
	for _, x := range a {
		diag := 0 // row[j-1] of the previous row
		for j, y := range b {
			up := row[j+1]
			if x == y {
				row[j+1] = diag + 1
			} else if row[j] > up {
				row[j+1] = row[j]
			}
			diag = up
		}
	}
	lcs := float64(row[len(b)])
	if lcs == 0 {
		return 0, row
	}
	p, r := lcs/float64(len(a)), lcs/float64(len(b))
	return 2 * p * r / (p + r), row
}

// SelfRepetition is Shaib et al.'s self_repetition_score (§6.4) over
// whitespace tokens (str.split): with S_d the distinct n-grams of document
// d and c(g) the number of documents containing g, the mean over documents
// of ln(1 + Σ_{g∈S_d} c(g) − |S_d|). NaN for no texts.
func SelfRepetition(texts []string, n int) float64 {
	v := vocab{}
	docs := make([][]int32, len(texts))
	for i, t := range texts {
		docs[i] = v.ids(WhitespaceTokens(t))
	}
	return selfRepetition(docs, n)
}

func selfRepetition(docs [][]int32, n int) float64 {
	if len(docs) == 0 || n < 1 {
		return math.NaN()
	}
	level := ngramLevels(docs, n)[n]
	sets := make([]map[int32]struct{}, len(docs))
	c := map[int32]int{}
	for d, ids := range level {
		s := map[int32]struct{}{}
		for _, g := range ids {
			s[g] = struct{}{}
		}
		for g := range s {
			c[g]++
		}
		sets[d] = s
	}
	sum := 0.0
	for _, s := range sets {
		others := 0
		for g := range s {
			others += c[g] - 1
		}
		sum += math.Log(1 + float64(others))
	}
	return sum / float64(len(docs))
}
