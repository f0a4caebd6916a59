package jsonl

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"sync/atomic"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
)

// DefaultMaxLineBytes is the default longest accepted line. It is far above
// any sane record yet bounds the memory one corrupt or binary input can take.
const DefaultMaxLineBytes = 64 << 20

// readBufSize is the bufio buffer size; lines longer than it are assembled
// from several reads.
const readBufSize = 256 << 10

// ErrorPolicy says what a Reader does with a malformed or over-long line.
type ErrorPolicy string

const (
	// Fail returns a *LineError from Next.
	Fail ErrorPolicy = "fail"
	// Skip drops the line, counts it and copies it to Options.Rejects.
	Skip ErrorPolicy = "skip"
)

// ErrLineTooLong is wrapped by the LineError of a line longer than
// Options.MaxLineBytes.
var ErrLineTooLong = errors.New("line too long")

// LineError is an error tied to one line of one input. Line is the 1-based
// physical line number.
type LineError struct {
	Input string
	Line  int
	Err   error
}

func (e *LineError) Error() string { return fmt.Sprintf("%s:%d: %v", e.Input, e.Line, e.Err) }
func (e *LineError) Unwrap() error { return e.Err }

// Options configure a Reader. The zero value is usable.
type Options struct {
	// MaxLineBytes is the longest accepted line, without its line ending;
	// 0 means DefaultMaxLineBytes.
	MaxLineBytes int
	// OnError is Fail (the default when empty) or Skip.
	OnError ErrorPolicy
	// Rejects, if set with Skip, receives every skipped line verbatim
	// (line ending normalised to "\n"), so nothing is lost.
	Rejects io.Writer
	// Stdin is read for the path "-" or ""; nil means os.Stdin.
	Stdin io.Reader
	// Cancel, when closed, makes a read that is waiting for input (a pipe
	// or terminal on stdin, an injected reader) return ErrInterrupted at
	// once instead of blocking until more data comes. Lines already read
	// are unaffected; the line being assembled is lost.
	Cancel <-chan struct{}
}

// ErrInterrupted is wrapped by the error Next returns after Options.Cancel
// was closed while it waited for input.
var ErrInterrupted = errors.New("interrupted")

func (o *Options) check() error {
	switch o.OnError {
	case "":
		o.OnError = Fail
	case Fail, Skip:
	default:
		return fmt.Errorf("unknown error policy %q, want %q or %q", o.OnError, Fail, Skip)
	}
	if o.MaxLineBytes < 0 {
		return fmt.Errorf("negative MaxLineBytes %d", o.MaxLineBytes)
	}
	if o.MaxLineBytes == 0 {
		o.MaxLineBytes = DefaultMaxLineBytes
	}
	return nil
}

// StdinName is how standard input is named in errors.
const StdinName = "<stdin>"

// input is one source of a Reader, not yet opened.
type input struct {
	name string
	path string    // "" when r is set
	r    io.Reader // injected reader or stdin
}

// Reader streams Records from one or more JSONL inputs in order, each plain,
// gzip or zstd (detected from magic bytes). Blank lines are skipped but
// counted, CRLF endings and a missing final newline are accepted, and a
// UTF-8 byte order mark at the start of an input is ignored.
//
// Errors from Next:
//   - a malformed or over-long line yields a *LineError under Fail; the
//     reader has consumed that line and a further Next continues after it;
//   - a read or decompression failure yields a *LineError naming the input
//     and the line being read; it is sticky;
//   - io.EOF after the last input.
//
// Close releases the open file and decoder; call it even after an error.
// A Reader is used from one goroutine, except BytesRead.
type Reader struct {
	opt    Options
	inputs []input
	next   int   // index of the next input to open
	size   int64 // total size, -1 if unknown

	cur     *source
	read    atomic.Int64 // input bytes consumed, all inputs together
	line    int          // physical lines read from the current input
	skipped int
	err     error // sticky

	lastName string
	lastLine int
	lastRec  *Record

	muted bool // MuteRejects
}

// source is an opened input.
type source struct {
	name    string
	closer  io.Closer // the file, nil for injected readers
	gz      *gzip.Reader
	zs      *zstd.Decoder
	br      *bufio.Reader // lines come from here
	started bool          // first line read (for the BOM check)
	stop    func()        // ends a cancelReader's goroutine, nil if none
}

// countingReader adds the bytes it reads to n, which BytesRead loads from
// any goroutine.
type countingReader struct {
	r io.Reader
	n *atomic.Int64
}

func (c countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}

// Open opens one input; "-" or "" is standard input.
func Open(path string, opt Options) (*Reader, error) {
	return OpenAll([]string{path}, opt)
}

