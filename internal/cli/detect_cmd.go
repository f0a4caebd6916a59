package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"runtime"
	"sort"
	"strconv"
	"strings"

	"github.com/degen-llm/degen/detect"
	"github.com/degen-llm/degen/internal/jsonl"
)

// DetectCmd flags degenerate records.
type DetectCmd struct {
	InputFlags

	byReason map[string]int // degenerate records per reason, for the summary line

	TextField     string   `default:"text" help:"Field holding the text to judge."`
	GroupBy       string   `help:"Field whose value groups records (e.g. prompt): flag groups whose members are near-identical (homogeneous_group). Holds the input in memory."`
	GroupJaccard  float64  `name:"group-jaccard" default:"0.6" help:"Mean pairwise 3-shingle Jaccard similarity at or above which --group-by calls a group homogeneous."`
	GroupSelfBLEU float64  `name:"group-self-bleu" default:"0.7" help:"Self-BLEU-2 at or above which --group-by calls a group homogeneous (reworded copies keep their bigrams); 0 turns it off."`
	Corpus        bool     `help:"Flag records that are near-duplicates of an earlier record of another group (near_duplicate_of), by MinHash over shingles."`
	Threshold     float64  `default:"0.8" help:"Jaccard similarity above which --corpus calls two records near-duplicates."`
	EmitRetry     bool     `help:"Write only the records to regenerate, as prompt records with the next \"params\" of the ladder and an \"attempt\" count, for 'degen generate'."`
	MaxAttempts   int      `default:"4" help:"Regeneration attempts after which a degenerate record is no longer sent back (regenerate false)."`
	Eval          string   `help:"Evaluate the detector on a labelled JSONL set (id, text, label, kind, lang, group) and print precision, recall and F1 per kind; no other input is read." type:"existingfile"`
	Workers       int      `default:"0" help:"Records judged in parallel (0: one per CPU)."`
	FailIf        *float64 `name:"fail-if" placeholder:"RATE" help:"Exit with status 3 (after writing every record) when the share of degenerate records exceeds RATE (0 to 1), so cron can gate on it."`
	Redetect      bool     `help:"With --emit-retry: judge every record again instead of using the \"detect\" verdict it already has."`
}

// Help shows examples.
func (c *DetectCmd) Help() string {
	return `Adds "detect": {degenerate, reasons, loop, signals, regenerate, attempt, params}
to every record. reasons are stable names: tail_loop, repeated_sentence,
repeated_phrase, near_loop, low_entropy, homogeneous_group, near_duplicate_of.
loop says where the repetition starts (character and token offset), the
repeated unit, its period and how many copies. Token-level signals use
"generation"."token_ids" when the record has them.

For a flagged record, params are the next settings of the regeneration ladder
(new seed, sampling, hotter temperature, repetition penalty, then
no-repeat-ngram), so 'degen detect --emit-retry | degen generate' regenerates
only those records.

Examples:
  degen detect generated.jsonl > judged.jsonl
  degen detect --group-by prompt --corpus samples.jsonl > judged.jsonl
  degen detect --emit-retry judged.jsonl | degen generate | degen merge judged.jsonl - > merged.jsonl
  degen detect --text-field 'response.body.choices[0].message.content' batch_output.jsonl
  degen detect --fail-if 0.1 -o judged.jsonl nightly.jsonl   # exit 3 above 10% degenerate
  degen detect --eval ../shared/eval/detect_public.jsonl

--emit-retry uses the verdict a record already has (--redetect judges
again) and writes "source": {"line", "field"} into each retry, which
'degen merge' uses to put it back in place. A record with "messages" and no
"text" is judged on its last message. Token ids are used only for "text".`
}

// detectOut is the "detect" object of a record.
type detectOut struct {
	detect.Result
	Group           *detect.GroupResult `json:"group,omitempty"`
	NearDuplicateOf string              `json:"near_duplicate_of,omitempty"`
	Similarity      float64             `json:"similarity,omitempty"`
	Regenerate      bool                `json:"regenerate"`
	Attempt         int                 `json:"attempt"`
	Params          map[string]any      `json:"params,omitempty"`
}

