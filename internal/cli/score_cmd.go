package cli

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"

	"github.com/degen-llm/degen/internal/jsonl"
	"github.com/degen-llm/degen/kernels"
	"github.com/degen-llm/degen/model"
	"github.com/degen-llm/degen/model/tokenizer"
	"github.com/degen-llm/degen/score"
	"github.com/degen-llm/degen/score/lm"
)

// lmWorker holds what the model metrics need.
type lmWorker struct {
	m      *model.Model
	tok    *tokenizer.Tokenizer
	pool   *kernels.Pool
	s      *lm.Scorer
	corpus *score.NextToken
	chat   *chatRenderer
	msgs   string // the messages field
}

func (c *ScoreCmd) newLM() (*lmWorker, error) {
	windows, err := parseInts(c.RepWindows, "--rep-windows")
	if err != nil {
		return nil, err
	}
	name := c.Model
	if name == "default" {
		name = ""
	}
	mf := ModelFlags{Model: name, Tokenizer: c.Tokenizer}
	m, tok, err := mf.load()
	if err != nil {
		return nil, err
	}
	w := &lmWorker{m: m, tok: tok, pool: kernels.NewPool(c.Threads), msgs: c.MessagesField}
	if w.chat, err = c.ChatFlags.renderer(m, tok); err != nil {
		w.close()
		return nil, err
	}
	if w.s, err = lm.New(m, w.pool, c.CtxSize, c.Stride, windows); err != nil {
		w.close()
		return nil, usagef("%v", err)
	}
	if w.corpus, err = score.NewNextToken(windows...); err != nil {
		w.close()
		return nil, usagef("%v", err)
	}
	return w, nil
}

func (w *lmWorker) close() {
	w.pool.Close()
	w.m.Close()
}

// ids returns the tokens to feed (BOS, the prompt, then the text) and where
// the text starts. The text's ids are "generation"."token_ids" when the
// record has them and they fit the model, else the text tokenised on its
// own after the prompt.
func (w *lmWorker) ids(rec *jsonl.Record, text, promptField string) ([]int, int, error) {
	var ids []int
	if raw, ok := rec.Get(w.msgs); ok && (w.chat != nil || !rec.Has(promptField)) {
		// The text continues a conversation: condition on it as the chat
		// template renders it, as generate did.
		var err error
		if _, ids, err = w.chat.render(raw); err != nil {
			return nil, 0, err
		}
	} else {
		prompt, _, err := rec.LookupString(promptField)
		if err != nil {
			return nil, 0, err
		}
		if prompt != "" {
			ids = w.tok.Encode(prompt, w.m.Vocab.AddBOS)
		}
	}
	if len(ids) == 0 {
		// Without a prompt the text is scored after BOS, as a model sees
		// the start of a document.
		if w.tok.BOS() < 0 {
			return nil, 0, errors.New("record has no prompt and the vocabulary has no BOS token to score its first token after")
		}
		ids = []int{w.tok.BOS()}
	}
	from := len(ids)
	cont := tokenIDs(rec)
	for _, id := range cont {
		if id < 0 || id >= w.m.Config.VocabSize {
			cont = nil
			break
		}
	}
	if cont != nil {
		if dec := w.tok.DecodeAll(cont); dec != strings.TrimPrefix(text, " ") && dec != text {
			cont = nil // the ids do not spell the text: re-encode it
		}
	}
	if cont == nil {
		cont = w.tok.Encode(text, false)
	}
	return append(ids, cont...), from, nil
}

// mergeObjects appends the members of JSON object b to object a, skipping
// the keys in skip (a already has them).
func mergeObjects(a, b []byte, skip ...string) []byte {
	ra, errA := jsonl.Parse(a)
	rb, errB := jsonl.Parse(b)
	if errA != nil || errB != nil {
		return a
	}
	for _, k := range rb.Keys() {
		if !slices.Contains(skip, k) {
			v, _ := rb.Get(k)
			ra.Set(k, v)
		}
	}
	return ra.AppendJSON(nil)
}