// OpenAll reads the inputs at paths in order as one stream; "-" or "" is
// standard input (at most once), and no paths means standard input. Every
// file is checked up front so a typo fails before any work; files are
// opened one at a time.
func OpenAll(paths []string, opt Options) (*Reader, error) {
	if err := opt.check(); err != nil {
		return nil, err
	}
	if len(paths) == 0 {
		paths = []string{"-"}
	}
	r := &Reader{opt: opt}
	stdin := false
	for _, p := range paths {
		if p == "-" || p == "" {
			if stdin {
				return nil, errors.New("standard input given more than once")
			}
			stdin = true
			in := opt.Stdin
			if in == nil {
				in = os.Stdin
			}
			r.inputs = append(r.inputs, input{name: StdinName, r: in})
			r.size = -1
			continue
		}
		fi, err := os.Stat(p)
		if err != nil {
			return nil, err
		}
		if fi.IsDir() {
			return nil, fmt.Errorf("%s: is a directory", p)
		}
		if r.size >= 0 && fi.Mode().IsRegular() {
			r.size += fi.Size()
		} else {
			r.size = -1
		}
		r.inputs = append(r.inputs, input{name: p, path: p})
	}
	return r, nil
}

// NewReader reads from rd, named name in errors. Its Size is -1.
func NewReader(name string, rd io.Reader, opt Options) (*Reader, error) {
	if err := opt.check(); err != nil {
		return nil, err
	}
	return &Reader{opt: opt, inputs: []input{{name: name, r: rd}}, size: -1}, nil
}

// Size returns the total size in bytes of the inputs (compressed size for
// compressed files), or -1 if any is not a regular file.
func (r *Reader) Size() int64 { return r.size }

// BytesRead returns how many input bytes (compressed, if so) have been
// consumed so far; with Size it drives a progress bar. It may be called
// from another goroutine. Read-ahead buffering makes it run slightly ahead
// of the records returned.
func (r *Reader) BytesRead() int64 { return r.read.Load() }

// Skipped returns how many lines the Skip policy dropped.
func (r *Reader) Skipped() int { return r.skipped }

// Name returns the name of the input of the last record returned.
func (r *Reader) Name() string { return r.lastName }

// Line returns the 1-based line number of the last record returned.
func (r *Reader) Line() int { return r.lastLine }

// RawLine returns the line the last record was parsed from, without its
// line ending. It must not be modified.
func (r *Reader) RawLine() []byte {
	if r.lastRec == nil {
		return nil
	}
	return r.lastRec.buf
}

// LineErr ties err to the input and line of the last record returned, for
// callers reporting their own per-record problems.
func (r *Reader) LineErr(err error) error {
	return &LineError{Input: r.lastName, Line: r.lastLine, Err: err}
}

// Next returns the next record, or io.EOF after the last input.
func (r *Reader) Next() (*Record, error) {
	if r.err != nil {
		return nil, r.err
	}
	for {
		if r.cur == nil {
			if r.next >= len(r.inputs) {
				return nil, io.EOF
			}
			if err := r.open(r.inputs[r.next]); err != nil {
				r.err = err
				return nil, err
			}
			r.next++
		}
		line, tooLong, err := r.readLine()
		if err == io.EOF {
			if err := r.finish(); err != nil {
				r.err = err
				return nil, err
			}
			continue
		}
		if err != nil {
			if r.err == nil { // else a rejects write failed and said so
				r.err = &LineError{Input: r.cur.name, Line: r.line + 1, Err: fmt.Errorf("read: %w", err)}
			}
			return nil, r.err
		}
		r.line++
		if tooLong {
			if err := r.reject(nil, fmt.Errorf("%w: more than %d bytes", ErrLineTooLong, r.opt.MaxLineBytes)); err != nil {
				return nil, err
			}
			continue
		}
		if isBlank(line) {
			continue
		}
		rec, err := parseOwned(line)
		if err != nil {
			if err := r.reject(line, err); err != nil {
				return nil, err
			}
			continue
		}
		r.lastName, r.lastLine, r.lastRec = r.cur.name, r.line, rec
		return rec, nil
	}
}

// reject applies the error policy to the current line. line is nil when it
// was too long, in which case readLine already streamed it to Rejects.
func (r *Reader) reject(line []byte, cause error) error {
	if r.opt.OnError == Fail {
		return &LineError{Input: r.cur.name, Line: r.line, Err: cause}
	}
	r.skipped++
	if line != nil && r.opt.Rejects != nil && !r.muted {
		if err := r.writeReject(line); err != nil {
			return err
		}
		return r.writeReject(nil)
	}
	return nil
}