// judged is a record with its verdict, before the group steps.
type judged struct {
	rec   *jsonl.Record
	text  string // the --text-field, decoded once by the worker
	at    string // the path it was read at
	group string // the --group-by value
	out   detectOut
	seq   int  // 1-based position in the input
	prior bool // out is the verdict the record already had
}

// detected is a worker's result for one record.
type detected struct {
	text  string
	at    string // the path the text was read at
	res   detect.Result
	prior *detectOut // the record's own verdict, used by --emit-retry
}

// priorVerdict decodes the "detect" object a record already has.
func priorVerdict(rec *jsonl.Record) (*detectOut, bool) {
	raw, ok := rec.Get("detect")
	if !ok {
		return nil, false
	}
	var o detectOut
	if json.Unmarshal(raw, &o) != nil {
		return nil, false
	}
	return &o, true
}

// Run detects.
func (c *DetectCmd) Run(g *Globals, io *IO) error {
	if c.Eval != "" {
		return c.runEval(io)
	}
	if err := c.noResume(c.GroupBy != "", "--group-by"); err != nil {
		return err
	}
	if err := c.noResume(c.Corpus, "--corpus"); err != nil {
		return err
	}
	if c.FailIf != nil && (*c.FailIf < 0 || *c.FailIf > 1) {
		return usagef("--fail-if %g: want a share between 0 and 1", *c.FailIf)
	}
	if err := jsonl.ParsePath(c.TextField); err != nil {
		return usagef("--text-field: %v", err)
	}
	watch := newFieldWatch()
	if err := watch.add("--group-by", c.GroupBy); err != nil {
		return err
	}
	s, err := c.InputFlags.open(io)
	if err != nil {
		return err
	}
	var corpus *detect.CorpusIndex
	if c.Corpus {
		if corpus, err = detect.NewCorpusIndex(c.Threshold); err != nil {
			s.close()
			return usagef("%v", err)
		}
	}
	nw := c.Workers
	if nw <= 0 {
		nw = runtime.NumCPU()
	}
	opt := detect.DefaultOptions()
	bar := newRecordBar(g, io, s, "detect")
	var held []judged // with --group-by
	flagged := 0
	seq := 0
	err = processBatches(s, make([]struct{}, nw), func(_ struct{}, rec *jsonl.Record) (detected, error) {
		text, at, err := recordText(rec, c.TextField)
		if err != nil {
			return detected{}, err
		}
		if c.EmitRetry && !c.Redetect {
			if prev, ok := priorVerdict(rec); ok {
				return detected{text: text, at: at, prior: prev}, nil
			}
		}
		var ids []int
		if at == "text" {
			// generate writes token ids for "text"; another field is
			// judged on its characters alone.
			ids = tokenIDs(rec)
		}
		return detected{text: text, at: at, res: detect.Detect(text, ids, opt)}, nil
	}, func(rec *jsonl.Record, d detected) error {
		bar.Add(1)
		seq++
		if err := watch.record(rec); err != nil {
			return usagef("%v", err)
		}
		if d.prior != nil {
			// --emit-retry on a judged file: the verdict in the record
			// (group and corpus reasons included) decides.
			j := judged{rec: rec, text: d.text, at: d.at, out: *d.prior, seq: seq, prior: true}
			return c.emit(s, &j, &flagged)
		}
		j := judged{rec: rec, text: d.text, at: d.at, group: groupKey(rec, c.GroupBy), out: detectOut{Result: d.res}, seq: seq}
		if corpus != nil {
			if dup, sim := corpus.Query(j.group, j.text); dup != "" {
				j.out.NearDuplicateOf, j.out.Similarity = dup, sim
				j.out.addReason("near_duplicate_of")
			}
			corpus.Add(recordID(rec, seq), j.group, j.text)
		}
		if c.GroupBy != "" {
			held = append(held, j)
			return nil
		}
		return c.emit(s, &j, &flagged)
	})
	if err == nil {
		if werr := watch.check(); werr != nil {
			err = usagef("%v", werr)
		}
	}
	if err == nil && c.GroupBy != "" {
		err = c.judgeGroups(s, held, &flagged)
	}
	bar.Finish()
	if ferr := s.finish(g, io, "detect", err); err == nil {
		err = ferr
	}
	if err == nil {
		g.logf(io, "detect: %d of %d records degenerate%s", flagged, s.nIn, reasonCounts(c.byReason))
		if c.FailIf != nil && s.nIn > 0 && float64(flagged)/float64(s.nIn) > *c.FailIf {
			err = &gateError{fmt.Sprintf("detect: %d of %d records degenerate (%.3g), above --fail-if %g", flagged, s.nIn, float64(flagged)/float64(s.nIn), *c.FailIf)}
		}
	}
	return err
}

