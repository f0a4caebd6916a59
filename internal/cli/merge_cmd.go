package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	stdio "io"

	"github.com/degen-llm/degen/detect"
	"github.com/degen-llm/degen/internal/jsonl"
)

// MergeCmd puts regenerated records back in place of their originals.
type MergeCmd struct {
	Original    string   `arg:"" help:"The file 'detect --emit-retry' read (its records, in order, are the output's)." type:"existingfile"`
	Retries     []string `arg:"" optional:"" help:"Regenerated records ('detect --emit-retry | generate' output), each with \"source\"." type:"existingfile"`
	Output      string   `short:"o" default:"-" help:"Output file (default: stdout). A .gz or .zst name compresses."`
	MaxAttempts int      `default:"4" help:"As for detect: a degenerate record at this attempt is no longer marked for regeneration."`
}

// Help shows examples.
func (c *MergeCmd) Help() string {
	return `Writes every record of ORIGINAL, in its order. A record that has
retries (records whose "source"."line" is its position) becomes the best of
its attempts by the detect verdict (clean before degenerate, then fewer
reasons, then the earlier attempt): the text goes back to the field it was
read from ("source"."field"), and "generation", "params", "attempt" and
"detect" come from that attempt; "attempts" lists every attempt with its
verdict. Records without a "detect" verdict are judged. The output is a
judged file again, so another round of 'detect --emit-retry' continues the
loop.

Example:
  degen detect --emit-retry judged.jsonl | degen generate > retried.jsonl
  degen merge judged.jsonl retried.jsonl > merged.jsonl`
}

// attemptInfo is one entry of "attempts".
type attemptInfo struct {
	Attempt    int      `json:"attempt"`
	Degenerate bool     `json:"degenerate"`
	Reasons    []string `json:"reasons,omitempty"`
	Seed       *uint64  `json:"seed,omitempty"`
	Kept       bool     `json:"kept,omitempty"`
}

// candidate is the original or a retry, with its verdict.
type candidate struct {
	rec     *jsonl.Record
	text    string
	verdict detectOut
	attempt int
}

// Run merges.
func (c *MergeCmd) Run(g *Globals, io *IO) error {
	opt := jsonl.Options{MaxLineBytes: 64 << 20, OnError: jsonl.ErrorPolicy("fail"), Stdin: io.Stdin}
	retries := map[int][]*jsonl.Record{}
	nRetries := 0
	if len(c.Retries) > 0 {
		in, err := jsonl.OpenAll(c.Retries, opt)
		if err != nil {
			return err
		}
		for {
			rec, err := in.Next()
			if errors.Is(err, stdio.EOF) {
				break
			}
			if err != nil {
				in.Close()
				return err
			}
			raw, ok := rec.Lookup("source.line")
			var line int
			if !ok || json.Unmarshal(raw, &line) != nil || line < 1 {
				in.Close()
				return in.LineErr(errors.New(`retry without "source"."line" (write retries with 'degen detect --emit-retry')`))
			}
			retries[line] = append(retries[line], rec)
			nRetries++
		}
		if err := in.Close(); err != nil {
			return err
		}
	}
	in, err := jsonl.OpenAll([]string{c.Original}, opt)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := jsonl.Create(c.Output, jsonl.WriterOptions{Stdout: io.Stdout})
	if err != nil {
		return err
	}
	dopt := detect.DefaultOptions()
	n, replaced, flagged := 0, 0, 0
	for {
		rec, err := in.Next()
		if errors.Is(err, stdio.EOF) {
			break
		}
		if err != nil {
			out.Close()
			return err
		}
		n++
		rs := retries[n]
		delete(retries, n)
		if len(rs) > 0 {
			var kept bool
			if rec, kept, err = c.merge(rec, rs, dopt); err != nil {
				out.Close()
				return in.LineErr(err)
			}
			if kept {
				replaced++
			}
		}
		if v, ok := priorVerdict(rec); ok && v.Degenerate {
			flagged++
		}
		if err := out.Write(rec); err != nil {
			out.Close()
			return err
		}
	}
	if err := out.Close(); err != nil {
		return err
	}
	for line := range retries {
		return fmt.Errorf("retry for line %d, but %s has %d records: was it the file detect read?", line, c.Original, n)
	}
	g.logf(io, "merge: %d records, %d retries, %d replaced by a better attempt; %d still degenerate", n, nRetries, replaced, flagged)
	return nil
}

