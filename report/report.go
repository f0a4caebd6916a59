// Package report turns scored and detected records into something a person
// looks at: a self-contained HTML page (inline CSS and SVG, no scripts, no
// network) or the same tables in Markdown.
//
// Records are grouped by the input they came from or by the value of a
// field (a dotted path such as generation.strategy); every group becomes a
// column. The page has, per group: the mean of every numeric metric under
// "score" that the records carry, a summary of the detect verdicts, the
// count of each detect reason, histograms of seq-rep-4 and the zlib ratio
// on bins shared by all groups, and example loops with the looping part
// highlighted from where detect located it ("detect.loop.start_char").
//
// The package only reads decoded JSON values (map[string]any, as
// encoding/json produces them); it does not read files or flags.
package report

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/degen-llm/degen/score"
)

// Options shape a report.
type Options struct {
	// GroupBy is a field path (dotted, with [i] or [-i] indices) whose
	// value names a record's group; empty groups by input.
	GroupBy string
	// TextField is the field path of the text (default "text"): the
	// corpus figures and the example loops read it.
	TextField string
	// Examples is how many example loops each group shows (0: none,
	// negative: DefaultExamples).
	Examples int
	// Bins is the number of histogram bins (≤ 0: DefaultBins).
	Bins int
	// Title heads the page.
	Title string
	// NoCorpus skips the corpus figures (pooled over each group's texts
	// as score --summary computes them, words tokenisation).
	NoCorpus bool
}

// Defaults.
const (
	DefaultExamples = 3
	DefaultBins     = 10
	// MissingGroup names the group of records without the GroupBy field.
	MissingGroup = "(missing)"
)

// ErrNoGroupField is returned by Build when no record has the GroupBy
// field: a misspelt path would otherwise put every record in one group.
var ErrNoGroupField = errors.New("no record has that field")

// Report accumulates records; Add them, then Build or write the page.
type Report struct {
	opt    Options
	groups []*group
	byName map[string]*group
	n      int // records added
	nKey   int // records that had the GroupBy field
}

// group is the records of one column, reduced to what the page shows.
type group struct {
	name       string
	n          int
	metrics    map[string]*sum // score metric -> sum over the records that have it
	detected   int             // records with a detect verdict
	degenerate int
	regenerate int
	withLoop   int
	reasons    map[string]int
	seqRep4    []float64
	zlib       []float64
	examples   []Example
	scorer     *score.Scorer // nil with Options.NoCorpus
	corpus     *score.Corpus
	texts      int // records with a text in the corpus
}

// Example is one degenerate record's text cut where its loop starts.
type Example struct {
	ID      string   // the record's id field, or source:line
	Reasons []string // detect reasons
	// Before is the text before the loop (its head may be elided), Loop
	// the text from the loop start on (its tail may be elided).
	Before, Loop                  string
	ElidedBefore, ElidedAfter     bool
	StartChar, StartToken, Period int
	Copies                        float64
	Unit                          string
	// Located is false when detect placed the loop by token ids only
	// (no character offset): then Before is empty and Loop is the text.
	Located bool
}

// New returns an empty report.
func New(opt Options) *Report {
	if opt.Examples < 0 {
		opt.Examples = DefaultExamples
	}
	if opt.Bins <= 0 {
		opt.Bins = DefaultBins
	}
	if opt.TextField == "" {
		opt.TextField = "text"
	}
	if opt.Title == "" {
		opt.Title = "degen report"
	}
	return &Report{opt: opt, byName: map[string]*group{}}
}