func (o *detectOut) addReason(r string) {
	for _, x := range o.Reasons {
		if x == r {
			return
		}
	}
	o.Reasons = append(o.Reasons, r)
	o.Degenerate = true
}

// judgeGroups flags the members of homogeneous groups, then writes the
// records in input order.
func (c *DetectCmd) judgeGroups(s *stream, held []judged, flagged *int) error {
	members := map[string][]int{}
	var order []string
	for i := range held {
		k := held[i].group
		if _, ok := members[k]; !ok {
			order = append(order, k)
		}
		members[k] = append(members[k], i)
	}
	gd := detect.DefaultGroupDetector()
	gd.Threshold, gd.SelfBLEU = c.GroupJaccard, c.GroupSelfBLEU
	for _, k := range order {
		idx := members[k]
		texts := make([]string, len(idx))
		for n, i := range idx {
			texts[n] = held[i].text
		}
		gr := gd.Check(texts)
		for _, i := range idx {
			g := gr
			held[i].out.Group = &g
			if gr.Degenerate {
				held[i].out.addReason("homogeneous_group")
			}
		}
	}
	for i := range held {
		if err := c.emit(s, &held[i], flagged); err != nil {
			return err
		}
	}
	return nil
}

// emit decides regeneration and writes the record.
func (c *DetectCmd) emit(s *stream, j *judged, flagged *int) error {
	o := &j.out
	if j.prior {
		if o.Degenerate {
			*flagged++
			if c.byReason == nil {
				c.byReason = map[string]int{}
			}
			for _, r := range o.Reasons {
				c.byReason[r]++
			}
		}
	} else {
		o.Attempt = attemptOf(j.rec)
		if o.Degenerate {
			*flagged++
			if c.byReason == nil {
				c.byReason = map[string]int{}
			}
			for _, r := range o.Reasons {
				c.byReason[r]++
			}
			if o.Attempt < c.MaxAttempts {
				o.Regenerate = true
				o.Params = detect.NextParams(o.Attempt+1, prevParams(j.rec))
			}
		}
	}
	if c.EmitRetry {
		if !o.Regenerate || o.Attempt >= c.MaxAttempts {
			return nil
		}
		if o.Params == nil {
			o.Params = detect.NextParams(o.Attempt+1, prevParams(j.rec))
		}
		r := j.rec
		// The retry carries its source: the original's position in this
		// input (1-based) and text field, so 'degen merge' puts it back.
		if err := r.SetValue("source", retrySource{Line: j.seq, Field: j.at}); err != nil {
			return err
		}
		switch j.at {
		case "text":
		case chatText:
			// A chat: the answer to regenerate is the last message, so
			// generate continues the conversation before it.
			if err := dropLastMessage(r); err != nil {
				return err
			}
		default:
			// generate writes "text"; merge moves it back to source.field.
			r.DeletePath(j.at)
		}
		for _, k := range []string{"text", "generation", "score", "detect"} {
			r.Delete(k)
		}
		if err := r.SetValue("params", o.Params); err != nil {
			return err
		}
		if err := r.SetValue("attempt", o.Attempt+1); err != nil {
			return err
		}
		return s.write(r)
	}
	if err := j.rec.SetValue("detect", o); err != nil {
		return err
	}
	return s.write(j.rec)
}

