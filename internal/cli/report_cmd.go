package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/degen-llm/degen/internal/jsonl"
	"github.com/degen-llm/degen/report"
)

// ReportCmd writes an HTML or Markdown report of scored/detected records.
type ReportCmd struct {
	Inputs       []string `arg:"" optional:"" name:"input" help:"Scored and/or detected JSONL files (.gz, .zst; - for stdin). Each file is a group unless --group-by is given."`
	Output       string   `short:"o" default:"-" help:"Write the report to this file (- for stdout); written to a temporary file and renamed when complete."`
	Format       string   `enum:"html,md" default:"html" help:"Output format: a self-contained HTML page, or the same tables in Markdown (${enum})."`
	GroupBy      string   `help:"Field path whose value groups the records (e.g. generation.strategy, generation.params.repetition_penalty, messages[-1].role); default: one group per input file."`
	TextField    string   `default:"text" help:"Field path of the text (as given to detect), for the corpus figures and the example loops."`
	Examples     int      `default:"3" help:"Example loops shown per group."`
	Bins         int      `default:"10" help:"Histogram bins."`
	Title        string   `default:"degen report" help:"Page title."`
	MaxLineBytes int      `default:"0" help:"Longest accepted input line in bytes (0: the reader's default)."`
}

// Help shows examples.
func (c *ReportCmd) Help() string {
	return `Reads records written by score and detect and writes one page: per group, the
mean of every score metric, the detect verdicts and reasons, histograms of
seq_rep_4 and zlib_ratio (inline SVG), and example loops highlighted from where
detect located them. The HTML needs no network: CSS and SVG are inline.

Examples:
  degen report greedy.jsonl sampled.jsonl -o report.html
  degen report --group-by generation.strategy detected.jsonl -o report.html
  degen report --format md detected.jsonl > report.md`
}

// Run reads every input and writes the report.
func (c *ReportCmd) Run(g *Globals, io *IO) error {
	if c.Bins < 1 || c.Bins > 200 {
		return usagef("--bins %d: want 1..200", c.Bins)
	}
	if c.Examples < 0 {
		return usagef("--examples %d: want ≥ 0", c.Examples)
	}
	inputs := c.Inputs
	if len(inputs) == 0 {
		inputs = []string{"-"}
	}
	rep := report.New(report.Options{GroupBy: c.GroupBy, TextField: c.TextField, Examples: c.Examples, Bins: c.Bins, Title: c.Title})
	for _, path := range inputs {
		if err := c.read(rep, path, io); err != nil {
			return err
		}
	}
	d, err := rep.Build()
	if err != nil {
		if errors.Is(err, report.ErrNoGroupField) {
			return usagef("%v", err)
		}
		return err
	}
	var buf bytes.Buffer
	if c.Format == "md" {
		err = report.WriteMarkdown(&buf, d)
	} else {
		err = report.WriteHTML(&buf, d)
	}
	if err != nil {
		return err
	}
	if err := writeFileAtomic(c.Output, buf.Bytes(), io.Stdout); err != nil {
		return err
	}
	g.logf(io, "report: %d records in %d groups", d.Records, len(d.Groups))
	return nil
}

// read adds every record of one input to rep.
func (c *ReportCmd) read(rep *report.Report, path string, st *IO) error {
	in, err := jsonl.Open(path, jsonl.Options{MaxLineBytes: c.MaxLineBytes, Stdin: st.Stdin})
	if err != nil {
		return err
	}
	defer in.Close()
	name := path
	if path == "-" {
		name = "stdin"
	}
	for {
		_, err := in.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		var m map[string]any
		if err := json.Unmarshal(in.RawLine(), &m); err != nil {
			return in.LineErr(fmt.Errorf("not a JSON object: %w", err))
		}
		if err := rep.Add(name, fmt.Sprintf("%s:%d", name, in.Line()), m); err != nil {
			return err
		}
	}
}

// writeFileAtomic writes b to path through a temporary file in the same
// directory renamed at the end, so a failed run leaves no half page; "-"
// writes to stdout.
func writeFileAtomic(path string, b []byte, stdout io.Writer) error {
	if path == "-" || path == "" {
		_, err := stdout.Write(b)
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	_, err = f.Write(b)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp, 0o644)
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
