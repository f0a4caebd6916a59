package generate

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/degen-llm/degen/internal/shared"
	"github.com/degen-llm/degen/kernels"
	"github.com/degen-llm/degen/model"
	"github.com/degen-llm/degen/model/tokenizer"
)

// unbatchedLM hides the batcher of the LM it wraps: every sequence then
// advances with its own Forward, the path the batch must reproduce.
type unbatchedLM struct{ LM }

// onBothPaths runs gen on e once batched and once unbatched.
func onBothPaths[T any](e *Engine, gen func() T) (batched, unbatched T) {
	lm := e.dec.LM
	batched = gen()
	e.dec.LM = unbatchedLM{lm}
	defer func() { e.dec.LM = lm }()
	unbatched = gen()
	return batched, unbatched
}

func TestBatchedMatchesUnbatched(t *testing.T) {
	for _, threads := range []int{1, 2} {
		e := storiesThreads(t, threads)
		for _, tc := range []struct {
			name string
			set  func(p *Params)
		}{
			{"beam", func(p *Params) { p.NumBeams, p.NumReturnSequences, p.LogProbs = 4, 4, 2 }},
			{"beam+penalty+stop", func(p *Params) {
				p.NumBeams, p.NumReturnSequences, p.RepetitionPenalty, p.Stop = 5, 3, 1.3, []string{"."}
			}},
			{"diverse", func(p *Params) {
				p.NumBeams, p.NumBeamGroups, p.DiversityPenalty, p.NumReturnSequences = 4, 2, 1, 4
			}},
			{"diverse-6x3", func(p *Params) {
				p.NumBeams, p.NumBeamGroups, p.DiversityPenalty, p.NumReturnSequences, p.EarlyStopping = 6, 3, 0.5, 6, EarlyStoppingNever
			}},
			{"contrastive", func(p *Params) { p.PenaltyAlpha, p.TopK, p.RepetitionPenalty, p.LogProbs = 0.6, 4, 1.2, 1 }},
			{"contrastive-k7", func(p *Params) { p.PenaltyAlpha, p.TopK, p.Stop = 0.4, 7, []string{"!"} }},
			{"samples", func(p *Params) {
				p.DoSample, p.Temperature, p.TopP, p.Seed, p.NumReturnSequences, p.LogProbs = true, 1, 0.95, 77, 4, 1
			}},
			{"samples+stop+mirostat", func(p *Params) {
				p.DoSample, p.Temperature, p.Seed, p.NumReturnSequences = true, 1.2, 5, 5
				p.Mirostat, p.MirostatTau, p.MirostatEta = 2, 5, 0.1
				p.Stop, p.StopOnLoop, p.DRYMultiplier = []string{"!"}, true, 0.8
			}},
		} {
			p := DefaultParams()
			p.MaxNewTokens = 120
			prompts := []string{"Once upon a time", "Lily and Tom"}
			if testing.Short() {
				// scripts/test.sh runs the race detector with -short: the
				// same scheduling, one prompt, fewer steps (the full run
				// takes minutes under -race on two loaded cores).
				p.MaxNewTokens, prompts = 40, prompts[:1]
			}
			tc.set(&p)
			for _, prompt := range prompts {
				b, u := onBothPaths(e, func() []*Result {
					res, err := e.GenerateAll(prompt, p, 2)
					require.NoError(t, err, tc.name)
					for _, r := range res {
						r.Elapsed = 0
					}
					return res
				})
				require.Len(t, b, p.Normalized().NumReturnSequences, tc.name)
				assert.Equal(t, u, b, "%s, %q, %d threads", tc.name, prompt, threads)
				for _, r := range b {
					assert.NotEmpty(t, r.TokenIDs, tc.name)
				}
			}
		}
		require.NotNil(t, e.lm.batch, "the batched path ran")
		assert.GreaterOrEqual(t, e.lm.batchCap, 7)
	}
}

// sequentialSamples is how singles ran several samples before lockstep:
// each from a copy of the prompt's state, one after the other.
func sequentialSamples(t *testing.T, d *Decoder, prompt []int, p Params, record uint64) []Sequence {
	p = p.Normalized()
	chain, err := d.Chain(p)
	require.NoError(t, err)
	base, err := d.seq(0)
	require.NoError(t, err)
	feedPrompt(base, prompt, false, nil)
	out := make([]Sequence, p.NumReturnSequences)
	for i := range out {
		m, err := d.seq(1)
		require.NoError(t, err)
		m.CopyFrom(base, len(prompt))
		out[i], err = d.single(prompt, p, chain, record, i, 1, p.Strategy())
		require.NoError(t, err)
	}
	return out
}

