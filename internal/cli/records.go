package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"

	"github.com/degen-llm/degen/internal/jsonl"
)

// InputFlags are the JSONL input and output flags shared by the record
// commands.
type InputFlags struct {
	Inputs       []string `arg:"" optional:"" name:"input" help:"Input JSONL files, read in order (default: stdin). Gzip and zstd input is detected and decompressed."`
	Output       string   `short:"o" default:"-" help:"Output file (default: stdout). A .gz or .zst name compresses. It is written as FILE.partial and renamed when the run ends well; an interrupted run keeps FILE.partial (see --resume), a failed one removes it, and an existing FILE is never overwritten by a run that did not finish."`
	MaxLineBytes int      `default:"67108864" help:"Longest input line accepted, in bytes."`
	OnError      string   `enum:"fail,skip" default:"fail" help:"On a malformed input line or a record that cannot be processed (no prompt or text field, bad params): fail (exit 1, naming file and line) or skip it (counted on stderr, kept in --rejects)."`
	Rejects      string   `help:"Keep every skipped or dropped line in this file, verbatim (skipped lines) or with the reason (dropped records); a file, since stdout carries the data."`
	LongRunFlags
}

// stream is an open input, output and rejects file.
type stream struct {
	in      *jsonl.Reader
	out     *jsonl.Writer
	rejects *jsonl.Writer
	nIn     int
	nOut    int
	skip    bool // --on-error=skip
	bad     int  // records skipped because they could not be processed

	ctx        context.Context // cancelled by SIGINT/SIGTERM
	pos        int             // input records consumed, all shards, this run and the resumed one
	resumeFrom int             // input records done by the resumed run
	resumed    checkpoint      // what the resumed run had done
	shardI     int             // --shard I/N
	shardN     int
	outPath    string // -o FILE, "" for stdout
}

// noResume refuses --resume for a command whose output depends on records
// before the point of interruption (grouping, dedup, corpus state).
func (f *InputFlags) noResume(on bool, flag string) error {
	if on && f.Resume {
		return usagef("--resume cannot be used with %s: its output depends on every record before the interruption", flag)
	}
	return nil
}

// createOutput opens -o: standard output, or FILE written as FILE.partial.
func createOutput(path string, io *IO) (*jsonl.Writer, error) {
	return jsonl.Create(path, jsonl.WriterOptions{Stdout: io.Stdout, FlushEach: path == "-" && io.StdoutTTY, Partial: path != "-" && path != ""})
}

// open opens the inputs, the output and the rejects file.
func (f *InputFlags) open(io *IO) (*stream, error) {
	s := &stream{skip: f.OnError == "skip", ctx: io.Ctx}
	if f.Output != "-" && f.Output != "" {
		s.outPath = f.Output
	}
	var err error
	if s.shardI, s.shardN, err = resolveShard(f.Shard, f.ShardCount, os.Getenv); err != nil {
		return nil, err
	}
	if f.Resume && s.outPath == "" {
		return nil, usagef("--resume needs -o FILE (it continues FILE.partial)")
	}
	if f.Rejects == "-" {
		// stdout carries the data only: rejected lines mixed into it would
		// be read by the next stage as records.
		return nil, usagef("--rejects -: standard output carries the data; give a file for the rejected lines")
	}
	if f.Rejects != "" {
		// On --resume the first run's rejects stay and the new ones follow.
		w, err := jsonl.Create(f.Rejects, jsonl.WriterOptions{Append: f.Resume})
		if err != nil {
			return nil, err
		}
		s.rejects = w
	}
	var cancel <-chan struct{}
	if io.Ctx != nil {
		cancel = io.Ctx.Done()
	}
	opt := jsonl.Options{MaxLineBytes: f.MaxLineBytes, OnError: jsonl.ErrorPolicy(f.OnError), Stdin: io.Stdin, Cancel: cancel}
	if s.rejects != nil {
		opt.Rejects = s.rejects.Raw()
	}
	in, err := jsonl.OpenAll(f.Inputs, opt)
	if err != nil {
		s.close()
		return nil, err
	}
	s.in = in
	if s.outPath != "" && !f.Resume {
		// Leftovers of an earlier interrupted run that is not resumed.
		_ = os.Remove(checkpointName(s.outPath))
		_ = os.Remove(jsonl.PartialName(s.outPath) + ".old")
	}
	if f.Resume {
		// The old partial file is read while the new one is written.
		if err := os.Rename(jsonl.PartialName(s.outPath), jsonl.PartialName(s.outPath)+".old"); err != nil && !os.IsNotExist(err) {
			s.close()
			return nil, err
		}
	}
	out, err := createOutput(f.Output, io)
	if err != nil {
		s.close()
		return nil, err
	}
	s.out = out
	if f.Resume {
		cp, ok, err := resume(s.outPath, out)
		if err != nil {
			s.close()
			return nil, err
		}
		if ok && cp.Shard != s.shardName() {
			s.close()
			return nil, usagef("--resume: %s was written by shard %q, this run is shard %q", jsonl.PartialName(s.outPath), cp.Shard, s.shardName())
		}
		if ok {
			s.resumeFrom, s.resumed = cp.InputRecords, cp
			in.MuteRejects(cp.InputRecords > 0)
		}
	}
	return s, nil
}