// rejectLong copies a whole over-long line to Rejects when skipping.
func (r *Reader) rejectLong(line []byte) error {
	if !r.streamRejects() {
		return nil
	}
	if err := r.writeReject(line); err != nil {
		return err
	}
	return r.writeReject(nil)
}

// writeReject copies b, or a newline when b is nil, to Rejects; a failure
// is sticky since the promise that nothing is lost no longer holds.
func (r *Reader) writeReject(b []byte) error {
	if b == nil {
		b = []byte{'\n'}
	}
	if _, err := r.opt.Rejects.Write(b); err != nil {
		r.err = fmt.Errorf("write rejects: %w", err)
		return r.err
	}
	return nil
}

// readLine returns the next physical line without its ending, in a fresh
// slice the caller owns. A line over MaxLineBytes is not kept: tooLong is
// set and, under Skip, its bytes go to Rejects as they are read. io.EOF
// means no line was left.
func (r *Reader) readLine() (line []byte, tooLong bool, err error) {
	s := r.cur
	chunk, err := s.br.ReadSlice('\n')
	max := r.opt.MaxLineBytes
	if err == nil || (err == io.EOF && len(chunk) > 0) {
		chunk = r.trimBOM(trimEOL(chunk))
		if len(chunk) > max {
			return nil, true, r.rejectLong(chunk)
		}
		return bytes.Clone(chunk), false, nil
	}
	if err != bufio.ErrBufferFull {
		return nil, false, err
	}
	// Long line: assemble it from buffer-sized chunks, giving up (but still
	// consuming the line) once it cannot fit. max+2 leaves room for "\r\n".
	acc := append(make([]byte, 0, 2*len(chunk)), chunk...)
	for {
		chunk, err = s.br.ReadSlice('\n')
		if err != nil && err != bufio.ErrBufferFull && err != io.EOF {
			return nil, false, err
		}
		if len(acc)+len(chunk) > max+2 {
			break
		}
		acc = append(acc, chunk...)
		if err != bufio.ErrBufferFull {
			acc = r.trimBOM(trimEOL(acc))
			if len(acc) > max {
				return nil, true, r.rejectLong(acc)
			}
			return acc, false, nil
		}
	}
	// Too long: drain the rest of the line, streaming it to Rejects.
	stream := r.streamRejects()
	acc = r.trimBOM(acc)
	pendingCR := false
	if n := len(acc); n > 0 && acc[n-1] == '\r' {
		acc, pendingCR = acc[:n-1], true
	}
	for {
		last := err != bufio.ErrBufferFull // chunk ends the line
		// A '\r' ending a chunk may be half of a CRLF split by the buffer:
		// it is held back, and dropped if the next chunk is a bare "\n".
		crlf := pendingCR && len(chunk) == 1 && chunk[0] == '\n'
		if last {
			chunk = trimEOL(chunk)
		}
		if stream {
			if pendingCR && !crlf {
				acc = append(acc, '\r')
			}
			pendingCR = false
			acc = append(acc, chunk...)
			if !last && len(acc) > 0 && acc[len(acc)-1] == '\r' {
				acc, pendingCR = acc[:len(acc)-1], true
			}
			if len(acc) > 0 {
				if werr := r.writeReject(acc); werr != nil {
					return nil, false, werr
				}
			}
			acc = acc[:0]
			if last {
				if werr := r.writeReject(nil); werr != nil {
					return nil, false, werr
				}
			}
		}
		if last {
			return nil, true, nil
		}
		chunk, err = s.br.ReadSlice('\n')
		if err != nil && err != bufio.ErrBufferFull && err != io.EOF {
			return nil, false, err
		}
	}
}

func (r *Reader) streamRejects() bool {
	return r.opt.OnError == Skip && r.opt.Rejects != nil && !r.muted
}

// trimBOM drops a UTF-8 byte order mark from the first line of an input.
func (r *Reader) trimBOM(b []byte) []byte {
	if r.cur.started {
		return b
	}
	r.cur.started = true
	return bytes.TrimPrefix(b, []byte("\xef\xbb\xbf"))
}

// trimEOL drops a trailing "\n" or "\r\n".
func trimEOL(b []byte) []byte {
	if n := len(b); n > 0 && b[n-1] == '\n' {
		b = b[:n-1]
		if n := len(b); n > 0 && b[n-1] == '\r' {
			b = b[:n-1]
		}
	}
	return b
}

// cancelReader makes reads from a stream that may block (stdin, a pipe)
// return ErrInterrupted when cancel closes: a goroutine does the reads and
// hands the results over, so the waiting side can give up. The goroutine
// left blocked in Read ends with the process.
type cancelReader struct {
	r      io.Reader
	cancel <-chan struct{}
	req    chan []byte
	res    chan readResult
}

