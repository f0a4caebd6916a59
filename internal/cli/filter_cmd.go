package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	stdio "io"
	"strconv"
	"strings"

	"github.com/degen-llm/degen/detect"
	"github.com/degen-llm/degen/filter"
	"github.com/degen-llm/degen/internal/jsonl"
)

// FilterCmd cleans records.
type FilterCmd struct {
	InputFlags

	TextField       string   `default:"text" help:"Field holding the text."`
	DropDegenerate  bool     `help:"Drop records that detect flagged (runs detection when a record has no \"detect\")."`
	TruncateLoops   bool     `help:"Cut the text where its loop starts, keeping one copy of the repeated unit."`
	CollapseRepeats bool     `help:"Remove repeated sentences and phrases after their first occurrence (CJK-aware)."`
	Min             []string `help:"Keep records whose numeric FIELD (dotted path) is >= VALUE: FIELD=VALUE, repeatable (a missing or null field passes)." placeholder:"FIELD=VALUE"`
	Max             []string `help:"Keep records whose numeric FIELD is <= VALUE, repeatable." placeholder:"FIELD=VALUE"`
	Dedup           string   `enum:",exact,near" default:"" help:"Remove duplicates: exact (normalised text hash) or near (MinHash with LSH banding); the first of each cluster is kept."`
	Threshold       float64  `default:"0.8" help:"Jaccard similarity from which --dedup near calls texts duplicates."`
	ShingleSize     int      `default:"5" help:"Words per shingle for --dedup near (CJK characters count one each)."`
}

// Help shows examples.
func (c *FilterCmd) Help() string {
	return `Edits and drops records; what it did is recorded under "filter". Dropped
records go to --rejects with the reason, so nothing is lost; counts go to
stderr.

Examples:
  degen filter --drop-degenerate --rejects dropped.jsonl judged.jsonl > clean.jsonl
  degen filter --truncate-loops --collapse-repeats < judged.jsonl
  degen filter --max score.seq_rep_4=0.3 --dedup near --threshold 0.7 scored.jsonl`
}

type bound struct {
	path string
	v    float64
	min  bool
}

func parseBounds(specs []string, isMin bool) ([]bound, error) {
	var out []bound
	for _, s := range specs {
		k, v, ok := strings.Cut(s, "=")
		f, err := strconv.ParseFloat(v, 64)
		if !ok || k == "" || err != nil {
			return nil, usagef("bad bound %q: want FIELD=NUMBER, e.g. score.seq_rep_4=0.3", s)
		}
		out = append(out, bound{k, f, isMin})
	}
	return out, nil
}

// filterInfo is the "filter" object of a kept record.
type filterInfo struct {
	Truncated int    `json:"truncated_chars,omitempty"`
	Cut       string `json:"cut,omitempty"`
	Collapsed int    `json:"collapsed,omitempty"`
	Cluster   *int   `json:"cluster,omitempty"`
	// Dropped lists the fields removed because they described the text
	// before the edit; Redetected says "detect" was recomputed on the
	// edited text.
	Dropped    []string `json:"dropped,omitempty"`
	Redetected bool     `json:"redetected,omitempty"`
}

func (f *filterInfo) empty() bool {
	return f.Truncated == 0 && f.Cut == "" && f.Collapsed == 0 && f.Cluster == nil && len(f.Dropped) == 0 && !f.Redetected
}

// Run filters.
func (c *FilterCmd) Run(g *Globals, io *IO) error {
	bounds, err := parseBounds(c.Min, true)
	if err != nil {
		return err
	}
	mx, err := parseBounds(c.Max, false)
	if err != nil {
		return err
	}
	bounds = append(bounds, mx...)
	var exact *filter.ExactDeduper
	var near *filter.NearDeduper
	switch c.Dedup {
	case "exact":
		exact = filter.NewExactDeduper()
	case "near":
		opt := filter.DefaultNearOptions()
		opt.Threshold, opt.ShingleSize = c.Threshold, c.ShingleSize
		if near, err = filter.NewNearDeduper(opt); err != nil {
			return usagef("%v", err)
		}
	}
	if err := c.noResume(c.Dedup != "", "--dedup"); err != nil {
		return err
	}
	watch := newFieldWatch()
	for _, b := range bounds {
		flag := "--max"
		if b.min {
			flag = "--min"
		}
		if err := watch.add(flag, b.path); err != nil {
			return err
		}
	}
	if err := jsonl.ParsePath(c.TextField); err != nil {
		return usagef("--text-field: %v", err)
	}
	s, err := c.InputFlags.open(io)
	if err != nil {
		return err
	}
	bar := newRecordBar(g, io, s, "filter")
	dropped := map[string]int{}
	dopt := detect.DefaultOptions()
	err = func() error {
		for {
			rec, err := s.next()
			if errors.Is(err, stdio.EOF) {
				if err := watch.check(); err != nil {
					return usagef("%v", err)
				}
				return nil
			}
			if err != nil {
				return err
			}
			bar.Add(1)
			if err := watch.record(rec); err != nil {
				return usagef("%v", err)
			}
			reason, err := c.apply(rec, bounds, exact, near, dopt)
			if err != nil {
				if err := s.failed(rec, s.in.LineErr(err)); err != nil {
					return err
				}
				continue
			}
			if reason != "" {
				dropped[strings.TrimSuffix(strings.SplitN(reason, " ", 2)[0], ":")]++
				if err := s.reject(rec, reason); err != nil {
					return err
				}
				continue
			}
			if err := s.write(rec); err != nil {
				return err
			}
		}
	}()
	bar.Finish()
	if ferr := s.finish(g, io, "filter", err); err == nil {
		err = ferr
	}
	if err == nil {
		var parts []string
		for _, k := range []string{"degenerate", "min", "max", "duplicate"} {
			if dropped[k] > 0 {
				parts = append(parts, fmt.Sprintf("%d %s", dropped[k], k))
			}
		}
		msg := "none dropped"
		if len(parts) > 0 {
			msg = "dropped " + strings.Join(parts, ", ")
		}
		g.logf(io, "filter: kept %d of %d records; %s", s.nOut, s.nIn, msg)
	}
	return err
}

