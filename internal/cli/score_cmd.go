package cli

import (
	"fmt"
	"runtime"
	"strconv"
	"strings"

	"github.com/degen-llm/degen/internal/jsonl"
	"github.com/degen-llm/degen/internal/tty"
	"github.com/degen-llm/degen/score"
)

// ScoreCmd adds metrics to records.
type ScoreCmd struct {
	InputFlags

	TextField     string `default:"text" help:"Field holding the text to score."`
	Tokenize      string `enum:"words,chars,model" default:"words" help:"Tokenisation: words (whitespace, each CJK character its own token), chars (every non-space character) or model (the model's token ids; needs --model) (${enum})."`
	N             string `default:"1,2,3,4" help:"Orders n of seq_rep_n and distinct_n, comma-separated."`
	Summary       string `help:"Write a corpus summary to this file (- for stderr)."`
	SummaryFormat string `enum:"json,markdown" default:"json" help:"Summary format (${enum})."`
	GroupBy       string `help:"Field whose value groups records (e.g. prompt) for self-BLEU, homogenization and self-repetition in the summary."`
	Workers       int    `default:"0" help:"Records scored in parallel (0: one per CPU)."`
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
	if tk == score.Model {
		return usagef("--tokenize model needs --model, which comes with the model metrics")
	}
	opt := score.Options{Tokens: tk, NGrams: ns}
	nw := c.Workers
	if nw <= 0 {
		nw = runtime.NumCPU()
	}
	workers := make([]*score.Scorer, nw)
	for i := range workers {
		if workers[i], err = score.NewScorer(opt); err != nil {
			return usagef("%v", err)
		}
	}
	s, err := c.InputFlags.open(io)
	if err != nil {
		return err
	}
	bar := tty.NewProgress(io.Stderr, g.showProgress(io), -1, "score", "records")
	field := c.TextField
	err = processBatches(s, workers, func(sc *score.Scorer, rec *jsonl.Record, _ int) error {
		text, ok, err := rec.GetString(field)
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("no %q field (choose it with --text-field)", field)
		}
		res, err := sc.Score(text)
		if err != nil {
			return err
		}
		rec.Set("score", res.AppendJSON(nil))
		return nil
	}, func(rec *jsonl.Record) error {
		bar.Add(1)
		return s.write(rec)
	})
	bar.Finish()
	if ferr := s.finish(g, io, "score"); err == nil {
		err = ferr
	}
	return err
}