// merge returns the original rec with its best attempt in place, and
// whether a retry was kept.
func (c *MergeCmd) merge(orig *jsonl.Record, rs []*jsonl.Record, dopt detect.Options) (*jsonl.Record, bool, error) {
	field := "text"
	if raw, ok := rs[0].Lookup("source.field"); ok {
		if err := json.Unmarshal(raw, &field); err != nil {
			return nil, false, fmt.Errorf("source.field: %w", err)
		}
	}
	judge := func(rec *jsonl.Record, path string) (candidate, error) {
		text, ok, err := rec.LookupString(path)
		if err != nil {
			return candidate{}, err
		}
		if !ok {
			return candidate{}, fmt.Errorf("no %q field", path)
		}
		cd := candidate{rec: rec, text: text, attempt: attemptOf(rec)}
		if v, ok := priorVerdict(rec); ok {
			cd.verdict = *v
		} else {
			var ids []int
			if path == "text" {
				ids = tokenIDs(rec)
			}
			cd.verdict.Result = detect.Detect(text, ids, dopt)
			cd.verdict.Attempt = cd.attempt
		}
		return cd, nil
	}
	cands := make([]candidate, 0, len(rs)+1)
	o, err := judge(orig, field)
	if err != nil {
		return nil, false, err
	}
	cands = append(cands, o)
	for _, r := range rs {
		cd, err := judge(r, "text")
		if err != nil {
			return nil, false, fmt.Errorf("retry: %w", err)
		}
		cands = append(cands, cd)
	}
	best := 0
	for i := 1; i < len(cands); i++ {
		if better(&cands[i], &cands[best]) {
			best = i
		}
	}
	// History: what the original already had, then the new retries.
	var hist []attemptInfo
	if raw, ok := orig.Get("attempts"); ok {
		if err := json.Unmarshal(raw, &hist); err != nil {
			return nil, false, fmt.Errorf("attempts: %w", err)
		}
		for i := range hist {
			hist[i].Kept = false
		}
	} else {
		hist = append(hist, entry(&cands[0]))
	}
	for i := 1; i < len(cands); i++ {
		hist = append(hist, entry(&cands[i]))
	}
	keptAttempt := cands[best].attempt
	for i := len(hist) - 1; i >= 0; i-- {
		if hist[i].Attempt == keptAttempt {
			hist[i].Kept = true
			break
		}
	}
	res := orig
	if best > 0 {
		b := &cands[best]
		if err := res.SetPathValue(field, b.text); err != nil {
			return nil, false, err
		}
		for _, k := range []string{"generation", "params", "attempt", "score"} {
			if raw, ok := b.rec.Get(k); ok {
				res.Set(k, raw)
			} else {
				res.Delete(k)
			}
		}
	}
	v := cands[best].verdict
	v.Attempt = cands[best].attempt
	v.Regenerate, v.Params = false, nil
	if v.Degenerate && v.Attempt < c.MaxAttempts {
		v.Regenerate = true
		v.Params = detect.NextParams(v.Attempt+1, prevParams(res))
	}
	if err := res.SetValue("detect", v); err != nil {
		return nil, false, err
	}
	if err := res.SetValue("attempts", hist); err != nil {
		return nil, false, err
	}
	res.Delete("source")
	return res, best > 0, nil
}

// better orders attempts: clean before degenerate, fewer reasons, earlier.
func better(a, b *candidate) bool {
	if a.verdict.Degenerate != b.verdict.Degenerate {
		return !a.verdict.Degenerate
	}
	if len(a.verdict.Reasons) != len(b.verdict.Reasons) {
		return len(a.verdict.Reasons) < len(b.verdict.Reasons)
	}
	return a.attempt < b.attempt
}

func entry(cd *candidate) attemptInfo {
	e := attemptInfo{Attempt: cd.attempt, Degenerate: cd.verdict.Degenerate, Reasons: cd.verdict.Reasons}
	if raw, ok := cd.rec.Lookup("generation.seed"); ok {
		var s uint64
		if json.Unmarshal(raw, &s) == nil {
			e.Seed = &s
		}
	}
	return e
}