// next returns the next record of this shard, or io.EOF; after SIGINT or
// SIGTERM an *interruptError (every record returned before is the caller's
// to finish).
func (s *stream) next() (*jsonl.Record, error) {
	for {
		if err := interrupted(s.ctx); err != nil {
			return nil, err
		}
		r, err := s.in.Next()
		if err != nil {
			if ierr := interrupted(s.ctx); ierr != nil && errors.Is(err, jsonl.ErrInterrupted) {
				return nil, ierr
			}
			return nil, err
		}
		pos := s.pos
		s.pos++
		if pos < s.resumeFrom {
			if s.pos == s.resumeFrom {
				s.in.MuteRejects(false)
			}
			continue
		}
		if s.shardN > 1 && pos%s.shardN != s.shardI {
			continue
		}
		s.nIn++
		return r, nil
	}
}

// write writes a record to the output.
func (s *stream) write(r *jsonl.Record) error {
	s.nOut++
	return s.out.Write(r)
}

// reject writes a dropped record with its reason to the rejects file.
func (s *stream) reject(r *jsonl.Record, reason string) error {
	if s.rejects == nil {
		return nil
	}
	c := r.Clone()
	if err := c.SetValue("rejected", reason); err != nil {
		return err
	}
	return s.rejects.Write(c)
}

// failed handles a record that could not be processed (err names its
// line): with --on-error=skip the record is counted and kept in the
// rejects file with the reason, and failed returns nil (or the error of
// writing the rejects file); otherwise it returns err, which ends the run.
func (s *stream) failed(rec *jsonl.Record, err error) error {
	if !s.skip || rec == nil {
		return err
	}
	s.bad++
	return s.reject(rec, err.Error())
}

// close closes everything and returns the first error; a partial output
// file is removed (the run did not finish).
func (s *stream) close() error {
	var errs []error
	if s.in != nil {
		errs = append(errs, s.in.Close())
	}
	if s.out != nil {
		s.out.Discard()
	}
	if s.rejects != nil {
		errs = append(errs, s.rejects.Close())
	}
	return errors.Join(errs...)
}

// finish closes the stream and reports counts on stderr. runErr is how the
// run ended: nil commits the output (FILE.partial becomes FILE), an
// interruption keeps FILE.partial with its complete lines and a checkpoint
// for --resume, any other error removes it.
func (s *stream) finish(g *Globals, io *IO, verb string, runErr error) error {
	skipped := 0
	if s.in != nil {
		skipped = s.in.Skipped()
	}
	var err error
	var ie *interruptError
	switch {
	case runErr == nil:
		err = s.commit()
	case errors.As(runErr, &ie):
		err = s.keep(ie)
	default:
		err = s.close()
	}
	if skipped > 0 {
		// Skipped lines are reported even with --quiet: they are data not written.
		fmt.Fprintf(io.Stderr, "degen %s: skipped %d malformed input line(s)\n", verb, skipped)
	}
	if s.bad > 0 {
		fmt.Fprintf(io.Stderr, "degen %s: skipped %d record(s) that could not be processed\n", verb, s.bad)
	}
	return err
}

// shardName is "I/N" for a sharded run, "" otherwise.
func (s *stream) shardName() string {
	if s.shardN <= 1 {
		return ""
	}
	return fmt.Sprintf("%d/%d", s.shardI, s.shardN)
}

// closeInputs closes the input and the rejects file, the part every way
// of ending a run shares.
func (s *stream) closeInputs() []error {
	var errs []error
	if s.in != nil {
		errs = append(errs, s.in.Close())
	}
	if s.rejects != nil {
		errs = append(errs, s.rejects.Close())
	}
	return errs
}