// Add adds one decoded record; source names the input it came from and
// id (e.g. "file:line") stands for the record in examples when it has no
// "id" field.
func (r *Report) Add(source, id string, rec map[string]any) error {
	if rec == nil {
		return fmt.Errorf("%s: record is not a JSON object", id)
	}
	name := source
	if r.opt.GroupBy != "" {
		v, ok, err := Lookup(rec, r.opt.GroupBy)
		if err != nil {
			return fmt.Errorf("%s: --group-by %s: %w", id, r.opt.GroupBy, err)
		}
		if ok {
			r.nKey++
			name = keyString(v)
		} else {
			name = MissingGroup
		}
	}
	g := r.byName[name]
	if g == nil {
		g = &group{name: name, metrics: map[string]*sum{}, reasons: map[string]int{}}
		if !r.opt.NoCorpus {
			var err error
			if g.scorer, err = score.NewScorer(score.Options{}); err != nil {
				return err
			}
			if g.corpus, err = score.NewCorpus(score.CorpusOptions{FastCompression: true}); err != nil {
				return err
			}
		}
		r.byName[name] = g
		r.groups = append(r.groups, g)
	}
	r.n++
	g.n++
	tv, _, err := Lookup(rec, r.opt.TextField)
	if err != nil {
		return fmt.Errorf("%s: --text-field %s: %w", id, r.opt.TextField, err)
	}
	text, hasText := tv.(string)
	if hasText && g.corpus != nil {
		res, err := g.scorer.Score(text)
		if err != nil {
			return fmt.Errorf("%s: %w", id, err)
		}
		if err := g.corpus.Add(&res, g.scorer.Keys(), text, ""); err != nil {
			return fmt.Errorf("%s: %w", id, err)
		}
		g.texts++
	}
	if s, ok := rec["score"].(map[string]any); ok {
		flatten("", s, g.metrics)
		if v, ok := s["seq_rep_4"].(float64); ok {
			g.seqRep4 = append(g.seqRep4, v)
		}
		if v, ok := s["zlib_ratio"].(float64); ok {
			g.zlib = append(g.zlib, v)
		}
	}
	d, ok := rec["detect"].(map[string]any)
	if !ok {
		return nil
	}
	g.detected++
	if len(g.zlib) < g.n { // not scored: detect measures the zlib ratio too
		if sig, ok := d["signals"].(map[string]any); ok {
			if v, ok := sig["zlib_ratio"].(float64); ok {
				g.zlib = append(g.zlib, v)
			}
		}
	}
	if b, _ := d["regenerate"].(bool); b {
		g.regenerate++
	}
	var reasons []string
	if rs, ok := d["reasons"].([]any); ok {
		for _, x := range rs {
			if s, ok := x.(string); ok {
				g.reasons[s]++
				reasons = append(reasons, s)
			}
		}
	}
	degen, _ := d["degenerate"].(bool)
	if !degen {
		return nil
	}
	g.degenerate++
	loop, ok := d["loop"].(map[string]any)
	if !ok {
		return nil
	}
	g.withLoop++
	if len(g.examples) >= r.opt.Examples {
		return nil
	}
	ex := makeExample(text, loop)
	ex.Reasons = reasons
	ex.ID = id
	if s, ok := rec["id"].(string); ok && s != "" {
		ex.ID = s
	} else if f, ok := rec["id"].(float64); ok {
		ex.ID = strconv.FormatFloat(f, 'g', -1, 64)
	}
	g.examples = append(g.examples, ex)
	return nil
}

// How much text an example shows on each side of the loop start.
const (
	exampleBefore = 240 // characters before the loop
	exampleLoop   = 480 // characters from the loop start
)

func makeExample(text string, loop map[string]any) Example {
	num := func(k string) float64 { f, _ := loop[k].(float64); return f }
	ex := Example{
		StartChar:  int(num("start_char")),
		StartToken: int(num("start_token")),
		Period:     int(num("period")),
		Copies:     num("copies"),
	}
	ex.Unit, _ = loop["unit"].(string)
	runes := []rune(text)
	start := ex.StartChar
	if start < 0 || start > len(runes) {
		start = 0
	} else {
		ex.Located = true
	}
	before, after := runes[:start], runes[start:]
	if len(before) > exampleBefore {
		before, ex.ElidedBefore = before[len(before)-exampleBefore:], true
	}
	if len(after) > exampleLoop {
		after, ex.ElidedAfter = after[:exampleLoop], true
	}
	ex.Before, ex.Loop = string(before), string(after)
	return ex
}

