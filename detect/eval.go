package detect

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
)

// Record is a labelled evaluation record (eval/detect_public.jsonl). Only
// ID, Prompt, Text and Group reach the detector; the rest is the answer key.
type Record struct {
	ID     string `json:"id"`
	Text   string `json:"text"`
	Prompt string `json:"prompt,omitempty"`
	Group  string `json:"group,omitempty"`
	Label  string `json:"label"` // "degenerate" or "clean"
	Kind   string `json:"kind"`
	Lang   string `json:"lang"`
	Source string `json:"source,omitempty"`
	Note   string `json:"note,omitempty"`
}

// ReadRecords reads JSONL evaluation records.
func ReadRecords(r io.Reader) ([]Record, error) {
	var out []Record
	br := bufio.NewReader(r)
	for line := 1; ; line++ {
		b, err := br.ReadBytes('\n')
		if len(strings.TrimSpace(string(b))) > 0 {
			var rec Record
			if jerr := json.Unmarshal(b, &rec); jerr != nil {
				return nil, fmt.Errorf("line %d: %w", line, jerr)
			}
			out = append(out, rec)
		}
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", line, err)
		}
	}
}

// Counts is a confusion matrix with "degenerate" as the positive class.
type Counts struct {
	N, TP, FP, FN, TN int
}

func (c *Counts) add(truth, pred bool) {
	c.N++
	switch {
	case truth && pred:
		c.TP++
	case truth:
		c.FN++
	case pred:
		c.FP++
	default:
		c.TN++
	}
}

// Precision is TP/(TP+FP), NaN-free: 0 when nothing was flagged.
func (c Counts) Precision() float64 { return ratio(c.TP, c.TP+c.FP) }

// Recall is TP/(TP+FN); 0 when there is no positive.
func (c Counts) Recall() float64 { return ratio(c.TP, c.TP+c.FN) }

// Specificity is TN/(TN+FP), the share of clean records left unflagged.
func (c Counts) Specificity() float64 { return ratio(c.TN, c.TN+c.FP) }

// F1 is the harmonic mean of precision and recall.
func (c Counts) F1() float64 {
	p, r := c.Precision(), c.Recall()
	if p+r == 0 {
		return 0
	}
	return 2 * p * r / (p + r)
}

func ratio(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// Row is one line of a report table.
type Row struct {
	Name   string
	Counts Counts
}

// Prediction is the detector's output for one record.
type Prediction struct {
	ID         string
	Degenerate bool
	Reasons    []string
}

// Report is the outcome of [Evaluate].
type Report struct {
	Overall Counts
	// HardNegatives pools the hardneg_* kinds with every degenerate
	// record, so its precision says how much of what is flagged is real
	// when the clean side is only hard negatives; its specificity is the
	// share of hard negatives left clean.
	HardNegatives Counts
	ByKind        []Row // sorted by name
	ByLang        []Row // sorted by name
	Predictions   []Prediction
}

// Evaluate runs the detector with default options over labelled records.
// Records with a group are also judged as a group (the label applies to
// the whole group): a member is flagged when the group or the member
// itself is.
func Evaluate(records []Record) Report {
	return EvaluateWith(records, DefaultOptions(), DefaultGroupDetector())
}

// EvaluateWith is Evaluate with explicit options.
func EvaluateWith(records []Record, opt Options, g GroupDetector) Report {
	type input struct{ id, prompt, text, group string } // what the detector may see
	inputs := make([]input, len(records))
	groups := map[string][]string{}
	for i, r := range records {
		inputs[i] = input{r.ID, r.Prompt, r.Text, r.Group}
		if r.Group != "" {
			groups[r.Group] = append(groups[r.Group], r.Text)
		}
	}
	groupRes := map[string]GroupResult{}
	for name, texts := range groups {
		groupRes[name] = g.Check(texts)
	}

	var rep Report
	kinds, langs := map[string]*Counts{}, map[string]*Counts{}
	for i, in := range inputs {
		res := Detect(in.text, nil, opt)
		pred := Prediction{ID: in.id, Degenerate: res.Degenerate, Reasons: res.Reasons}
		if gr, ok := groupRes[in.group]; ok && gr.Degenerate {
			pred.Degenerate = true
			pred.Reasons = append(append([]string{}, pred.Reasons...), gr.Reasons...)
		}
		rep.Predictions = append(rep.Predictions, pred)

		rec := records[i]
		truth := rec.Label == "degenerate"
		rep.Overall.add(truth, pred.Degenerate)
		if truth || strings.HasPrefix(rec.Kind, "hardneg_") {
			rep.HardNegatives.add(truth, pred.Degenerate)
		}
		for m, key := range map[*map[string]*Counts]string{&kinds: rec.Kind, &langs: rec.Lang} {
			if (*m)[key] == nil {
				(*m)[key] = &Counts{}
			}
			(*m)[key].add(truth, pred.Degenerate)
		}
	}
	rep.ByKind = rows(kinds)
	rep.ByLang = rows(langs)
	return rep
}

func rows(m map[string]*Counts) []Row {
	out := make([]Row, 0, len(m))
	for k, c := range m {
		out = append(out, Row{k, *c})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Table formats the report as markdown tables: per kind, per language,
// overall and the hard-negative pool.
func (r Report) Table() string {
	var b strings.Builder
	write := func(title string, rows []Row) {
		fmt.Fprintf(&b, "| %s | n | TP | FP | FN | TN | precision | recall | F1 |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|\n", title)
		for _, row := range rows {
			c := row.Counts
			fmt.Fprintf(&b, "| %s | %d | %d | %d | %d | %d | %s | %s | %s |\n", row.Name, c.N, c.TP, c.FP, c.FN, c.TN,
				metric(c.TP+c.FP, c.Precision()), metric(c.TP+c.FN, c.Recall()), metric(c.TP+c.FP+c.FN, c.F1()))
		}
	}
	write("kind", r.ByKind)
	b.WriteString("\n")
	write("lang", r.ByLang)
	b.WriteString("\n")
	write("pool", []Row{{"**all**", r.Overall}, {"degenerate + hard negatives", r.HardNegatives}})
	fmt.Fprintf(&b, "\nhard negatives left clean: %.3f\n", r.HardNegatives.Specificity())
	return b.String()
}

// metric prints v, or "–" when its denominator is empty.
func metric(den int, v float64) string {
	if den == 0 {
		return "–"
	}
	return fmt.Sprintf("%.3f", v)
}
