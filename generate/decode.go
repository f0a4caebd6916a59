package generate

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"

	"github.com/degen-llm/degen/generate/sample"
)

// Sequence is one output of a strategy, in token ids.
type Sequence struct {
	Tokens       []int // generated ids, the end-of-generation token excluded
	FinishReason string
	// Score is a beam hypothesis's sum of processed log-probabilities over
	// generated_len^length_penalty (HasScore is set for beam search only).
	Score    float64
	HasScore bool
	// LogProbs has one entry per generated token when Params.LogProbs > 0.
	LogProbs    []LogProb
	SampleIndex int // which of num_return_sequences this is
}

// LogProb is a token with its log-probability under the processed
// distribution of its step, and (for the chosen token) the most probable
// alternatives.
type LogProb struct {
	ID      int       `json:"id"`
	Token   string    `json:"token"`
	LogProb float32   `json:"logprob"`
	Top     []LogProb `json:"top,omitempty"`
}

// Stopper watches the text of one sequence for stop strings. Add takes the
// next generated token and reports whether a stop string has appeared;
// Clone forks the watcher with its sequence (beam search).
type Stopper interface {
	Add(id int) bool
	Clone() Stopper
}

// Decoder runs the decoding strategies on token ids over an LM. It holds
// sequence states and working sets that are reused from call to call, so it
// is not safe for concurrent use.
type Decoder struct {
	LM LM
	// Vocab describes the vocabulary to the processors; Vocab.EOS are the
	// end-of-generation ids.
	Vocab sample.VocabInfo
	// NewStopper, if set, starts a stop-string watcher for a new sequence.
	NewStopper func() Stopper
	// OnToken, if set, is called with each token that greedy, sampling and
	// contrastive search choose, as they choose it.
	OnToken func(sampleIndex, id int)

	seqs   []Seq
	cands  []*sample.Candidates
	hist   sample.History
	runBuf []run // the sequences of singles
	// streaming is the sample whose tokens OnToken reports as they come.
	streaming int
	// fwdSeqs, fwdTok and fwdPos queue one step's forwards (see feed).
	fwdSeqs        []Seq
	fwdTok, fwdPos []int
	hidden         []float32 // contrastive search: unit hidden states of the context, (t, dim)
	// promptHidden receives the prompt's hidden states from a batched
	// prefill, (len(prompt), dim).
	promptHidden []float32
	top          []scored

	chainCfg *sample.Config
	chain    sample.Chain
}

// Output is what Decode returns for one prompt.
type Output struct {
	Sequences []Sequence
	Strategy  string
	Sampler   string // the processor chain, e.g. "repetition_penalty(1.3) > top_k(40)"
}

// seq returns sequence state i, allocating it on first use.
func (d *Decoder) seq(i int) (Seq, error) {
	for len(d.seqs) <= i {
		s, err := d.LM.NewSeq()
		if err != nil {
			return nil, err
		}
		d.seqs = append(d.seqs, s)
	}
	return d.seqs[i], nil
}

func (d *Decoder) cand(i int) *sample.Candidates {
	for len(d.cands) <= i {
		d.cands = append(d.cands, sample.NewCandidates(d.LM.VocabSize()))
	}
	return d.cands[i]
}

// Chain builds (or reuses, when the config has not changed) the processor
// chain of p. Building can be costly (DRY matches its breakers against the
// whole vocabulary), and consecutive records usually share their settings.
func (d *Decoder) Chain(p Params) (sample.Chain, error) {
	if d.chainCfg != nil && reflect.DeepEqual(*d.chainCfg, p.Config) {
		return d.chain, nil
	}
	v := d.Vocab
	v.Size = d.LM.VocabSize()
	ch, err := sample.BuildChain(p.Config, v)
	if err != nil {
		return nil, err
	}
	cfg := p.Config.Clone()
	d.chainCfg, d.chain = &cfg, ch
	return ch, nil
}

// Decode continues the prompt ids with the strategy p selects. record
// numbers the prompt in its input (from 0): with the seed it picks the
// random streams, so outputs do not depend on how records are scheduled.
func (d *Decoder) Decode(prompt []int, p Params, record uint64) (*Output, error) {
	p = p.Normalized()
	if err := p.Validate(); err != nil {
		return nil, err
	}
	if len(prompt) == 0 {
		return nil, errors.New("generate: empty prompt (it needs at least BOS)")
	}
	if ctx := d.LM.Context(); len(prompt) > ctx {
		return nil, fmt.Errorf("prompt has %d tokens, more than the context of %d", len(prompt), ctx)
	}
	chain, err := d.Chain(p)
	if err != nil {
		return nil, err
	}
	out := &Output{Strategy: p.Strategy(), Sampler: chain.String()}
	switch out.Strategy {
	case StrategyBeam, StrategyDiverseBeam:
		out.Sequences, err = d.beamSearch(prompt, p, chain)
	default:
		out.Sequences, err = d.singles(prompt, p, chain, record, out.Strategy)
	}
	if err != nil {
		return nil, err
	}
	return out, nil
}