// ScoreCmd adds metrics to records.
type ScoreCmd struct {
	InputFlags
	ChatFlags

	TextField        string `default:"text" help:"Field holding the text to score."`
	Tokenize         string `enum:"words,chars,whitespace,model" default:"words" help:"Tokenisation: words (whitespace, each CJK ideograph, kana and hangul its own token), chars (every non-space character), whitespace (Python str.split, as the papers' scripts) or model (the model's token ids; needs --model) (${enum})."`
	N                string `default:"1,2,3,4" help:"Orders n of seq_rep_n and distinct_n, comma-separated."`
	Summary          string `help:"Write a corpus summary to this file (- for stderr)."`
	SummaryFormat    string `enum:"json,markdown" default:"json" help:"Summary format (${enum})."`
	GroupBy          string `help:"Field whose value groups records (e.g. prompt) for self-BLEU, homogenization and self-repetition in the summary."`
	GroupSize        int    `help:"With --group-by: a group is complete after this many records (e.g. --num-return-sequences), so its texts can be released; otherwise every group is held until the end."`
	ExactCompression bool   `help:"Compute the summary's corpus compression ratio with the exact zlib size model (as Python's gzip) instead of klauspost's faster deflate (a few percent apart)."`
	Workers          int    `default:"0" help:"Records scored in parallel (0: one per CPU; 1 with --model, whose matrix products use --threads)."`

	Model       string `short:"m" help:"Also compute the model metrics (ppl, nll_mean, acc, rep_l, wrep_l) with this model (path or known name; 'default' for stories260K)."`
	Tokenizer   string `help:"Tokenizer file for a llama2.c model." type:"path"`
	Threads     int    `short:"t" default:"0" help:"Worker threads for the model's matrix products (0: one per CPU)."`
	PromptField string `default:"prompt" help:"With --model: the field of the prompt the text continues; the text is scored conditioned on it."`
	RepWindows  string `default:"16,32,128,512" help:"With --model: the windows l of rep_l and wrep_l."`
	CtxSize     int    `help:"With --model: window length for scoring (default: the model's context)."`
	Stride      int    `help:"With --model: stride of the sliding window over texts longer than the window (default: half the window)."`
}

// Help shows examples.
func (c *ScoreCmd) Help() string {
	return `Adds "score": {tokens, seq_rep_1..4, distinct_1..4, entropy_bits, zlib_ratio,
longest_repeat} to every record; a metric that is undefined for a text (fewer
tokens than n, empty text) is null. See README.md for definitions and sources.

Examples:
  degen score generated.jsonl > scored.jsonl
  degen score --summary - --summary-format markdown < generated.jsonl > /dev/null
  degen score --group-by prompt --summary summary.json generated.jsonl.zst -o scored.jsonl`
}

func parseInts(s, what string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		n, err := strconv.Atoi(f)
		if err != nil {
			return nil, usagef("%s: %q is not an integer", what, f)
		}
		out = append(out, n)
	}
	return out, nil
}