type readResult struct {
	n   int
	err error
}

func newCancelReader(r io.Reader, cancel <-chan struct{}) *cancelReader {
	c := &cancelReader{r: r, cancel: cancel, req: make(chan []byte), res: make(chan readResult, 1)}
	go func() {
		for p := range c.req {
			n, err := c.r.Read(p)
			c.res <- readResult{n, err}
		}
	}()
	return c
}

// stop ends the reader goroutine once its current Read (if any) returns;
// Read must not be called after it.
func (c *cancelReader) stop() { close(c.req) }

func (c *cancelReader) Read(p []byte) (int, error) {
	select {
	case <-c.cancel:
		return 0, ErrInterrupted
	default:
	}
	// The reader goroutine fills a private buffer, never p, so giving up
	// on a read cannot let it write into memory the caller reuses.
	buf := make([]byte, len(p))
	select {
	case c.req <- buf:
	case <-c.cancel:
		return 0, ErrInterrupted
	}
	select {
	case res := <-c.res:
		copy(p, buf[:res.n])
		return res.n, res.err
	case <-c.cancel:
		return 0, ErrInterrupted
	}
}

// checkedReader returns ErrInterrupted from Read once cancel is closed; for
// files, whose reads do not block for long.
type checkedReader struct {
	r      io.Reader
	cancel <-chan struct{}
}

func (c checkedReader) Read(p []byte) (int, error) {
	select {
	case <-c.cancel:
		return 0, ErrInterrupted
	default:
		return c.r.Read(p)
	}
}

// MuteRejects stops (true) or restarts (false) copying skipped lines to
// Options.Rejects, for a caller skipping input it already processed in an
// earlier run (whose rejects were written then).
func (r *Reader) MuteRejects(mute bool) { r.muted = mute }

// open opens in and sniffs its compression.
func (r *Reader) open(in input) error {
	s := &source{name: in.name}
	raw := in.r
	if raw == nil {
		f, err := os.Open(in.path)
		if err != nil {
			return err
		}
		s.closer, raw = f, f
		if r.opt.Cancel != nil {
			raw = checkedReader{f, r.opt.Cancel}
		}
	} else if r.opt.Cancel != nil {
		cr := newCancelReader(raw, r.opt.Cancel)
		s.stop, raw = cr.stop, cr
	}
	br := bufio.NewReaderSize(countingReader{r: raw, n: &r.read}, readBufSize)
	magic, err := br.Peek(4)
	if err != nil && err != io.EOF {
		s.close()
		return &LineError{Input: in.name, Line: 1, Err: fmt.Errorf("read: %w", err)}
	}
	switch {
	case bytes.HasPrefix(magic, []byte{0x1f, 0x8b}):
		s.gz, err = gzip.NewReader(br)
		if err != nil {
			s.close()
			return fmt.Errorf("%s: gzip: %w", in.name, err)
		}
		s.br = bufio.NewReaderSize(s.gz, readBufSize)
	case bytes.HasPrefix(magic, []byte{0x28, 0xb5, 0x2f, 0xfd}):
		s.zs, err = zstd.NewReader(br)
		if err != nil {
			s.close()
			return fmt.Errorf("%s: zstd: %w", in.name, err)
		}
		s.br = bufio.NewReaderSize(s.zs, readBufSize)
	default:
		s.br = br
	}
	r.cur, r.line = s, 0
	return nil
}

// finish closes the current input after its last line.
func (r *Reader) finish() error {
	s := r.cur
	r.cur = nil
	if err := s.close(); err != nil {
		return fmt.Errorf("%s: close: %w", s.name, err)
	}
	return nil
}

// close releases decoders (whose goroutines would otherwise leak) and the
// file; injected readers are left open for their owner.
func (s *source) close() error {
	var err error
	if s.gz != nil {
		// Its error only repeats a decoding error Read already returned.
		_ = s.gz.Close()
	}
	if s.zs != nil {
		s.zs.Close()
	}
	if s.stop != nil {
		s.stop()
		s.stop = nil
	}
	if s.closer != nil {
		if cerr := s.closer.Close(); err == nil {
			err = cerr
		}
	}
	return err
}

// Close releases the current input. It is safe to call more than once and
// after io.EOF.
func (r *Reader) Close() error {
	r.next = len(r.inputs)
	if r.err == nil {
		r.err = errors.New("reader closed")
	}
	s := r.cur
	if s == nil {
		return nil
	}
	r.cur = nil
	return s.close()
}
