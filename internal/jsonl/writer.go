package jsonl

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
)

// writeBufSize is the output buffer; large enough that compressors see big
// writes and a pipe sees few syscalls.
const writeBufSize = 256 << 10

// StdoutName is how standard output is named in errors.
const StdoutName = "<stdout>"

// WriterOptions configure a Writer. The zero value is usable.
type WriterOptions struct {
	// FlushEach flushes after every line, so a terminal or a downstream
	// process sees records as they come; the CLI sets it when stdout is a
	// terminal. Otherwise output is buffered.
	FlushEach bool
	// Stdout is written for the path "-" or ""; nil means os.Stdout.
	Stdout io.Writer
	// Partial writes a named file to PartialName(path) instead, so the
	// file at path is untouched until Commit renames the finished output
	// onto it. Close (without Commit) leaves the partial file with the
	// lines written so far; Discard removes it.
	Partial bool
	// Append adds to an existing file instead of truncating it (a
	// compressed file gets a new gzip member or zstd frame, which readers
	// take as the continuation of the stream).
	Append bool
}

// PartialName is where a WriterOptions.Partial output is written until it
// is committed: the same directory, so the final rename is atomic.
func PartialName(path string) string { return path + ".partial" }

// compressor is what gzip.Writer and zstd.Encoder have in common.
type compressor interface {
	io.Writer
	Flush() error
	Close() error
}

// Writer writes Records as JSONL lines: one compact object per line, keys
// and values as the Record holds them, never HTML-escaped. Errors are
// sticky: after the first failure every call returns it.
type Writer struct {
	name      string
	bw        *bufio.Writer
	comp      compressor // nil when uncompressed
	file      *os.File   // nil for stdout and injected writers
	partial   string     // the file written, when it is renamed to name on Commit
	flushEach bool
	err       error
	closed    bool
}

// Create opens path for writing, truncating it; "-" or "" is standard
// output. A ".gz" suffix selects gzip and ".zst" zstd; standard output is
// never compressed.
func Create(path string, opt WriterOptions) (*Writer, error) {
	if path == "-" || path == "" {
		out := opt.Stdout
		if out == nil {
			out = os.Stdout
		}
		return NewWriter(StdoutName, out, opt), nil
	}
	target := path
	if opt.Partial {
		target = PartialName(path)
	}
	flag := os.O_WRONLY | os.O_CREATE | os.O_TRUNC
	if opt.Append {
		flag = os.O_WRONLY | os.O_CREATE | os.O_APPEND
	}
	f, err := os.OpenFile(target, flag, 0o666)
	if err != nil {
		return nil, err
	}
	w := &Writer{name: path, file: f, flushEach: opt.FlushEach}
	if opt.Partial {
		w.partial = target
	}
	var dst io.Writer = f
	switch {
	case strings.HasSuffix(path, ".gz"):
		w.comp = gzip.NewWriter(f)
	case strings.HasSuffix(path, ".zst"):
		enc, err := zstd.NewWriter(f)
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("%s: zstd: %w", path, err)
		}
		w.comp = enc
	}
	if w.comp != nil {
		dst = w.comp
	}
	w.bw = bufio.NewWriterSize(dst, writeBufSize)
	return w, nil
}

// NewWriter writes uncompressed JSONL to out, named name in errors. Close
// flushes but does not close out.
func NewWriter(name string, out io.Writer, opt WriterOptions) *Writer {
	return &Writer{name: name, bw: bufio.NewWriterSize(out, writeBufSize), flushEach: opt.FlushEach}
}

// Name returns the output's name.
func (w *Writer) Name() string { return w.name }

func (w *Writer) fail(err error) error {
	if w.err == nil {
		w.err = fmt.Errorf("write %s: %w", w.name, err)
	}
	return w.err
}

// Write writes rec as one line.
func (w *Writer) Write(rec *Record) error {
	if w.err != nil {
		return w.err
	}
	// Encode straight into bufio's free space: no copy when it fits.
	b := rec.AppendJSON(w.bw.AvailableBuffer())
	b = append(b, '\n')
	return w.writeBytes(b)
}

// WriteLine writes line followed by a newline, unchecked: the caller
// vouches that it is one JSON value (or, for a rejects file, any text).
func (w *Writer) WriteLine(line []byte) error {
	if w.err != nil {
		return w.err
	}
	b := append(append(w.bw.AvailableBuffer(), line...), '\n')
	return w.writeBytes(b)
}

func (w *Writer) writeBytes(b []byte) error {
	if w.closed {
		return fmt.Errorf("write %s: %w", w.name, errors.New("writer closed"))
	}
	if _, err := w.bw.Write(b); err != nil {
		return w.fail(err)
	}
	if w.flushEach && len(b) > 0 && b[len(b)-1] == '\n' {
		return w.Flush()
	}
	return nil
}

// Raw returns an io.Writer that writes bytes unchanged through w's buffer
// and compressor, for Options.Rejects (see the package documentation).
func (w *Writer) Raw() io.Writer { return rawWriter{w} }

type rawWriter struct{ w *Writer }

func (r rawWriter) Write(p []byte) (int, error) {
	if r.w.err != nil {
		return 0, r.w.err
	}
	if err := r.w.writeBytes(p); err != nil {
		return 0, err
	}
	return len(p), nil
}

// Flush pushes buffered lines through the compressor to the output.
func (w *Writer) Flush() error {
	if w.err != nil {
		return w.err
	}
	if err := w.bw.Flush(); err != nil {
		return w.fail(err)
	}
	if w.comp != nil {
		if err := w.comp.Flush(); err != nil {
			return w.fail(err)
		}
	}
	return nil
}

// Close flushes, ends the compressed stream and closes the file, and
// returns the first error met while writing or closing. A second Close
// returns the same result.
func (w *Writer) Close() error {
	if w.closed {
		return w.err
	}
	w.closed = true
	// bufio errors are sticky, so this also surfaces any earlier failure.
	if err := w.bw.Flush(); err != nil {
		w.fail(err)
	}
	if w.comp != nil {
		if err := w.comp.Close(); err != nil {
			w.fail(err)
		}
	}
	if w.file != nil {
		if err := w.file.Close(); err != nil {
			w.fail(err)
		}
	}
	return w.err
}

// Commit closes w and, for a Partial output, renames the partial file onto
// the named one; after a write or close error the partial file is left
// and nothing is renamed.
func (w *Writer) Commit() error {
	if err := w.Close(); err != nil {
		return err
	}
	if w.partial == "" {
		return nil
	}
	if err := os.Rename(w.partial, w.name); err != nil {
		return w.fail(err)
	}
	w.partial = ""
	return nil
}

// Discard closes w and removes a Partial output's partial file, for a run
// that failed: whatever was at the named path stays as it was.
func (w *Writer) Discard() {
	_ = w.Close()
	if w.partial != "" {
		_ = os.Remove(w.partial)
		w.partial = ""
	}
}
