package cli

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/degen-llm/degen/internal/jsonl"
)

// InputFlags are the JSONL input and output flags shared by the record
// commands.
type InputFlags struct {
	Inputs       []string `arg:"" optional:"" name:"input" help:"Input JSONL files, read in order (default: stdin). Gzip and zstd input is detected and decompressed."`
	Output       string   `short:"o" default:"-" help:"Output file (default: stdout). A .gz or .zst name compresses."`
	MaxLineBytes int      `default:"67108864" help:"Longest input line accepted, in bytes."`
	OnError      string   `enum:"fail,skip" default:"fail" help:"On a malformed input line or a record that cannot be processed (no prompt or text field, bad params): fail (exit 1, naming file and line) or skip it (counted on stderr, kept in --rejects)."`
	Rejects      string   `help:"Keep every skipped or dropped line in this file, verbatim (skipped lines) or with the reason (dropped records)."`
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
}

// open opens the inputs, the output and the rejects file.
func (f *InputFlags) open(io *IO) (*stream, error) {
	s := &stream{skip: f.OnError == "skip"}
	if f.Rejects != "" {
		w, err := jsonl.Create(f.Rejects, jsonl.WriterOptions{})
		if err != nil {
			return nil, err
		}
		s.rejects = w
	}
	opt := jsonl.Options{MaxLineBytes: f.MaxLineBytes, OnError: jsonl.ErrorPolicy(f.OnError), Stdin: io.Stdin}
	if s.rejects != nil {
		opt.Rejects = s.rejects.Raw()
	}
	in, err := jsonl.OpenAll(f.Inputs, opt)
	if err != nil {
		s.close()
		return nil, err
	}
	s.in = in
	out, err := jsonl.Create(f.Output, jsonl.WriterOptions{Stdout: io.Stdout, FlushEach: f.Output == "-" && io.StdoutTTY})
	if err != nil {
		s.close()
		return nil, err
	}
	s.out = out
	return s, nil
}

// next returns the next record, or io.EOF.
func (s *stream) next() (*jsonl.Record, error) {
	r, err := s.in.Next()
	if err == nil {
		s.nIn++
	}
	return r, err
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

// close closes everything and returns the first error.
func (s *stream) close() error {
	var errs []error
	if s.in != nil {
		errs = append(errs, s.in.Close())
	}
	if s.out != nil {
		errs = append(errs, s.out.Close())
	}
	if s.rejects != nil {
		errs = append(errs, s.rejects.Close())
	}
	return errors.Join(errs...)
}

// finish closes the stream and reports counts on stderr.
func (s *stream) finish(g *Globals, io *IO, verb string) error {
	skipped := 0
	if s.in != nil {
		skipped = s.in.Skipped()
	}
	err := s.close()
	if skipped > 0 {
		// Skipped lines are reported even with --quiet: they are data not written.
		fmt.Fprintf(io.Stderr, "degen %s: skipped %d malformed input line(s)\n", verb, skipped)
	}
	if s.bad > 0 {
		fmt.Fprintf(io.Stderr, "degen %s: skipped %d record(s) that could not be processed\n", verb, s.bad)
	}
	return err
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