func TestLockstepSamplesMatchSequential(t *testing.T) {
	e := stories(t)
	type event struct{ i, id int }
	var events []event
	e.dec.OnToken = func(i, id int) { events = append(events, event{i, id}) }
	ids := e.Encode("Once upon a time")
	last := ids[len(ids)-1]
	for _, set := range []func(p *Params){
		func(p *Params) { p.DoSample, p.Temperature, p.TopP, p.Seed = true, 1, 0.95, 1234 },
		func(p *Params) {
			p.DoSample, p.Temperature, p.TopK, p.Seed, p.RepetitionPenalty = true, 0.8, 40, 9, 1.3
		},
		func(p *Params) { p.DoSample, p.Seed, p.Mirostat, p.MirostatTau, p.MinNewTokens = true, 3, 1, 8, 20 },
	} {
		p := DefaultParams()
		p.MaxNewTokens, p.NumReturnSequences, p.LogProbs = 150, 4, 1
		set(&p)
		// A stop string ends the samples at different steps.
		e.dec.NewStopper = func() Stopper { return newTextStopper(e.Tok, last, []string{"!", "day"}) }
		events = events[:0]
		want := sequentialSamples(t, &e.dec, ids, p, 5)
		wantEvents := append([]event(nil), events...)
		events = events[:0]
		got, err := e.dec.Decode(ids, p, 5)
		require.NoError(t, err)
		assert.Equal(t, want, got.Sequences)
		assert.Equal(t, wantEvents, events, "OnToken sees each sample's tokens in turn")
		lens := map[int]bool{}
		for _, s := range got.Sequences {
			lens[len(s.Tokens)] = true
		}
		assert.Greater(t, len(lens), 1, "samples of different lengths leave the batch at different steps: %v", lens)
	}
}

func storiesThreads(t *testing.T, threads int) *Engine {
	t.Helper()
	dir, err := shared.Models()
	require.NoError(t, err)
	m, err := model.Load(filepath.Join(dir, "stories260K.bin"), model.LoadOptions{})
	require.NoError(t, err)
	t.Cleanup(func() { m.Close() })
	tok, err := tokenizer.New(m.Vocab)
	require.NoError(t, err)
	pool := kernels.NewPool(threads)
	t.Cleanup(pool.Close)
	e, err := NewEngine(m, tok, pool, model.StateOptions{Context: 512})
	require.NoError(t, err)
	return e
}

// BenchmarkBatchedDecoding measures the strategies that advance several
// sequences per step on a stories15M-shaped synthetic model, batched and
// unbatched (DEGEN_SYNTH_CACHE names a folder to keep the 60 MB model in).
func BenchmarkBatchedDecoding(b *testing.B) {
	dir := os.Getenv("DEGEN_SYNTH_CACHE")
	if dir == "" {
		dir = filepath.Join(os.TempDir(), "degen-synth")
	}
	path, err := model.SynthFile(dir, model.Stories15M, 1, model.FormatGGUF)
	require.NoError(b, err)
	m, err := model.Load(path, model.LoadOptions{})
	require.NoError(b, err)
	defer m.Close()
	tok, err := tokenizer.New(m.Vocab)
	require.NoError(b, err)
	pool := kernels.NewPool(runtime.NumCPU())
	defer pool.Close()
	for _, tc := range []struct {
		name string
		set  func(p *Params)
	}{
		{"contrastive-a0.6-k4", func(p *Params) { p.PenaltyAlpha, p.TopK = 0.6, 4 }},
		{"beam4", func(p *Params) { p.NumBeams, p.NumReturnSequences = 4, 4 }},
		{"samples4", func(p *Params) { p.DoSample, p.Temperature, p.Seed, p.NumReturnSequences = true, 1, 1, 4 }},
	} {
		p := DefaultParams()
		p.MaxNewTokens = 64
		tc.set(&p)
		for _, batched := range []bool{false, true} {
			name := tc.name + "/unbatched"
			if batched {
				name = tc.name + "/batched"
			}
			b.Run(name, func(b *testing.B) {
				e, err := NewEngine(m, tok, pool, model.StateOptions{})
				require.NoError(b, err)
				if !batched {
					e.dec.LM = unbatchedLM{e.dec.LM}
				}
				tokens := 0
				b.ResetTimer()
				for b.Loop() {
					res, err := e.GenerateAll("Once upon a time", p, 0)
					require.NoError(b, err)
					for _, r := range res {
						tokens += len(r.TokenIDs)
					}
				}
				b.ReportMetric(float64(tokens)/b.Elapsed().Seconds(), "tok/s")
			})
		}
	}
}
