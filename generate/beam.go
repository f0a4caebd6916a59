package generate

import (
	"cmp"
	"math"
	"slices"

	"github.com/degen-llm/degen/generate/sample"
)

// Beam search follows Hugging Face's vectorised _beam_search (decoding.md
// §6.1), one prompt at a time:
//
//   - each step, every running beam's logits go through log_softmax, then
//     the processor chain (so a repetition penalty multiplies log-probs),
//     then the beam's running score is added;
//   - the best K = max(2, 1+n_eos)·num_beams (beam, token) pairs are kept,
//     best first, ranked on float32 running sums as HF's float32 tensors
//     are (a float64 sum can split two candidates HF sees as equal); exact
//     ties put a continuation before an end of generation, then the lower
//     beam, then the lower id (torch.topk leaves the order of equal values
//     unspecified, so this is our rule; see candBefore);
//   - a pair that ends its sequence (end-of-generation id, stop string, the
//     token budget or the context) is finished; only finished pairs ranked
//     within the first num_beams enter the finished set, scored
//     sum / generated_len^length_penalty with the end token counted; the set
//     keeps its best num_beams;
//   - the best num_beams unfinished pairs are the next running beams;
//   - the search ends when no pair can continue, when early_stopping is true
//     and the finished set is full, or when the best running beam cannot beat
//     the worst finished hypothesis (at its current length, or for "never"
//     with length_penalty > 0 at the longest reachable length).
//
// Initially only one beam runs (HF starts the others at −1e9, which is the
// same as long as the vocabulary has K tokens).
//
// Diverse beam search (num_beam_groups G > 1) splits the beams into G groups
// of num_beams/G that run the above independently, chosen one group after
// the other within a step (the chosen tokens of all groups are then fed in
// one batch); a group's log-probs lose diversity_penalty for
// every beam of an earlier group that chose the same token at this step
// (HF's HammingDiversityLogitsProcessor, first in the processor list). An
// earlier group's choice is its best num_beams/G candidates other than
// end-of-generation ids, also at the step where the token budget, the
// context or the stopping rule ends that group: HF checks the length only
// after all groups have chosen, so the last step is penalised like any
// other. The returned hypotheses are the best of all groups.

// beamHyp is a running beam.
type beamHyp struct {
	tokens []int32 // prompt then generated ids
	score  float64 // sum of processed log-probs, each partial sum rounded to float32
	slot   int     // its Seq in Decoder.seqs
	parent int     // index of the beam it extends in the previous step
	stop   Stopper
	lps    []LogProb
}

// beamCand is one (beam, token) continuation.
type beamCand struct {
	score float64
	beam  int
	id    int32
	eog   bool // id ends generation
}

// candBefore orders continuations best first. On equal scores a
// continuation goes before an end of generation: it keeps a hypothesis
// alive that can still finish later, where the end would take a finished
// slot (or none, ranked past num_beams) for good. This is also the order
// torch.topk gave in the one float32 tie the Hugging Face comparison met,
// though torch does not promise any order for equal values.
func candBefore(a, b beamCand) bool {
	if a.score != b.score {
		return a.score > b.score
	}
	if a.eog != b.eog {
		return b.eog
	}
	if a.beam != b.beam {
		return a.beam < b.beam
	}
	return a.id < b.id
}

type beamGroup struct {
	run      []beamHyp
	spare    []beamHyp // the previous step's run, reused for the next one
	finished []Sequence
	done     bool
	parity   int
}