// sum accumulates one metric of a group (only means are shown, so the
// values are not kept: memory stays flat however many records).
type sum struct {
	s float64
	n int
}

// mean is NaN for a nil or empty sum.
func (a *sum) mean() float64 {
	if a == nil || a.n == 0 {
		return math.NaN()
	}
	return a.s / float64(a.n)
}

// flatten adds the numeric leaves of obj under dotted names.
func flatten(prefix string, obj map[string]any, into map[string]*sum) {
	for k, v := range obj {
		name := prefix + k
		switch x := v.(type) {
		case float64:
			a := into[name]
			if a == nil {
				a = &sum{}
				into[name] = a
			}
			a.s += x
			a.n++
		case map[string]any:
			flatten(name+".", x, into)
		}
	}
}

// keyString renders a group value: strings as they are, the rest as JSON.
func keyString(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

// Lookup finds a field by path: names separated by dots, each optionally
// followed by [i] array indices, negative from the end
// ("messages[-1].content"). ok is false when the record lacks the field;
// err reports a malformed path.
func Lookup(rec map[string]any, path string) (v any, ok bool, err error) {
	if path == "" {
		return nil, false, errors.New("empty field path")
	}
	type step struct {
		name string
		idx  []int
	}
	var steps []step
	for _, part := range strings.Split(path, ".") {
		name, idx, err := splitIndices(part)
		if err != nil {
			return nil, false, fmt.Errorf("field path %q: %w", path, err)
		}
		steps = append(steps, step{name, idx})
	}
	var cur any = rec
	for _, st := range steps {
		name, idx := st.name, st.idx
		if name != "" {
			m, isObj := cur.(map[string]any)
			if !isObj {
				return nil, false, nil
			}
			if cur, ok = m[name]; !ok {
				return nil, false, nil
			}
		}
		for _, i := range idx {
			a, isArr := cur.([]any)
			if !isArr {
				return nil, false, nil
			}
			if i < 0 {
				i += len(a)
			}
			if i < 0 || i >= len(a) {
				return nil, false, nil
			}
			cur = a[i]
		}
	}
	return cur, true, nil
}

// splitIndices splits "name[1][-2]" into "name" and [1, -2].
func splitIndices(part string) (string, []int, error) {
	name, rest, _ := strings.Cut(part, "[")
	if name == "" && rest == "" {
		return "", nil, errors.New("empty name")
	}
	var idx []int
	if strings.Contains(part, "[") {
		rest = "[" + rest
	}
	for rest != "" {
		if rest[0] != '[' {
			return "", nil, fmt.Errorf("unexpected %q", rest)
		}
		end := strings.IndexByte(rest, ']')
		if end < 0 {
			return "", nil, errors.New("unclosed [")
		}
		i, err := strconv.Atoi(rest[1:end])
		if err != nil {
			return "", nil, fmt.Errorf("index %q is not an integer", rest[1:end])
		}
		idx = append(idx, i)
		rest = rest[end+1:]
	}
	return name, idx, nil
}

// Data is the computed content of a report, what both writers render.
type Data struct {
	Title   string
	GroupBy string // empty: groups are inputs
	Records int
	Groups  []string // column names, in first-seen order
	// Summary rows: records, detected, degenerate, share degenerate,
	// regenerate, loops located.
	Summary []Row
	// Corpus holds the corpus figures of score --summary over each
	// group's texts (words tokenisation): tokens, uniq-seq, SimCTG rep-n
	// and diversity, pooled distinct-n, pooled zlib ratio, compression
	// ratio. Empty with Options.NoCorpus or when no record has a text.
	Corpus []Row
	// Metrics holds one row per score metric: the mean over the group's
	// records that carry it (NaN where none does).
	Metrics []Row
	// Reasons holds one row per detect reason: records giving it.
	Reasons []Row
	// Hists are the seq-rep-4 and zlib ratio histograms (absent when no
	// record carries the metric).
	Hists    []Hist
	Examples [][]Example // per group
}

// Row is one line of a table: a label and one value per group.
type Row struct {
	Label  string
	Values []float64
	// Percent marks shares in [0, 1] to print as percentages; Count marks
	// integers.
	Percent, Count bool
}

// Hist is one metric's histogram: Edges has len(Counts[g])+1 bounds shared
// by all groups; a value v falls in bin i when Edges[i] ≤ v < Edges[i+1],
// the last bin also holding v = Edges[last].
type Hist struct {
	Metric string
	Edges  []float64
	Counts [][]int // per group, per bin
}

// Build computes the report. It fails when GroupBy was given but no
// record had that field (a misspelt path would put everything in one
// group).
func (r *Report) Build() (*Data, error) {
	if r.n == 0 {
		return nil, errors.New("no records")
	}
	if r.opt.GroupBy != "" && r.nKey == 0 {
		return nil, fmt.Errorf("--group-by %s: %w (none of %d records)", r.opt.GroupBy, ErrNoGroupField, r.n)
	}
	d := &Data{Title: r.opt.Title, GroupBy: r.opt.GroupBy, Records: r.n}
	for _, g := range r.groups {
		d.Groups = append(d.Groups, g.name)
		d.Examples = append(d.Examples, g.examples)
	}
	per := func(label string, f func(g *group) float64) Row {
		row := Row{Label: label, Count: true}
		for _, g := range r.groups {
			row.Values = append(row.Values, f(g))
		}
		return row
	}
	d.Summary = []Row{
		per("records", func(g *group) float64 { return float64(g.n) }),
		per("detected", func(g *group) float64 { return float64(g.detected) }),
		per("degenerate", func(g *group) float64 { return float64(g.degenerate) }),
		{Label: "degenerate share", Percent: true},
		per("regenerate", func(g *group) float64 { return float64(g.regenerate) }),
		per("loops located", func(g *group) float64 { return float64(g.withLoop) }),
	}
	for _, g := range r.groups {
		share := math.NaN()
		if g.detected > 0 {
			share = float64(g.degenerate) / float64(g.detected)
		}
		d.Summary[3].Values = append(d.Summary[3].Values, share)
	}

	if !r.opt.NoCorpus {
		d.Corpus = corpusRows(r.groups)
	}

	names := map[string]bool{}
	for _, g := range r.groups {
		for k := range g.metrics {
			names[k] = true
		}
	}
	for _, k := range sortedMetrics(names) {
		row := Row{Label: k}
		for _, g := range r.groups {
			row.Values = append(row.Values, g.metrics[k].mean())
		}
		d.Metrics = append(d.Metrics, row)
	}

	reasons := map[string]int{}
	for _, g := range r.groups {
		for k, n := range g.reasons {
			reasons[k] += n
		}
	}
	keys := make([]string, 0, len(reasons))
	for k := range reasons {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if reasons[keys[i]] != reasons[keys[j]] {
			return reasons[keys[i]] > reasons[keys[j]]
		}
		return keys[i] < keys[j]
	})
	for _, k := range keys {
		d.Reasons = append(d.Reasons, per(k, func(g *group) float64 { return float64(g.reasons[k]) }))
	}

	if h, ok := histogram("seq_rep_4", r.groups, func(g *group) []float64 { return g.seqRep4 }, 0, 1, r.opt.Bins); ok {
		d.Hists = append(d.Hists, h)
	}
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, g := range r.groups {
		for _, v := range g.zlib {
			lo, hi = math.Min(lo, v), math.Max(hi, v)
		}
	}
	lo, hi = math.Floor(lo), math.Ceil(hi)
	if hi <= lo {
		hi = lo + 1
	}
	if h, ok := histogram("zlib_ratio", r.groups, func(g *group) []float64 { return g.zlib }, lo, hi, r.opt.Bins); ok {
		d.Hists = append(d.Hists, h)
	}
	return d, nil
}