// singles runs greedy decoding, sampling or contrastive search once per
// returned sequence. The prompt is fed once into state 0; with several
// samples each starts from a copy of it. Several greedy or sampled
// sequences advance in lockstep (lockstep); contrastive search runs them
// one after the other, each step already a batch of its top_k candidates.
func (d *Decoder) singles(prompt []int, p Params, chain sample.Chain, record uint64, strategy string) ([]Sequence, error) {
	base, err := d.seq(0)
	if err != nil {
		return nil, err
	}
	contrastive := strategy == StrategyContrastive
	d.promptHidden = feedPrompt(base, prompt, contrastive, d.promptHidden)
	d.hidden = d.hidden[:0]
	if contrastive {
		dim := len(base.Hidden())
		for off := 0; off+dim <= len(d.promptHidden); off += dim {
			d.hidden = appendUnit(d.hidden, d.promptHidden[off:off+dim])
		}
	}
	if p.NumReturnSequences > 1 && !contrastive {
		return d.lockstep(prompt, p, chain, record, strategy)
	}
	out := make([]Sequence, p.NumReturnSequences)
	for i := range out {
		mainIdx := 0
		if p.NumReturnSequences > 1 {
			mainIdx = 1
			m, err := d.seq(1)
			if err != nil {
				return nil, err
			}
			m.CopyFrom(base, len(prompt))
		}
		if out[i], err = d.single(prompt, p, chain, record, i, mainIdx, strategy); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// run is one sequence that greedy decoding, sampling or contrastive search
// is generating.
type run struct {
	idx  int // the sample index
	slot int // its Seq in Decoder.seqs
	hist sample.History
	rng  *rand.Rand
	stop Stopper
	c    *sample.Candidates
	seq  Sequence
	pos  int // where its next token goes
	next int // the token to feed at pos, after a step that goes on
	done bool
	// pending holds the tokens chosen while an earlier sample of a lockstep
	// run still streams: OnToken sees each sample's tokens in turn.
	pending []int
}

// start prepares r to generate sample idx from state slot, whose logits
// are those after the prompt.
func (d *Decoder) start(r *run, prompt []int, p Params, record uint64, idx, slot int, strategy string) {
	h := &r.hist
	h.Tokens = h.Tokens[:0]
	for _, id := range prompt {
		h.Tokens = append(h.Tokens, int32(id))
	}
	h.Prompt = len(prompt)
	h.State = nil
	r.rng = nil
	if strategy == StrategySample {
		stream := sample.Stream(record, uint64(idx))
		r.rng = sample.NewRNG(p.Seed, stream)
		h.State = sample.NewState(p.Seed, stream)
	}
	r.stop = nil
	if d.NewStopper != nil {
		r.stop = d.NewStopper()
	}
	r.idx, r.slot, r.pos, r.done = idx, slot, len(prompt), false
	r.pending = r.pending[:0]
	r.seq = Sequence{SampleIndex: idx, Tokens: make([]int, 0, min(p.MaxNewTokens, 1024))}
}

// single generates one sequence from state mainIdx, whose logits are those
// after the prompt.
func (d *Decoder) single(prompt []int, p Params, chain sample.Chain, record uint64, idx, mainIdx int, strategy string) (Sequence, error) {
	r := d.runs(1)
	d.start(r, prompt, p, record, idx, mainIdx, strategy)
	r.c = d.cand(0)
	d.streaming = idx
	for {
		more, feed, err := d.step(r, p, chain, strategy)
		if err != nil {
			return r.seq, err
		}
		if !more {
			break
		}
		if feed {
			d.seqs[r.slot].Forward(r.next, r.pos)
		}
		r.pos++
	}
	return r.seq, nil
}

// lockstep generates p.NumReturnSequences greedy or sampled sequences
// together: sample i runs in state 1+i (a copy of the prompt's state 0)
// with its own random stream, history and stop watcher, and every step
// feeds the chosen tokens of all unfinished samples in one batch. A sample
// that finishes drops out of the batch. Each sample's choices depend only
// on its own state, so the outputs are those of running the samples one
// after the other.
func (d *Decoder) lockstep(prompt []int, p Params, chain sample.Chain, record uint64, strategy string) ([]Sequence, error) {
	n := p.NumReturnSequences
	base := d.seqs[0]
	d.runs(n)
	runs := d.runBuf[:n]
	for i := range runs {
		s, err := d.seq(1 + i)
		if err != nil {
			return nil, err
		}
		s.CopyFrom(base, len(prompt))
		d.start(&runs[i], prompt, p, record, i, 1+i, strategy)
		runs[i].c = d.cand(i)
	}
	d.streaming = 0
	for live := n; live > 0; {
		d.resetFeed()
		for i := range runs {
			r := &runs[i]
			if r.done {
				continue
			}
			more, feed, err := d.step(r, p, chain, strategy)
			if err != nil {
				d.resetFeed()
				return nil, err
			}
			if !more {
				d.finish(runs, i)
				live--
				continue
			}
			if feed {
				d.queue(d.seqs[r.slot], r.next, r.pos)
			}
			r.pos++
		}
		d.feed()
	}
	out := make([]Sequence, n)
	for i := range runs {
		out[i] = runs[i].seq
		runs[i].seq = Sequence{}
	}
	return out, nil
}

// runs returns the first of n reusable runs.
func (d *Decoder) runs(n int) *run {
	for len(d.runBuf) < n {
		d.runBuf = append(d.runBuf, run{})
	}
	return &d.runBuf[0]
}

// finish marks runs[i] done and, when it was the sample streaming through
// OnToken, passes the stream on to the next unfinished one, first
// replaying the tokens that sample chose meanwhile.
func (d *Decoder) finish(runs []run, i int) {
	runs[i].done = true
	for d.streaming < len(runs) && runs[d.streaming].done {
		d.streaming++
		if d.streaming < len(runs) {
			r := &runs[d.streaming]
			if d.OnToken != nil {
				for _, id := range r.pending {
					d.OnToken(r.idx, id)
				}
			}
			r.pending = r.pending[:0]
		}
	}
}

// emit reports r's chosen token to OnToken, or keeps it until r streams.
func (d *Decoder) emit(r *run, id int) {
	if d.OnToken == nil {
		return
	}
	if r.idx == d.streaming {
		d.OnToken(r.idx, id)
		return
	}
	r.pending = append(r.pending, id)
}

// queue adds s ← (token, pos) to the batch that feed runs.
func (d *Decoder) queue(s Seq, token, pos int) {
	d.fwdSeqs = append(d.fwdSeqs, s)
	d.fwdTok = append(d.fwdTok, token)
	d.fwdPos = append(d.fwdPos, pos)
}

// feed runs the queued forwards as one batch and empties the queue.
func (d *Decoder) feed() {
	if len(d.fwdSeqs) > 0 {
		forwardAll(d.LM, d.fwdSeqs, d.fwdTok, d.fwdPos)
	}
	d.resetFeed()
}

func (d *Decoder) resetFeed() {
	clear(d.fwdSeqs)
	d.fwdSeqs, d.fwdTok, d.fwdPos = d.fwdSeqs[:0], d.fwdTok[:0], d.fwdPos[:0]
}

// step chooses r's next token from its state's logits. more reports that
// the sequence goes on with r.next at r.pos; feed that the token still has
// to be fed (contrastive search has already run it in the winning fork).
func (d *Decoder) step(r *run, p Params, chain sample.Chain, strategy string) (more, feed bool, err error) {
	seq := &r.seq
	if len(seq.Tokens) >= p.MaxNewTokens {
		seq.FinishReason = FinishLength
		return false, false, nil
	}
	c := r.c
	c.Reset(d.seqs[r.slot].Logits())
	chain.Process(&r.hist, c)
	var next int32
	forwarded := false
	switch strategy {
	case StrategySample:
		next = sample.Sample(c, r.rng.Float32())
	case StrategyContrastive:
		next, forwarded, err = d.contrastiveStep(c, p, r.slot, r.pos)
		if err != nil {
			return false, false, err
		}
	default:
		next = sample.Greedy(c)
	}
	if next < 0 {
		if err := sample.Check(c); err != nil {
			return false, false, err
		}
		return false, false, sample.ErrNoDistribution
	}
	chain.Observe(&r.hist, c, next)
	if p.LogProbs > 0 {
		seq.LogProbs = append(seq.LogProbs, logProbOf(c, next, p.LogProbs))
	}
	if d.isEOG(next) {
		seq.FinishReason = FinishEOS
		return false, false, nil
	}
	seq.Tokens = append(seq.Tokens, int(next))
	r.hist.Tokens = append(r.hist.Tokens, next)
	d.emit(r, int(next))
	if r.stop != nil && r.stop.Add(int(next)) {
		seq.FinishReason = stopReason(r.stop)
		return false, false, nil
	}
	if len(seq.Tokens) >= p.MaxNewTokens {
		seq.FinishReason = FinishLength
		return false, false, nil
	}
	if r.pos >= d.LM.Context() {
		seq.FinishReason = FinishContext
		return false, false, nil
	}
	r.next = int(next)
	return true, !forwarded, nil
}

// isEOG reports whether id ends generation (the vocabulary's EOS ids,
// usually one to three of them).
func (d *Decoder) isEOG(id int32) bool { return slices.Contains(d.Vocab.EOS, id) }

// logProbOf reports chosen's log-probability and the n best alternatives
// under the processed candidates.
func logProbOf(c *sample.Candidates, chosen int32, n int) LogProb {
	lp, top := sample.LogProbs(c, chosen, n, nil)
	e := LogProb{ID: int(chosen), LogProb: lp, Top: make([]LogProb, len(top))}
	for i, t := range top {
		e.Top[i] = LogProb{ID: int(t.ID), LogProb: t.LogProb}
	}
	return e
}

// scored is a contrastive-search candidate.
type scored struct {
	id int32
	p  float32
}

// contrastiveStep picks the next token by contrastive search (decoding.md
// §7): the top_k most probable candidates after the processors are each run
// one step in a fork of the main state; the one maximising
// (1−α)·p(v) − α·max_j cos(h_v, h_j) wins (the first on ties). The winner's
// state becomes the main state, so its logits serve the next step and
// forwarded is true. At the last position of the context there is no room
// to look ahead, and the most probable candidate is taken.
func (d *Decoder) contrastiveStep(c *sample.Candidates, p Params, mainIdx, pos int) (int32, bool, error) {
	if !c.Softmax() {
		return -1, false, nil
	}
	k := p.TopK
	top := d.top[:0]
	for i, id := range c.IDs {
		e := scored{id, c.Probs[i]}
		if len(top) == k && !better(e, top[k-1]) {
			continue
		}
		if len(top) < k {
			top = append(top, e)
		} else {
			top[k-1] = e
		}
		for j := len(top) - 1; j > 0 && better(top[j], top[j-1]); j-- {
			top[j], top[j-1] = top[j-1], top[j]
		}
	}
	d.top = top
	if len(top) == 0 {
		return -1, false, nil
	}
	if pos >= d.LM.Context() {
		return top[0].id, false, nil
	}
	main := d.seqs[mainIdx]
	alpha := float64(p.PenaltyAlpha)
	best, bestScore := -1, 0.0
	d.resetFeed()
	for j, t := range top {
		cs, err := d.seq(mainIdx + 1 + j)
		if err != nil {
			return -1, false, err
		}
		cs.CopyFrom(main, pos)
		d.queue(cs, int(t.id), pos)
	}
	d.feed() // the k candidates advance together
	for j, t := range top {
		cs := d.seqs[mainIdx+1+j]
		s := (1-alpha)*float64(t.p) - alpha*d.maxCos(cs.Hidden())
		if best < 0 || s > bestScore {
			best, bestScore = j, s
		}
	}
	slot := mainIdx + 1 + best
	d.seqs[mainIdx], d.seqs[slot] = d.seqs[slot], d.seqs[mainIdx]
	d.hidden = appendUnit(d.hidden, d.seqs[mainIdx].Hidden())
	return top[best].id, true, nil
}

// better orders contrastive candidates: higher probability, then lower id.
func better(a, b scored) bool { return a.p > b.p || (a.p == b.p && a.id < b.id) }

// maxCos is the largest cosine similarity between h and the unit hidden
// states of the context (the degeneration penalty).
func (d *Decoder) maxCos(h []float32) float64 {
	dim := len(h)
	var nn float64
	for _, v := range h {
		nn += float64(v) * float64(v)
	}
	inv := 0.0
	if nn > 0 {
		inv = 1 / math.Sqrt(nn)
	}
	best := math.Inf(-1)
	for off := 0; off+dim <= len(d.hidden); off += dim {
		row := d.hidden[off : off+dim]
		var dot float64
		for i, v := range h {
			dot += float64(v) * float64(row[i])
		}
		best = max(best, dot*inv)
	}
	if math.IsInf(best, -1) {
		return 0
	}
	return best
}

// appendUnit appends h scaled to unit length (a zero vector stays zero).
func appendUnit(dst, h []float32) []float32 {
	var nn float64
	for _, v := range h {
		nn += float64(v) * float64(v)
	}
	inv := 0.0
	if nn > 0 {
		inv = 1 / math.Sqrt(nn)
	}
	for _, v := range h {
		dst = append(dst, float32(float64(v)*inv))
	}
	return dst
}