// commit closes everything and renames the output into place.
func (s *stream) commit() error {
	errs := s.closeInputs()
	if s.out != nil {
		if err := errors.Join(errs...); err != nil {
			s.out.Discard()
			return err
		}
		errs = append(errs, s.out.Commit())
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	if s.outPath != "" {
		_ = os.Remove(checkpointName(s.outPath))
		_ = os.Remove(jsonl.PartialName(s.outPath) + ".old")
	}
	return nil
}

// keep closes everything after an interruption: the complete lines written
// so far stay in FILE.partial (or on stdout), with a checkpoint beside it
// for --resume. It fills in ie's note.
func (s *stream) keep(ie *interruptError) error {
	errs := s.closeInputs()
	if s.out != nil {
		errs = append(errs, s.out.Close())
	}
	done := max(s.pos, s.resumeFrom)
	lines := s.resumed.OutputLines + s.nOut
	if err := errors.Join(errs...); err != nil {
		return err
	}
	if s.in == nil { // generate --prompt
		ie.note = fmt.Sprintf("; %d complete lines written", lines)
		if s.outPath != "" {
			ie.note += " to " + jsonl.PartialName(s.outPath)
		}
		return nil
	}
	if s.outPath == "" {
		ie.note = fmt.Sprintf("; %d input records done, %d complete lines written", done, lines)
		return nil
	}
	b, _ := json.Marshal(checkpoint{InputRecords: done, OutputLines: lines, Shard: s.shardName()})
	if err := os.WriteFile(checkpointName(s.outPath), append(b, '\n'), 0o644); err != nil {
		return err
	}
	_ = os.Remove(jsonl.PartialName(s.outPath) + ".old")
	ie.note = fmt.Sprintf("; %d input records done, %d complete lines kept in %s (run again with --resume to continue)", done, lines, jsonl.PartialName(s.outPath))
	return nil
}

// groupKey is the value at the dotted path of rec as a string (a string
// field's text, any other value's JSON), "" when path is empty or absent.
func groupKey(rec *jsonl.Record, path string) string {
	if path == "" {
		return ""
	}
	raw, ok := rec.Lookup(path)
	if !ok {
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	return string(raw)
}

// checkAfter is the number of records after which a named field that none
// of them had is an error: a typo (--group-by promt, --max
// score.seq_rep4=0.1) would otherwise silently disable the check.
const checkAfter = 100

// fieldWatch tracks whether named field paths occur in any record.
type fieldWatch struct {
	flag  map[string]string // path -> flag that named it
	seen  map[string]bool
	order []string
	n     int
}

func newFieldWatch() *fieldWatch {
	return &fieldWatch{flag: map[string]string{}, seen: map[string]bool{}}
}

// add names a path to watch, after checking its syntax.
func (w *fieldWatch) add(flag, path string) error {
	if path == "" {
		return nil
	}
	if err := jsonl.ParsePath(path); err != nil {
		return usagef("%s: %v", flag, err)
	}
	if _, ok := w.flag[path]; !ok {
		w.order = append(w.order, path)
	}
	w.flag[path] = flag
	return nil
}

// record notes which watched paths rec has, and after checkAfter records
// returns an error for a path none had.
func (w *fieldWatch) record(rec *jsonl.Record) error {
	w.n++
	for _, p := range w.order {
		if !w.seen[p] {
			if raw, ok := rec.Lookup(p); ok && string(raw) != "null" {
				w.seen[p] = true
			}
		}
	}
	if w.n == checkAfter {
		return w.check()
	}
	return nil
}

// check returns an error for a watched path that no record had so far; it
// is called at the end of input too.
func (w *fieldWatch) check() error {
	if w.n == 0 {
		return nil
	}
	for _, p := range w.order {
		if !w.seen[p] {
			return fmt.Errorf("%s %s: no field %q in the first %d record(s); check the name (paths look like score.seq_rep_4 or messages[-1].content)", w.flag[p], p, p, w.n)
		}
	}
	return nil
}

// chatText is where a chat record's text is: the last message's content.
const chatText = "messages[-1].content"

// recordText reads the text at path. A record without the default "text"
// field but with "messages" (a chat) is read at its last message's
// content. It returns the path it read, so an edit goes back there.
func recordText(rec *jsonl.Record, path string) (text, at string, err error) {
	text, ok, err := rec.LookupString(path)
	if err != nil {
		return "", path, err
	}
	if ok {
		return text, path, nil
	}
	if path == "text" && rec.Has("messages") {
		if text, ok, err = rec.LookupString(chatText); err != nil || ok {
			return text, chatText, err
		}
	}
	return "", path, fmt.Errorf("no %q field (choose it with --text-field)", path)
}