// corpusRows summarises each group's corpus.
func corpusRows(groups []*group) []Row {
	texts := 0
	sums := make([]score.Summary, len(groups))
	for i, g := range groups {
		texts += g.texts
		if g.texts > 0 {
			sums[i] = g.corpus.Summary()
		}
	}
	if texts == 0 {
		return nil
	}
	row := func(label string, count bool, f func(s *score.Summary) float64) Row {
		r := Row{Label: label, Count: count}
		for i, g := range groups {
			v := math.NaN()
			if g.texts > 0 {
				v = f(&sums[i])
			}
			r.Values = append(r.Values, v)
		}
		return r
	}
	rows := []Row{
		row("texts", true, func(s *score.Summary) float64 { return float64(s.Records) }),
		row("tokens", true, func(s *score.Summary) float64 { return float64(s.Tokens) }),
		row("uniq_seq", true, func(s *score.Summary) float64 { return float64(s.UniqSeq) }),
	}
	for j, n := range []int{2, 3, 4} {
		rows = append(rows, row(fmt.Sprintf("simctg rep-%d (%%)", n), false, func(s *score.Summary) float64 { return s.SimCTGRep[j] }))
	}
	rows = append(rows, row("simctg diversity", false, func(s *score.Summary) float64 { return s.SimCTGDiversity }))
	for j, n := range score.DefaultNGrams {
		rows = append(rows, row(fmt.Sprintf("pooled distinct-%d", n), false, func(s *score.Summary) float64 {
			if j < len(s.PooledDistinct) {
				return s.PooledDistinct[j]
			}
			return math.NaN()
		}))
	}
	rows = append(rows,
		row("zlib ratio, pooled", false, func(s *score.Summary) float64 { return s.ZlibRatioPooled }),
		row("compression ratio (gzip 6)", false, func(s *score.Summary) float64 { return s.CompressionRatio }))
	return rows
}