func (d *Decoder) beamSearch(prompt []int, p Params, chain sample.Chain) ([]Sequence, error) {
	P := len(prompt)
	ctx := d.LM.Context()
	nb, G := p.NumBeams, p.NumBeamGroups
	gs := nb / G
	nEOS := len(d.Vocab.EOS)
	K := max(2, 1+nEOS) * gs
	lp := float64(p.LengthPenalty)
	if p.MaxNewTokens == 0 {
		out := make([]Sequence, p.NumReturnSequences)
		for i := range out {
			out[i] = Sequence{Tokens: []int{}, FinishReason: FinishLength, SampleIndex: i}
		}
		return out, nil
	}
	// The longest generated length reachable: the budget, or the context
	// (the token chosen after the last position still counts, as in greedy).
	maxGen := min(p.MaxNewTokens, ctx+1-P)
	base, err := d.seq(0)
	if err != nil {
		return nil, err
	}
	feedPrompt(base, prompt, false, nil)
	for i := 1; i <= 2*nb; i++ {
		if _, err := d.seq(i); err != nil {
			return nil, err
		}
	}
	slotOf := func(g, i, parity int) int { return 1 + parity*nb + g*gs + i }
	// slotToks[s] holds the tokens of the hypothesis in slot s. A step
	// writes the slots of the other parity than its parents', whose
	// hypotheses are two steps old and no longer read, so each buffer is
	// reused instead of allocating a history per beam per step.
	slotToks := make([][]int32, 1+2*nb)
	ptoks := make([]int32, P)
	for i, id := range prompt {
		ptoks[i] = int32(id)
	}
	groups := make([]beamGroup, G)
	for g := range groups {
		var st Stopper
		if d.NewStopper != nil {
			st = d.NewStopper()
		}
		groups[g].run = []beamHyp{{tokens: ptoks, slot: 0, stop: st}}
	}
	heap := make([]beamCand, 0, K)
	d.resetFeed()
	var current []int32 // tokens chosen this step by earlier groups
	for L := 0; ; L++ {
		pos := P + L // where this step's tokens go
		current = current[:0]
		allDone := true
		for g := range groups {
			grp := &groups[g]
			if grp.done {
				continue
			}
			heap = heap[:0]
			for b := range grp.run {
				hyp := &grp.run[b]
				c := d.cand(b)
				c.Reset(d.seqs[hyp.slot].Logits())
				logSoftmax(c.Logits)
				if p.DiversityPenalty > 0 {
					for _, t := range current {
						c.Logits[t] -= p.DiversityPenalty
					}
				}
				d.hist.Tokens, d.hist.Prompt, d.hist.State = hyp.tokens, P, nil
				chain.Process(&d.hist, c)
				for i, id := range c.IDs {
					l := c.Logits[i]
					if math.IsInf(float64(l), -1) || l != l {
						continue
					}
					// float32 sums, as HF's beam_scores + log-probs:
					// candidates equal there are equal here, and the
					// tie rule below decides between them.
					heap = pushTop(heap, K, beamCand{float64(float32(hyp.score) + l), b, id, d.isEOG(id)})
				}
			}
			d.hist.Tokens = nil
			slices.SortFunc(heap, func(a, b beamCand) int {
				if candBefore(a, b) {
					return -1
				}
				if candBefore(b, a) {
					return 1
				}
				return 0
			})
			next := grp.spare[:0]
			chosen := 0 // of the first gs non-EOG candidates, for the diversity penalty
			valid := false
			newParity := 1 - grp.parity
			for r, cd := range heap {
				parent := &grp.run[cd.beam]
				reason := ""
				var st Stopper
				switch {
				case cd.eog:
					reason = FinishEOS
				default:
					// Hugging Face's running beams are the best gs
					// non-EOS candidates, whatever the length; it checks
					// the budget only after every group has chosen, so
					// they penalise later groups also at the last step.
					if chosen < gs {
						current = append(current, cd.id)
						chosen++
					}
					if parent.stop != nil && (r < gs || len(next) < gs) {
						st = parent.stop.Clone()
						if st.Add(int(cd.id)) {
							reason = stopReason(st)
						}
					}
					if reason == "" && L+1 >= p.MaxNewTokens {
						reason = FinishLength
					} else if reason == "" && pos >= ctx {
						reason = FinishContext
					}
				}
				if reason == "" {
					valid = true
				}
				if reason != "" {
					if r < gs {
						gen := make([]int, 0, L+1)
						for _, t := range parent.tokens[P:] {
							gen = append(gen, int(t))
						}
						if reason != FinishEOS {
							gen = append(gen, int(cd.id))
						}
						seq := Sequence{Tokens: gen, FinishReason: reason, HasScore: true,
							Score: cd.score / math.Pow(float64(L+1), lp)}
						if p.LogProbs > 0 {
							seq.LogProbs = append(slices.Clone(parent.lps), d.beamLogProb(cd, p.LogProbs))
						}
						grp.finished = append(grp.finished, seq)
					}
					continue
				}
				if len(next) < gs {
					slot := slotOf(g, len(next), newParity)
					slotToks[slot] = append(append(slotToks[slot][:0], parent.tokens...), cd.id)
					nh := beamHyp{tokens: slotToks[slot], score: cd.score, slot: slot, parent: cd.beam, stop: st}
					if p.LogProbs > 0 {
						nh.lps = append(slices.Clone(parent.lps), d.beamLogProb(cd, p.LogProbs))
					}
					next = append(next, nh)
				}
			}
			// Keep the best gs finished hypotheses; on equal scores the
			// earlier one stays.
			slices.SortStableFunc(grp.finished, func(a, b Sequence) int { return cmp.Compare(b.Score, a.Score) })
			if len(grp.finished) > gs {
				grp.finished = grp.finished[:gs]
			}
			full := len(grp.finished) == gs
			improvable := true
			if full && len(next) > 0 {
				hypLen := L + 1
				if p.EarlyStopping == EarlyStoppingNever && lp > 0 {
					hypLen = maxGen
				}
				best := next[0].score / math.Pow(float64(hypLen), lp)
				improvable = best > grp.finished[gs-1].Score
			}
			open := !(full && p.EarlyStopping == EarlyStoppingTrue)
			if !valid || len(next) == 0 || !improvable || !open {
				grp.done = true
				continue
			}
			// Fork the new beams' states; their tokens are fed at the end
			// of the step, with those of the other groups.
			for i := range next {
				nh := &next[i]
				parent := d.seqs[grp.run[nh.parent].slot]
				s := d.seqs[nh.slot]
				s.CopyFrom(parent, pos)
				tok := nh.tokens[len(nh.tokens)-1]
				d.queue(s, int(tok), pos)
			}
			grp.run, grp.spare = next, grp.run
			grp.parity = newParity
			allDone = false
		}
		// All live beams of all groups advance in one batch. A group's
		// choices read only its own beams' logits (and the tokens, not the
		// states, of earlier groups), so feeding after the last group
		// changes nothing.
		d.feed()
		if allDone {
			break
		}
	}
	var all []Sequence
	for g := range groups {
		all = append(all, groups[g].finished...)
	}
	slices.SortStableFunc(all, func(a, b Sequence) int { return cmp.Compare(b.Score, a.Score) })
	if len(all) > p.NumReturnSequences {
		all = all[:p.NumReturnSequences]
	}
	for i := range all {
		all[i].SampleIndex = i
	}
	return all, nil
}

