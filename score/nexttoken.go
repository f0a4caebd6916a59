package score

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
)

// NextToken accumulates Welleck et al.'s next-token metrics under teacher
// forcing (unlikelihood_training custom/metrics.py, TrainingMetrics): for
// each scored position t the caller gives the gold next token y_t, the
// model's argmax prediction ŷ_t and −ln p(y_t | x_<t). With W_t the previous
// l gold targets y_{t−l} … y_{t−1} (not y_t itself):
//
//	rep/l       = (1/T) Σ 1[ŷ_t ∈ W_t]
//	wrep/l      = (1/T) Σ 1[ŷ_t ∈ W_t ∧ ŷ_t ≠ y_t]
//	human_rep/l = (1/T) Σ 1[y_t ∈ W_t]
//	acc         = (1/T) Σ 1[ŷ_t = y_t]
//	uniq        = |{ŷ_t}|
//	ppl         = exp(mean NLL)   (Welleck: 2^(mean NLL / ln 2), the same)
//
// One accumulator per record gives per-record values; Merge pools records
// the way Welleck's aggregate_and_normalize does (sums over all positions
// divided by all positions, uniq over the union of predictions).
//
// Ties: Welleck's acc is hits@1, "no logit strictly above the gold one",
// which counts a gold token tied with the maximum as a hit, while rep uses
// torch's argmax. Pass pred = gold when the gold logit ties the maximum to
// get hits@1 exactly.
type NextToken struct {
	windows []int // the l values, ascending
	tokens  int
	nllSum  float64
	hits    int
	rep     []int // per window
	wrep    []int
	human   []int
	preds   map[int32]struct{}

	counts []map[int32]int32 // per window: gold tokens in the sliding window (AddSequence)
}

// DefaultWindows is the l of Welleck et al.'s table.
var DefaultWindows = []int{128}

// NewNextToken returns an accumulator for the given l values (default
// DefaultWindows; Welleck logs 16, 32, 128 and 512).
func NewNextToken(windows ...int) (*NextToken, error) {
	if len(windows) == 0 {
		windows = DefaultWindows
	}
	windows = slices.Clone(windows)
	slices.Sort(windows)
	windows = slices.Compact(windows)
	if windows[0] < 1 {
		return nil, fmt.Errorf("next-token window must be ≥ 1, got %d", windows[0])
	}
	k := len(windows)
	a := &NextToken{windows: windows, rep: make([]int, k), wrep: make([]int, k),
		human: make([]int, k), preds: map[int32]struct{}{}}
	return a, nil
}

// Add scores one position: gold is y_t, pred is ŷ_t, nll is −ln p(y_t), and
// prev holds the gold tokens before y_t (only the last l are looked at;
// fewer at the start of a sequence). It costs O(l); AddSequence is O(1) per
// position.
func (a *NextToken) Add(gold, pred int32, nll float64, prev []int32) {
	a.tokens++
	a.nllSum += nll
	if pred == gold {
		a.hits++
	}
	a.preds[pred] = struct{}{}
	for j, l := range a.windows {
		w := prev[max(0, len(prev)-l):]
		if slices.Contains(w, pred) {
			a.rep[j]++
			if pred != gold {
				a.wrep[j]++
			}
		}
		if slices.Contains(w, gold) {
			a.human[j]++
		}
	}
}

// AddSequence scores every position of one sequence: targets[t] is y_t,
// preds[t] is ŷ_t and nlls[t] its NLL; the window of t is
// targets[max(0, t−l):t], as in Welleck's repeat_at_1 on one row.
func (a *NextToken) AddSequence(targets, preds []int32, nlls []float64) error {
	if len(preds) != len(targets) || len(nlls) != len(targets) {
		return fmt.Errorf("next-token sequence: %d targets, %d predictions, %d nlls", len(targets), len(preds), len(nlls))
	}
	if a.counts == nil {
		a.counts = make([]map[int32]int32, len(a.windows))
		for j := range a.counts {
			a.counts[j] = map[int32]int32{}
		}
	}
	for _, c := range a.counts {
		clear(c)
	}
	for t, gold := range targets {
		pred := preds[t]
		a.tokens++
		a.nllSum += nlls[t]
		if pred == gold {
			a.hits++
		}
		a.preds[pred] = struct{}{}
		for j, l := range a.windows {
			c := a.counts[j]
			if c[pred] > 0 {
				a.rep[j]++
				if pred != gold {
					a.wrep[j]++
				}
			}
			if c[gold] > 0 {
				a.human[j]++
			}
			// Slide: y_t enters, y_{t−l} leaves.
			c[gold]++
			if t >= l {
				old := targets[t-l]
				if c[old]--; c[old] == 0 {
					delete(c, old)
				}
			}
		}
	}
	return nil
}

// Merge adds b's positions to a; both must use the same windows.
func (a *NextToken) Merge(b *NextToken) error {
	if !slices.Equal(a.windows, b.windows) {
		return errors.New("next-token merge: different windows")
	}
	a.tokens += b.tokens
	a.nllSum += b.nllSum
	a.hits += b.hits
	for j := range a.windows {
		a.rep[j] += b.rep[j]
		a.wrep[j] += b.wrep[j]
		a.human[j] += b.human[j]
	}
	for p := range b.preds {
		a.preds[p] = struct{}{}
	}
	return nil
}