// apply edits rec and returns why it is dropped ("" to keep it).
//
// The bounds are checked on the record as it came; the edits (truncation,
// collapse) come next, and --drop-degenerate judges the text as edited, so
// a repaired record is kept. When the text changed, what described the old
// text is stale: the "score" and "generation"."token_ids" are dropped, the
// "detect" verdict is recomputed on the new text, and "filter"."dropped"
// lists what was dropped.
func (c *FilterCmd) apply(rec *jsonl.Record, bounds []bound, exact *filter.ExactDeduper, near *filter.NearDeduper, dopt detect.Options) (string, error) {
	text, at, err := recordText(rec, c.TextField)
	if err != nil {
		return "", err
	}
	var info filterInfo
	var verdict *detectOut
	judge := func() (*detectOut, error) {
		if verdict != nil {
			return verdict, nil
		}
		verdict = &detectOut{}
		if raw, ok := rec.Get("detect"); ok {
			if err := json.Unmarshal(raw, verdict); err != nil {
				return nil, fmt.Errorf("detect: %w", err)
			}
			return verdict, nil
		}
		verdict.Result = detect.Detect(text, nil, dopt)
		return verdict, nil
	}
	for _, b := range bounds {
		raw, ok := rec.Lookup(b.path)
		if !ok || string(raw) == "null" {
			continue
		}
		var f float64
		if err := json.Unmarshal(raw, &f); err != nil {
			return "", fmt.Errorf("%s is not a number: %s", b.path, raw)
		}
		if b.min && f < b.v {
			return fmt.Sprintf("min %s=%g < %g", b.path, f, b.v), nil
		}
		if !b.min && f > b.v {
			return fmt.Sprintf("max %s=%g > %g", b.path, f, b.v), nil
		}
	}
	if c.TruncateLoops {
		v, err := judge()
		if err != nil {
			return "", err
		}
		if v.Loop != nil {
			kept, cut := filter.TruncateLoop(text, v.Loop)
			if cut != "" {
				text = kept
				info.Truncated = len([]rune(cut))
				info.Cut = cut
			}
		}
	}
	if c.CollapseRepeats {
		t, n := filter.CollapseRepeats(text)
		text, info.Collapsed = t, n
	}
	changed := info.Truncated > 0 || info.Collapsed > 0
	if changed {
		if err := rec.SetPathValue(at, text); err != nil {
			return "", err
		}
		for _, k := range []string{"score", "generation.token_ids"} {
			if rec.DeletePath(k) {
				info.Dropped = append(info.Dropped, k)
			}
		}
		if rec.Has("detect") || c.DropDegenerate {
			old := verdict
			verdict = &detectOut{Result: detect.Detect(text, nil, dopt)}
			if old != nil {
				verdict.Attempt = old.Attempt
			}
			if err := rec.SetValue("detect", verdict); err != nil {
				return "", err
			}
			info.Redetected = true
		}
	}
	if c.DropDegenerate {
		v, err := judge()
		if err != nil {
			return "", err
		}
		if v.Degenerate {
			return "degenerate: " + strings.Join(v.Reasons, ","), nil
		}
	}
	if exact != nil || near != nil {
		var id int
		var dup bool
		if exact != nil {
			id, dup = exact.Add(text)
		} else {
			id, dup, _ = near.Add(text)
		}
		if dup {
			return fmt.Sprintf("duplicate of cluster %d", id), nil
		}
		info.Cluster = &id
	}
	if !info.empty() {
		return "", rec.SetValue("filter", info)
	}
	return "", nil
}