// Run scores.
func (c *ScoreCmd) Run(g *Globals, io *IO) error {
	ns, err := parseInts(c.N, "--n")
	if err != nil {
		return err
	}
	tk, err := score.ParseTokenization(c.Tokenize)
	if err != nil {
		return usagef("%v", err)
	}
	if tk == score.Model && c.Model == "" {
		return usagef("--tokenize model needs --model")
	}
	opt := score.Options{Tokens: tk, NGrams: ns}
	nw := c.Workers
	if nw <= 0 {
		nw = runtime.NumCPU()
	}
	var lmw *lmWorker
	if c.Model != "" {
		if lmw, err = c.newLM(); err != nil {
			return err
		}
		defer lmw.close()
		nw = 1 // one KV cache; the pool parallelises each product
	}
	workers := make([]*score.Scorer, nw)
	for i := range workers {
		if workers[i], err = score.NewScorer(opt); err != nil {
			return usagef("%v", err)
		}
	}
	if err := c.noResume(c.Summary != "", "--summary"); err != nil {
		return err
	}
	s, err := c.InputFlags.open(io)
	if err != nil {
		return err
	}
	var corpus *score.Corpus
	if c.Summary != "" {
		if corpus, err = score.NewCorpus(score.CorpusOptions{NGrams: ns, FastCompression: !c.ExactCompression, GroupSize: c.GroupSize}); err != nil {
			s.close()
			return usagef("%v", err)
		}
	}
	// What Corpus.Add needs of a record; a worker copies it out of its
	// Scorer's scratch space.
	type pending struct {
		res   score.Result
		keys  []uint64
		text  string
		group string
	}
	// The corpus accumulates on its own goroutine, in input order, while
	// the workers score the next batch:
	//
	//	workers ──▶ emit (input order) ──▶ writer
	//	                  └──▶ toCorpus ──▶ corpus.Add ──▶ corpusDone
	toCorpus := make(chan *pending, 4*batchSize)
	corpusDone := make(chan error, 1)
	if corpus != nil {
		go func() {
			var err error
			for p := range toCorpus {
				if err == nil {
					err = corpus.Add(&p.res, p.keys, p.text, p.group)
				}
			}
			corpusDone <- err
		}()
	}
	keep := func(sc *score.Scorer, res score.Result, text string) *pending {
		if corpus == nil {
			return nil
		}
		p := &pending{res: res, keys: append([]uint64(nil), sc.Keys()...), text: text}
		p.res.SeqRep = append([]float64(nil), res.SeqRep...)
		p.res.Distinct = append([]float64(nil), res.Distinct...)
		return p
	}
	bar := newRecordBar(g, io, s, "score")
	field := c.TextField
	watch := newFieldWatch()
	if err := watch.add("--group-by", c.GroupBy); err != nil {
		s.close()
		return err
	}
	err = processBatches(s, workers, func(sc *score.Scorer, rec *jsonl.Record) (*pending, error) {
		text, _, err := recordText(rec, field)
		if err != nil {
			return nil, err
		}
		if lmw == nil {
			res, err := sc.Score(text)
			if err != nil {
				return nil, err
			}
			rec.Set("score", res.AppendJSON(nil))
			return keep(sc, res, text), nil
		}
		ids, from, err := lmw.ids(rec, text, c.PromptField)
		if err != nil {
			return nil, err
		}
		var res score.Result
		if tk == score.Model {
			cont := make([]int32, len(ids)-from)
			for i, id := range ids[from:] {
				cont[i] = int32(id)
			}
			res = sc.ScoreIDs(cont, text)
		} else if res, err = sc.Score(text); err != nil {
			return nil, err
		}
		acc, err := lmw.s.Score(ids, from)
		if err != nil {
			return nil, err
		}
		if err := lmw.corpus.Merge(acc); err != nil {
			return nil, err
		}
		nt := acc.Result()
		rec.Set("score", mergeObjects(res.AppendJSON(nil), nt.AppendJSON(nil), "tokens", "uniq"))
		return keep(sc, res, text), nil
	}, func(rec *jsonl.Record, p *pending) error {
		bar.Add(1)
		if err := watch.record(rec); err != nil {
			return usagef("%v", err)
		}
		if p != nil {
			p.group = c.groupOf(rec)
			toCorpus <- p
		}
		return s.write(rec)
	})
	if err == nil {
		if werr := watch.check(); werr != nil {
			err = usagef("%v", werr)
		}
	}
	bar.Finish()
	if corpus != nil {
		close(toCorpus)
		if cerr := <-corpusDone; err == nil {
			err = cerr
		}
	}
	if err == nil && corpus != nil {
		err = c.writeSummary(io, corpus.Summary(), lmw)
	}
	if ferr := s.finish(g, io, "score", err); err == nil {
		err = ferr
	}
	return err
}

// groupOf is the record's --group-by value ("" without the flag).
func (c *ScoreCmd) groupOf(rec *jsonl.Record) string { return groupKey(rec, c.GroupBy) }

// writeSummary writes the corpus summary (and the model metrics pooled
// over all tokens) to --summary.
func (c *ScoreCmd) writeSummary(io *IO, sum score.Summary, lmw *lmWorker) error {
	var out []byte
	if c.SummaryFormat == "markdown" {
		out = []byte(sum.Markdown())
		if lmw != nil {
			r := lmw.corpus.Result()
			var b strings.Builder
			b.WriteString("\n| model metric (pooled over all tokens) | value |\n|---|---:|\n")
			fmt.Fprintf(&b, "| tokens | %d |\n| ppl | %.4f |\n| acc | %.4f |\n", r.Tokens, r.PPL, r.Acc)
			for j, l := range r.Windows {
				fmt.Fprintf(&b, "| rep_%d | %.4f |\n| wrep_%d | %.4f |\n", l, r.Rep[j], l, r.WRep[j])
			}
			fmt.Fprintf(&b, "| uniq | %d |\n", r.Uniq)
			out = append(out, b.String()...)
		}
	} else {
		out = sum.AppendJSON(nil)
		if lmw != nil {
			r := lmw.corpus.Result()
			out = append(out[:len(out)-1], `,"model":`...)
			out = append(r.AppendJSON(out), '}')
		}
		out = append(out, '\n')
	}
	if c.Summary == "-" {
		_, err := io.Stderr.Write(out)
		return err
	}
	return os.WriteFile(c.Summary, out, 0o644)
}