// dropLastMessage removes the last element of "messages".
func dropLastMessage(r *jsonl.Record) error {
	raw, _ := r.Get("messages")
	var msgs []json.RawMessage
	if err := json.Unmarshal(raw, &msgs); err != nil {
		return fmt.Errorf("messages: %w", err)
	}
	if len(msgs) > 0 {
		msgs = msgs[:len(msgs)-1]
	}
	return r.SetValue("messages", msgs)
}

// retrySource links a retry to the record it replaces.
type retrySource struct {
	Line  int    `json:"line"`            // 1-based position in detect's input
	Field string `json:"field,omitempty"` // where the text goes back
}

// tokenIDs returns "generation"."token_ids" when the record has them.
func tokenIDs(rec *jsonl.Record) []int {
	raw, ok := rec.Lookup("generation.token_ids")
	if !ok {
		return nil
	}
	var ids []int
	if json.Unmarshal(raw, &ids) != nil {
		return nil
	}
	return ids
}

// attemptOf is the record's "attempt" count (0 for a first generation).
func attemptOf(rec *jsonl.Record) int {
	raw, ok := rec.Get("attempt")
	if !ok {
		return 0
	}
	n, err := strconv.Atoi(string(raw))
	if err != nil {
		return 0
	}
	return n
}

// prevParams are the settings the text was generated with: the effective
// "generation"."params", else the record's own "params". When they did
// not sample (greedy's seed is the run's, shared by every record), the
// seed the ladder derives from mixes in the record's identity, so every record's retries get their own
// seeds rather than one shared seed.
func prevParams(rec *jsonl.Record) map[string]any {
	m := map[string]any{}
	for _, path := range []string{"generation.params", "params"} {
		if raw, ok := rec.Lookup(path); ok {
			if d, err := decodeParams(raw); err == nil {
				m = d
				break
			}
		}
	}
	if ds, _ := m["do_sample"].(bool); !ds || m["seed"] == nil {
		var base uint64
		if n, ok := m["seed"].(json.Number); ok {
			base, _ = strconv.ParseUint(n.String(), 10, 64)
		}
		id := recordSeedOf(base, recordIdentity(rec, "prompt", "messages", "params"))
		m["seed"] = json.Number(strconv.FormatUint(id, 10))
	}
	return m
}

// decodeParams decodes a params object for detect.NextParams with numbers
// kept as json.Number: a float64 would round seeds above 2^53, and every
// seed above 2^63 (generate draws uint64 seeds) to the same value.
func decodeParams(b []byte) (map[string]any, error) {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var m map[string]any
	if err := d.Decode(&m); err != nil {
		return nil, err
	}
	if m == nil {
		m = map[string]any{}
	}
	return m, nil
}

// recordID names a record for near_duplicate_of: its "id" field, else its
// position in the input.
func recordID(rec *jsonl.Record, seq int) string {
	if raw, ok := rec.Get("id"); ok {
		var s string
		if json.Unmarshal(raw, &s) == nil {
			return s
		}
		return string(raw)
	}
	return "#" + strconv.Itoa(seq)
}

func (c *DetectCmd) runEval(io *IO) error {
	f, err := os.Open(c.Eval)
	if err != nil {
		return err
	}
	defer f.Close()
	recs, err := detect.ReadRecords(f)
	if err != nil {
		return fmt.Errorf("%s: %w", c.Eval, err)
	}
	if len(recs) == 0 {
		return errors.New(c.Eval + ": no records")
	}
	rep := detect.Evaluate(recs)
	_, err = fmt.Fprint(io.Stdout, rep.Table())
	return err
}

// reasonCounts is the per-reason part of detect's summary line, most
// frequent first (a record may have several reasons).
func reasonCounts(m map[string]int) string {
	if len(m) == 0 {
		return ""
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(a, b int) bool {
		if m[keys[a]] != m[keys[b]] {
			return m[keys[a]] > m[keys[b]]
		}
		return keys[a] < keys[b]
	})
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s %d", k, m[k])
	}
	return " (" + strings.Join(parts, ", ") + ")"
}