// beamLogProb is the log-probability entry of a continuation, from its
// parent beam's processed candidates (still in d.cands[beam]).
func (d *Decoder) beamLogProb(cd beamCand, n int) LogProb {
	return logProbOf(d.cands[cd.beam], cd.id, n)
}

// pushTop keeps the best k continuations in h (unsorted, a min-heap by
// candBefore: the root is the worst kept).
func pushTop(h []beamCand, k int, e beamCand) []beamCand {
	if len(h) < k {
		h = append(h, e)
		for i := len(h) - 1; i > 0; {
			p := (i - 1) / 2
			if !candBefore(h[p], h[i]) {
				break
			}
			h[i], h[p] = h[p], h[i]
			i = p
		}
		return h
	}
	if !candBefore(e, h[0]) {
		return h
	}
	h[0] = e
	for i := 0; ; {
		w := i
		if l := 2*i + 1; l < len(h) && candBefore(h[w], h[l]) {
			w = l
		}
		if r := 2*i + 2; r < len(h) && candBefore(h[w], h[r]) {
			w = r
		}
		if w == i {
			break
		}
		h[i], h[w] = h[w], h[i]
		i = w
	}
	return h
}

// logSoftmax turns logits into log-probabilities in place.
func logSoftmax(x []float32) {
	mx := float32(math.Inf(-1))
	for _, v := range x {
		mx = max(mx, v)
	}
	if math.IsInf(float64(mx), 0) || mx != mx {
		return
	}
	var sum float64
	for _, v := range x {
		sum += math.Exp(float64(v - mx))
	}
	lse := float64(mx) + math.Log(sum)
	for i, v := range x {
		x[i] = float32(float64(v) - lse)
	}
}
