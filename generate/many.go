package generate

import (
	"errors"
	"fmt"
	"time"

	"github.com/degen-llm/degen/generate/sample"
)

// Job is one prompt of a batch of independent records.
type Job struct {
	Prompt []int  // token ids, BOS first
	Params Params // already normalised and valid
	Record uint64 // the record's index in its input (selects random streams)
	// NewStopper, if set, starts the job's stop watcher.
	NewStopper func() Stopper
}

// Batchable reports whether p can run in a batch of independent records:
// greedy decoding or sampling with one output. Beam and contrastive search
// already batch their own sequences.
func Batchable(p Params) bool {
	s := p.Strategy()
	return (s == StrategyGreedy || s == StrategySample) && p.NumReturnSequences <= 1
}

// DecodeMany continues several independent prompts together: each prompt
// is prefilled on its own, then every step feeds the chosen tokens of all
// unfinished jobs in one batch, so each weight row read from memory serves
// all of them. Each job keeps its own parameters, processor chain, random
// stream, history and stop watcher, so its output is the one Decode would
// give. Jobs must be Batchable. OnToken is not called.
func (d *Decoder) DecodeMany(jobs []Job) ([]*Output, error) {
	if len(jobs) == 0 {
		return nil, nil
	}
	ctx := d.LM.Context()
	chains := make([]sample.Chain, len(jobs))
	outs := make([]*Output, len(jobs))
	d.runs(len(jobs))
	runs := d.runBuf[:len(jobs)]
	for i, j := range jobs {
		if !Batchable(j.Params) {
			return nil, fmt.Errorf("job %d: strategy %s cannot run in a batch of records", i, j.Params.Strategy())
		}
		if len(j.Prompt) == 0 {
			return nil, errors.New("generate: empty prompt (it needs at least BOS)")
		}
		if len(j.Prompt) > ctx {
			return nil, fmt.Errorf("prompt has %d tokens, more than the context of %d", len(j.Prompt), ctx)
		}
		ch, err := d.Chain(j.Params)
		if err != nil {
			return nil, err
		}
		chains[i] = ch
		outs[i] = &Output{Strategy: j.Params.Strategy(), Sampler: ch.String()}
		s, err := d.seq(i)
		if err != nil {
			return nil, err
		}
		feedPrompt(s, j.Prompt, false, nil)
		saved := d.NewStopper
		d.NewStopper = j.NewStopper
		d.start(&runs[i], j.Prompt, j.Params, j.Record, 0, i, j.Params.Strategy())
		d.NewStopper = saved
		runs[i].c = d.cand(i)
	}
	onToken := d.OnToken
	d.OnToken = nil
	defer func() { d.OnToken = onToken }()
	for live := len(runs); live > 0; {
		d.resetFeed()
		for i := range runs {
			r := &runs[i]
			if r.done {
				continue
			}
			more, feed, err := d.step(r, jobs[i].Params, chains[i], outs[i].Strategy)
			if err != nil {
				d.resetFeed()
				return nil, fmt.Errorf("job %d: %w", i, err)
			}
			if !more {
				r.done = true
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
	for i := range runs {
		outs[i].Sequences = []Sequence{runs[i].seq}
		runs[i].seq = Sequence{}
	}
	return outs, nil
}

// GenerateMany continues several prompts as one batch (see
// Decoder.DecodeMany); records are the prompts' indexes in their input.
// Every params must be Batchable. The results, one per prompt, share the
// batch's elapsed time.
func (e *Engine) GenerateMany(prompts []string, params []Params, records []uint64) ([]*Result, error) {
	ps := make([]Prompt, len(prompts))
	for i, t := range prompts {
		ps[i].Text = t
	}
	return e.GenerateManyPrompts(ps, params, records)
}

// GenerateManyPrompts is GenerateMany for Prompts.
func (e *Engine) GenerateManyPrompts(prompts []Prompt, params []Params, records []uint64) ([]*Result, error) {
	if len(params) != len(prompts) || len(records) != len(prompts) {
		return nil, errors.New("generate: GenerateMany needs one params and one record index per prompt")
	}
	start := time.Now()
	jobs := make([]Job, len(prompts))
	lasts := make([]int, len(prompts))
	for i, prompt := range prompts {
		p := params[i].Normalized()
		if err := p.Validate(); err != nil {
			return nil, err
		}
		ids, err := e.promptIDs(prompt)
		if err != nil {
			return nil, err
		}
		last := ids[len(ids)-1]
		lasts[i] = last
		jobs[i] = Job{Prompt: ids, Params: p, Record: records[i], NewStopper: e.stopperFor(p, last)}
	}
	outs, err := e.dec.DecodeMany(jobs)
	if err != nil {
		return nil, err
	}
	el := time.Since(start)
	res := make([]*Result, len(outs))
	for i, out := range outs {
		res[i] = e.result(out, out.Sequences[0], jobs[i].Params, len(jobs[i].Prompt), lasts[i], el)
	}
	return res, nil
}