// sortedMetrics orders metric names: the score package's usual order
// first (tokens, seq_rep_n, distinct_n, ...), the rest alphabetically.
func sortedMetrics(names map[string]bool) []string {
	rank := func(s string) int {
		for i, p := range []string{"tokens", "seq_rep_", "distinct_", "entropy", "zlib", "longest", "ppl", "nll", "acc", "rep_", "wrep_", "human_rep_", "uniq"} {
			if strings.HasPrefix(s, p) {
				return i
			}
		}
		return 100
	}
	out := make([]string, 0, len(names))
	for k := range names {
		out = append(out, k)
	}
	sort.Slice(out, func(i, j int) bool {
		ri, rj := rank(out[i]), rank(out[j])
		if ri != rj {
			return ri < rj
		}
		return out[i] < out[j]
	})
	return out
}

// histogram bins every group's values on bins of equal width over
// [lo, hi]; values outside are clamped into the end bins.
func histogram(metric string, groups []*group, vals func(*group) []float64, lo, hi float64, bins int) (Hist, bool) {
	h := Hist{Metric: metric}
	any := false
	for i := 0; i <= bins; i++ {
		h.Edges = append(h.Edges, lo+(hi-lo)*float64(i)/float64(bins))
	}
	for _, g := range groups {
		c := make([]int, bins)
		for _, v := range vals(g) {
			if math.IsNaN(v) {
				continue
			}
			any = true
			i := int(math.Floor((v - lo) / (hi - lo) * float64(bins)))
			i = min(max(i, 0), bins-1)
			c[i]++
		}
		h.Counts = append(h.Counts, c)
	}
	return h, any
}
