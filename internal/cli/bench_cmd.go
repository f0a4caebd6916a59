package cli

import (
	"encoding/json"
	"fmt"
	"github.com/degen-llm/degen/kernels"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/degen-llm/degen/internal/bench"
)

// BenchCmd measures speed against the bandwidth limit.
type BenchCmd struct {
	Dir           string   `help:"Folder for the synthetic models (default: the cache's synth folder)."`
	Shapes        []string `default:"stories15M,stories110M" help:"Model shapes to measure (${shapes})."`
	Types         []string `default:"f32,q8_0" help:"Weight types to measure (f32, f16, q8_0, ...; see degen model quantize)."`
	Threads       []int    `default:"1,2" help:"Thread counts to measure."`
	DecodeTokens  int      `default:"128" help:"Tokens decoded per measurement."`
	PrefillTokens int      `default:"128" help:"Prompt length of the prefill measurement."`
	Batch         int      `default:"8" help:"Sequences of the batched-decode measurement (0: skip)."`
	BandwidthMiB  int      `name:"bandwidth-mib" default:"1024" help:"Size of the buffer read to measure memory bandwidth; must exceed the last-level cache."`
	Repeat        int      `default:"1" help:"Rounds over all rows; each figure is then the median over rounds (ratios taken within each round)."`
	JSON          string   `help:"Also write the results as JSON to this file." type:"path"`
	Previous      string   `help:"Earlier JSON results to compare with (default: the last run, kept in the synth folder)." type:"path"`
	LlamaBench    string   `placeholder:"PATH" help:"llama.cpp's llama-bench: run it on the same file and threads right after each row, and print degen's speed as a ratio to it." type:"existingfile"`
	Llama2C       string   `name:"llama2c" placeholder:"PATH" help:"llama2.c's run binary (built with OpenMP): run it on a llama2.c export of the same weights for the F32 llama rows, and print the ratio." type:"existingfile"`
}

// Help explains the figures.
func (c *BenchCmd) Help() string {
	return `Writes random-weight models of the stories15M and stories110M shapes (once;
they are reused), measures the machine's memory read bandwidth, then decode,
prefill and batched-decode speed for each weight type and thread count.

GB/s is the memory read bandwidth measured between that row's decode tokens
(the machine's speed changes from second to second when it is shared).
limit = GB/s / bytes of weights read per token: the most tokens per second a
memory-bound decoder can reach. ratio = decode / limit. Every figure is a
median (per token, per pass, per step), after an untimed warm-up pass. batch is
the total tokens per second of --batch sequences decoded together, speedup its
ratio to single-sequence decode. "vs prev" compares decode with the previous
run.

Examples:
  degen bench
  degen bench --shapes stories15M --types f32 --threads 2 --json bench.json
  degen bench --repeat 3    # on a shared machine: medians over three rounds`
}

// Run benchmarks.
func (c *BenchCmd) Run(g *Globals, io *IO) error {
	dir := c.Dir
	if dir == "" {
		d, err := cacheDir()
		if err != nil {
			return err
		}
		dir = filepath.Join(d, "synth")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	prevPath := c.Previous
	if prevPath == "" {
		prevPath = filepath.Join(dir, "last-bench.json")
	}
	var prev bench.Result
	if b, err := os.ReadFile(prevPath); err == nil {
		_ = json.Unmarshal(b, &prev)
	}
	res, err := bench.Run(bench.Options{
		Dir: dir, Shapes: c.Shapes, Types: c.Types, Threads: c.Threads,
		DecodeTokens: c.DecodeTokens, PrefillTokens: c.PrefillTokens, Batch: c.Batch, BandwidthMiB: c.BandwidthMiB, Repeat: c.Repeat,
		LlamaBench: c.LlamaBench, Llama2C: c.Llama2C,
		Log: func(f string, a ...any) { g.logf(io, f, a...) },
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(io.Stdout, "cpu: %s, %d cores, kernels %s\n", res.CPU, res.Cores, kernels.Describe())
	if res.Repeat > 1 {
		fmt.Fprintf(io.Stdout, "medians over %d rounds\n", res.Repeat)
	}
	for _, th := range c.Threads {
		fmt.Fprintf(io.Stdout, "memory read bandwidth, %d thread(s): %.1f GB/s (median of the rows)\n", th, res.Bandwidth[th])
	}
	fmt.Fprintln(io.Stdout)
	tw := tabwriter.NewWriter(io.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	refs := ""
	if c.LlamaBench != "" {
		refs += "llama.cpp tg\tvs llama.cpp\tllama.cpp pp\tpp vs llama.cpp\t"
	}
	if c.Llama2C != "" {
		refs += "llama2.c\tvs llama2.c\t"
	}
	ratio := func(a, b float64) string {
		if b <= 0 {
			return "-"
		}
		return fmt.Sprintf("%.2fx", a/b)
	}
	fmt.Fprintf(tw, "model\ttype\tthreads\tweights MB\tGB/s\tlimit tok/s\tdecode tok/s\tratio\tvs prev\tprefill tok/s\tbatch%d tok/s\tspeedup\tRSS MB\t%s\n", res.BatchSize, refs)
	for _, r := range res.Rows {
		vs := "-"
		for _, p := range prev.Rows {
			if p.Shape == r.Shape && p.Type == r.Type && p.Threads == r.Threads && p.DecodeTokS > 0 {
				vs = fmt.Sprintf("%.2fx", r.DecodeTokS/p.DecodeTokS)
			}
		}
		ref := ""
		if c.LlamaBench != "" {
			ref += fmt.Sprintf("%.0f\t%s\t%.0f\t%s\t", r.LlamaCppDecodeTokS, ratio(r.DecodeTokS, r.LlamaCppDecodeTokS), r.LlamaCppPrefillTokS, ratio(r.PrefillTokS, r.LlamaCppPrefillTokS))
		}
		if c.Llama2C != "" {
			ref += fmt.Sprintf("%.0f\t%s\t", r.Llama2CDecodeTokS, ratio(r.DecodeTokS, r.Llama2CDecodeTokS))
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%.1f\t%.1f\t%.0f\t%.0f\t%.2f\t%s\t%.0f\t%.0f\t%.2fx\t%.0f\t%s\n",
			r.Shape, strings.ToUpper(r.Type), r.Threads, float64(r.WeightBytes)/1e6, r.BandwidthGBs, r.LimitTokS, r.DecodeTokS, r.DecodeRatio, vs,
			r.PrefillTokS, r.BatchTokS, r.BatchSpeedup, float64(r.RSSBytes)/1e6, ref)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	out, err := json.MarshalIndent(res, "", "  ")
	if err != nil {
		return err
	}
	if c.JSON != "" {
		if err := os.WriteFile(c.JSON, append(out, '\n'), 0o644); err != nil {
			return err
		}
	}
	return os.WriteFile(filepath.Join(dir, "last-bench.json"), append(out, '\n'), 0o644)
}