// Reset forgets all positions (keeping the windows).
func (a *NextToken) Reset() {
	a.tokens, a.nllSum, a.hits = 0, 0, 0
	clear(a.rep)
	clear(a.wrep)
	clear(a.human)
	clear(a.preds)
}

// NextTokenResult holds the metrics; fractions are NaN (null) with no
// positions.
type NextTokenResult struct {
	Windows  []int
	Tokens   int
	NLLMean  float64
	PPL      float64
	Acc      float64
	Rep      []float64 // per window
	WRep     []float64
	HumanRep []float64
	Uniq     int
}

// Result computes the metrics of the positions added so far.
func (a *NextToken) Result() NextTokenResult {
	r := NextTokenResult{Windows: a.windows, Tokens: a.tokens, Uniq: len(a.preds),
		Rep: make([]float64, len(a.windows)), WRep: make([]float64, len(a.windows)),
		HumanRep: make([]float64, len(a.windows))}
	frac := func(k int) float64 {
		if a.tokens == 0 {
			return math.NaN()
		}
		return float64(k) / float64(a.tokens)
	}
	r.NLLMean = frac(0)
	if a.tokens > 0 {
		r.NLLMean = a.nllSum / float64(a.tokens)
	}
	r.PPL = math.Exp(r.NLLMean)
	r.Acc = frac(a.hits)
	for j := range a.windows {
		r.Rep[j], r.WRep[j], r.HumanRep[j] = frac(a.rep[j]), frac(a.wrep[j]), frac(a.human[j])
	}
	return r
}

// AppendJSON writes {"tokens", "ppl", "nll_mean", "acc", "rep_<l>",
// "wrep_<l>", "human_rep_<l>" for each l, "uniq"}.
func (r *NextTokenResult) AppendJSON(b []byte) []byte {
	b = append(b, `{"tokens":`...)
	b = strconv.AppendInt(b, int64(r.Tokens), 10)
	b = append(b, `,"ppl":`...)
	b = appendFloat(b, r.PPL)
	b = append(b, `,"nll_mean":`...)
	b = appendFloat(b, r.NLLMean)
	b = append(b, `,"acc":`...)
	b = appendFloat(b, r.Acc)
	for _, part := range []struct {
		name string
		v    []float64
	}{{"rep_", r.Rep}, {"wrep_", r.WRep}, {"human_rep_", r.HumanRep}} {
		for j, l := range r.Windows {
			b = append(b, `,"`...)
			b = append(b, part.name...)
			b = strconv.AppendInt(b, int64(l), 10)
			b = append(b, `":`...)
			b = appendFloat(b, part.v[j])
		}
	}
	b = append(b, `,"uniq":`...)
	b = strconv.AppendInt(b, int64(r.Uniq), 10)
	return append(b, '}')
}

// Window is one forward pass of the strided perplexity plan.
type Window struct {
	// Begin and End delimit the tokens fed: x[Begin:End].
	Begin, End int
	// Targets is HF's trg_len = End − previous End: the labels kept are the
	// last Targets positions of the window (all of it if Targets ≥ End−Begin).
	Targets int
	// Scored is how many tokens this window actually scores: the kept
	// labels minus the window's first position, which has no context (the
	// model predicts label i from position i−1). It is Targets−1 on the
	// first window and whenever stride ≥ context (then the window starts
	// with a new token that is never scored), Targets otherwise. The scored
	// tokens are x[End−Scored : End].
	Scored int
	// DocTokens is the weight the HF guide's code gives the window's mean
	// loss (num_valid_tokens − batch_size = Targets − 1); it differs from
	// Scored on later windows when stride < context. Use Scored to sum
	// per-token NLLs exactly; DocTokens only to reproduce the guide's number.
	DocTokens int
}

// SlidingWindows is the plan of Hugging Face's strided perplexity guide
// (docs/source/en/perplexity.md) for n tokens, context maxLength and
// stride: begin = 0, stride, 2·stride, …; end = min(begin+maxLength, n);
// stop after the window that reaches n. With stride < maxLength every
// token but the first is scored exactly once (Σ Scored = n−1); with
// stride = maxLength the first token of each window is never scored, and
// with stride > maxLength the tokens between windows are skipped too. An
// empty sequence has no windows.
func SlidingWindows(n, maxLength, stride int) ([]Window, error) {
	if maxLength < 1 || stride < 1 {
		return nil, fmt.Errorf("sliding windows: context %d and stride %d must be ≥ 1", maxLength, stride)
	}
	if n < 0 {
		return nil, fmt.Errorf("sliding windows: negative length %d", n)
	}
	var ws []Window
	prevEnd := 0
	for begin := 0; begin < n; begin += stride {
		end := min(begin+maxLength, n)
		trg := end - prevEnd
		kept := min(trg, end-begin)
		scored := kept
		if kept == end-begin { // the window's first position is a label
			scored--
		}
		ws = append(ws, Window{Begin: begin, End: end, Targets: trg, Scored: scored, DocTokens: trg - 1})
		prevEnd = end
		if end == n {
			break
		}
	}
	return ws, nil
}
