package jsonl

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// got is what a full read produced: each record's output line with its
// input line number, and the error that stopped it.
type got struct {
	lines []string
	nums  []int
	err   error
}

func drain(t *testing.T, r *Reader) got {
	t.Helper()
	var g got
	for {
		rec, err := r.Next()
		if err == io.EOF {
			return g
		}
		if err != nil {
			g.err = err
			return g
		}
		g.lines = append(g.lines, string(rec.AppendJSON(nil)))
		g.nums = append(g.nums, r.Line())
	}
}

func newReader(t *testing.T, in string, opt Options) *Reader {
	t.Helper()
	r, err := NewReader("in.jsonl", strings.NewReader(in), opt)
	require.NoError(t, err)
	return r
}

func TestReaderLines(t *testing.T) {
	tests := []struct {
		name  string
		in    string
		lines []string
		nums  []int
	}{
		{"plain", "{\"a\":1}\n{\"a\":2}\n", []string{`{"a":1}`, `{"a":2}`}, []int{1, 2}},
		{"no final newline", "{\"a\":1}\n{\"a\":2}", []string{`{"a":1}`, `{"a":2}`}, []int{1, 2}},
		{"crlf", "{\"a\":1}\r\n{\"a\":2}\r\n", []string{`{"a":1}`, `{"a":2}`}, []int{1, 2}},
		{"crlf no final newline", "{\"a\":1}\r\n{\"a\":2}\r", []string{`{"a":1}`, `{"a":2}`}, []int{1, 2}},
		{"blank lines counted", "\n  \n{\"a\":1}\n\t\r\n\n{\"a\":2}\n\n", []string{`{"a":1}`, `{"a":2}`}, []int{3, 6}},
		{"byte order mark", "\xef\xbb\xbf{\"a\":1}\n", []string{`{"a":1}`}, []int{1}},
		{"empty input", "", nil, nil},
		{"only blank", "\n\n \n", nil, nil},
		{"newline inside string is escaped", "{\"t\":\"a\\nb\"}\n", []string{`{"t":"a\nb"}`}, []int{1}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g := drain(t, newReader(t, tc.in, Options{}))
			require.NoError(t, g.err)
			assert.Equal(t, tc.lines, g.lines)
			assert.Equal(t, tc.nums, g.nums)
		})
	}
}

func TestReaderRawLineAndLineErr(t *testing.T) {
	r := newReader(t, "\n{ \"a\" : 1 }\r\n", Options{})
	_, err := r.Next()
	require.NoError(t, err)
	assert.Equal(t, `{ "a" : 1 }`, string(r.RawLine()))
	assert.Equal(t, 2, r.Line())
	assert.Equal(t, "in.jsonl", r.Name())
	err = r.LineErr(errors.New("missing field \"text\""))
	assert.EqualError(t, err, `in.jsonl:2: missing field "text"`)
	_, err = r.Next()
	assert.Equal(t, io.EOF, err)
	_, err = r.Next()
	assert.Equal(t, io.EOF, err, "EOF repeats")
}

func TestReaderFailPolicy(t *testing.T) {
	in := "{\"a\":1}\n\n{\"a\":2,}\n{\"a\":3}\n[4]\n"
	r := newReader(t, in, Options{OnError: Fail})
	rec, err := r.Next()
	require.NoError(t, err)
	assert.Equal(t, `{"a":1}`, string(rec.AppendJSON(nil)))

	_, err = r.Next()
	require.Error(t, err)
	assert.EqualError(t, err, `in.jsonl:3: invalid JSON: unexpected '}', want an object key (byte 8)`)
	var le *LineError
	require.True(t, errors.As(err, &le))
	assert.Equal(t, "in.jsonl", le.Input)
	assert.Equal(t, 3, le.Line)
	var se *SyntaxError
	assert.True(t, errors.As(err, &se))

	// The bad line is consumed; reading on is possible.
	rec, err = r.Next()
	require.NoError(t, err)
	assert.Equal(t, `{"a":3}`, string(rec.AppendJSON(nil)))
	assert.Equal(t, 4, r.Line())
	_, err = r.Next()
	assert.EqualError(t, err, `in.jsonl:5: invalid JSON: line is not a JSON object (starts with '[') (byte 1)`)
	_, err = r.Next()
	assert.Equal(t, io.EOF, err)
	assert.Equal(t, 0, r.Skipped())
}

func TestReaderSkipPolicy(t *testing.T) {
	in := "{\"a\":1}\nnot json\r\n{\"a\":2}\n{\"b\":\n\n{\"a\":3}\n{\"x\":1} trailing"
	var rej bytes.Buffer
	r := newReader(t, in, Options{OnError: Skip, Rejects: &rej})
	g := drain(t, r)
	require.NoError(t, g.err)
	assert.Equal(t, []string{`{"a":1}`, `{"a":2}`, `{"a":3}`}, g.lines)
	assert.Equal(t, []int{1, 3, 6}, g.nums)
	assert.Equal(t, 3, r.Skipped())
	assert.Equal(t, "not json\n{\"b\":\n{\"x\":1} trailing\n", rej.String())

	t.Run("without rejects writer", func(t *testing.T) {
		r := newReader(t, in, Options{OnError: Skip})
		g := drain(t, r)
		require.NoError(t, g.err)
		assert.Len(t, g.lines, 3)
		assert.Equal(t, 3, r.Skipped())
	})
	t.Run("rejects write failure is reported", func(t *testing.T) {
		r := newReader(t, in, Options{OnError: Skip, Rejects: failWriter{}})
		g := drain(t, r)
		assert.EqualError(t, g.err, "write rejects: disk full")
		_, err := r.Next()
		assert.EqualError(t, err, "write rejects: disk full", "sticky")
	})
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestBadOptions(t *testing.T) {
	_, err := NewReader("x", strings.NewReader(""), Options{OnError: "ignore"})
	assert.EqualError(t, err, `unknown error policy "ignore", want "fail" or "skip"`)
	_, err = Open("x", Options{MaxLineBytes: -1})
	assert.EqualError(t, err, "negative MaxLineBytes -1")
}

// TestMaxLineBytes checks the limit at n-1, n and n+1 bytes, for a limit
// below the read buffer (line in one chunk) and above it (assembled from
// several), with LF and CRLF endings, under both policies.
func TestMaxLineBytes(t *testing.T) {
	// line builds a valid object of exactly n bytes.
	line := func(n int) string { return `{"t":"` + strings.Repeat("x", n-8) + `"}` }
	for _, max := range []int{40, readBufSize + 1000, 2*readBufSize - 1} {
		for _, eol := range []string{"\n", "\r\n"} {
			for _, n := range []int{max - 1, max, max + 1} {
				name := strconv.Itoa(max) + "/" + strconv.Itoa(n) + "/" + map[string]string{"\n": "lf", "\r\n": "crlf"}[eol]
				long := line(n)
				in := "{\"a\":1}" + eol + long + eol + "{\"a\":2}" + eol
				fits := n <= max
				t.Run(name+"/skip", func(t *testing.T) {
					var rej bytes.Buffer
					r := newReader(t, in, Options{MaxLineBytes: max, OnError: Skip, Rejects: &rej})
					g := drain(t, r)
					require.NoError(t, g.err)
					if fits {
						assert.Equal(t, []int{1, 2, 3}, g.nums)
						assert.Equal(t, long, g.lines[1])
						assert.Equal(t, 0, rej.Len())
					} else {
						assert.Equal(t, []int{1, 3}, g.nums)
						assert.Equal(t, []string{`{"a":1}`, `{"a":2}`}, g.lines)
						assert.Equal(t, 1, r.Skipped())
						assert.True(t, rej.String() == long+"\n", "rejects hold the line verbatim (len %d)", rej.Len())
					}
				})
				t.Run(name+"/fail", func(t *testing.T) {
					r := newReader(t, in, Options{MaxLineBytes: max})
					g := drain(t, r)
					if fits {
						require.NoError(t, g.err)
						assert.Len(t, g.lines, 3)
						return
					}
					require.Error(t, g.err)
					assert.ErrorIs(t, g.err, ErrLineTooLong)
					assert.EqualError(t, g.err, "in.jsonl:2: line too long: more than "+strconv.Itoa(max)+" bytes")
					rec, err := r.Next()
					require.NoError(t, err, "reader continues after the long line")
					assert.Equal(t, `{"a":2}`, string(rec.AppendJSON(nil)))
					assert.Equal(t, 3, r.Line())
				})
			}
		}
	}
}

// TestLongLineCRLFSplit puts the '\r' of a CRLF as the last byte of a full
// read buffer, so it arrives in one chunk and its '\n' in the next.
func TestLongLineCRLFSplit(t *testing.T) {
	x := strings.Repeat("x", readBufSize-1)
	tests := []struct {
		name, in, rejects string
		lines             []string
	}{
		{"crlf split", x + "\r\n{\"ok\":1}\n", x + "\n", []string{`{"ok":1}`}},
		{"real cr before crlf", x + "\r\r\n{\"ok\":1}\n", x + "\r\n", []string{`{"ok":1}`}},
		{"cr then eof", x + "\r", x + "\r\n", nil},
		{"cr mid line", x + "\ryy\n{\"ok\":1}\n", x + "\ryy\n", []string{`{"ok":1}`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var rej bytes.Buffer
			r := newReader(t, tc.in, Options{MaxLineBytes: 100, OnError: Skip, Rejects: &rej})
			g := drain(t, r)
			require.NoError(t, g.err)
			assert.True(t, rej.String() == tc.rejects, "rejects (len %d) differ", rej.Len())
			assert.Equal(t, tc.lines, g.lines)
			assert.Equal(t, 1, r.Skipped())
		})
	}
}

func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	require.NoError(t, os.WriteFile(p, []byte(content), 0o644))
	return p
}

func TestOpenAll(t *testing.T) {
	dir := t.TempDir()
	a := writeFile(t, dir, "a.jsonl", "{\"f\":\"a1\"}\n{\"f\":\"a2\"}\n")
	b := writeFile(t, dir, "b.jsonl", "\n{\"f\":\"b1\"}\nbad\n")

	r, err := OpenAll([]string{a, "-", b}, Options{Stdin: strings.NewReader(`{"f":"in"}`)})
	require.NoError(t, err)
	assert.Equal(t, int64(-1), r.Size(), "stdin has no size")
	var names, lines []string
	var nums []int
	for {
		rec, err := r.Next()
		if err != nil {
			assert.EqualError(t, err, b+":3: invalid JSON: line is not a JSON object (starts with 'b') (byte 1)")
			break
		}
		lines = append(lines, string(rec.AppendJSON(nil)))
		names = append(names, r.Name())
		nums = append(nums, r.Line())
	}
	assert.Equal(t, []string{`{"f":"a1"}`, `{"f":"a2"}`, `{"f":"in"}`, `{"f":"b1"}`}, lines)
	assert.Equal(t, []string{a, a, StdinName, b}, names)
	assert.Equal(t, []int{1, 2, 1, 2}, nums, "line numbers restart per input")
	require.NoError(t, r.Close())
	_, err = r.Next()
	assert.Error(t, err, "closed")

	t.Run("size and bytes read of files", func(t *testing.T) {
		r, err := OpenAll([]string{a, a}, Options{})
		require.NoError(t, err)
		assert.Equal(t, int64(2*22), r.Size())
		assert.Equal(t, int64(0), r.BytesRead())
		g := drain(t, r)
		require.NoError(t, g.err)
		assert.Len(t, g.lines, 4)
		assert.Equal(t, r.Size(), r.BytesRead())
	})
	t.Run("missing file fails up front", func(t *testing.T) {
		_, err := OpenAll([]string{a, filepath.Join(dir, "nope.jsonl")}, Options{})
		assert.ErrorIs(t, err, os.ErrNotExist)
		assert.ErrorContains(t, err, "nope.jsonl")
	})
	t.Run("stdin twice", func(t *testing.T) {
		_, err := OpenAll([]string{"-", ""}, Options{})
		assert.EqualError(t, err, "standard input given more than once")
	})
	t.Run("directory", func(t *testing.T) {
		_, err := Open(dir, Options{})
		assert.EqualError(t, err, dir+": is a directory")
	})
	t.Run("no paths is stdin", func(t *testing.T) {
		r, err := OpenAll(nil, Options{Stdin: strings.NewReader("{}\n")})
		require.NoError(t, err)
		g := drain(t, r)
		require.NoError(t, g.err)
		assert.Equal(t, []string{"{}"}, g.lines)
	})
}

func TestCompressedRoundTrip(t *testing.T) {
	// Records with awkward content: HTML characters, escapes, big numbers.
	src := []string{
		`{"id":1,"text":"<b>a & b</b>","n":1.0}`,
		`{"id":12345678901234567890,"text":"\u00e9\n","nested":{ "k" : [ -0 , 1e5 ] }}`,
		`{}`,
	}
	var sb strings.Builder
	for i := range 3000 {
		sb.WriteString(src[i%len(src)])
		sb.WriteString("\n")
	}
	want := sb.String()
	for _, tc := range []struct {
		ext   string
		magic []byte
	}{
		{".jsonl", nil},
		{".jsonl.gz", []byte{0x1f, 0x8b}},
		{".jsonl.zst", []byte{0x28, 0xb5, 0x2f, 0xfd}},
	} {
		t.Run(tc.ext, func(t *testing.T) {
			dir := t.TempDir()
			in := writeFile(t, dir, "in.jsonl", want)
			out := filepath.Join(dir, "out"+tc.ext)

			r, err := Open(in, Options{})
			require.NoError(t, err)
			w, err := Create(out, WriterOptions{})
			require.NoError(t, err)
			for {
				rec, err := r.Next()
				if err == io.EOF {
					break
				}
				require.NoError(t, err)
				require.NoError(t, w.Write(rec))
			}
			require.NoError(t, w.Close())
			require.NoError(t, r.Close())

			raw, err := os.ReadFile(out)
			require.NoError(t, err)
			if tc.magic != nil {
				assert.True(t, bytes.HasPrefix(raw, tc.magic), "compressed by extension")
				assert.Less(t, len(raw), len(want)/4)
			} else {
				assert.Equal(t, want, string(raw), "plain pass-through is byte exact")
			}

			r, err = Open(out, Options{})
			require.NoError(t, err)
			assert.Equal(t, int64(len(raw)), r.Size())
			var back strings.Builder
			for {
				rec, err := r.Next()
				if err == io.EOF {
					break
				}
				require.NoError(t, err)
				back.Write(rec.AppendJSON(nil))
				back.WriteByte('\n')
			}
			assert.Equal(t, int64(len(raw)), r.BytesRead(), "all compressed bytes consumed")
			require.NoError(t, r.Close())
			assert.Equal(t, want, back.String())
		})
	}
}

func TestCorruptCompressedInput(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "x.jsonl.gz")
	w, err := Create(p, WriterOptions{})
	require.NoError(t, err)
	for i := range 5000 {
		r := NewRecord()
		require.NoError(t, r.SetValue("i", i))
		require.NoError(t, w.Write(r))
	}
	require.NoError(t, w.Close())
	raw, err := os.ReadFile(p)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(p, raw[:len(raw)/2], 0o644))

	r, err := Open(p, Options{OnError: Skip})
	require.NoError(t, err)
	g := drain(t, r)
	require.Error(t, g.err)
	var le *LineError
	require.True(t, errors.As(g.err, &le))
	assert.Equal(t, p, le.Input)
	assert.Equal(t, len(g.lines)+1, le.Line)
	assert.ErrorIs(t, g.err, io.ErrUnexpectedEOF)
	assert.Contains(t, g.err.Error(), ": read: ")
	_, err = r.Next()
	assert.Equal(t, g.err, err, "read errors are sticky")
	assert.NoError(t, r.Close())

	t.Run("bad gzip header", func(t *testing.T) {
		_, err := NewReader("h.gz", bytes.NewReader([]byte{0x1f, 0x8b, 0, 0, 0}), Options{})
		require.NoError(t, err)
		r, _ := NewReader("h.gz", bytes.NewReader([]byte{0x1f, 0x8b, 0, 0, 0}), Options{})
		_, err = r.Next()
		assert.ErrorContains(t, err, "h.gz: gzip: ")
	})
}

// TestBytesReadConcurrent polls BytesRead from another goroutine, as a
// progress bar does; run with -race.
func TestBytesReadConcurrent(t *testing.T) {
	dir := t.TempDir()
	var sb strings.Builder
	for range 20000 {
		sb.WriteString("{\"text\":\"some words here\"}\n")
	}
	a := writeFile(t, dir, "a.jsonl", sb.String())
	r, err := OpenAll([]string{a, a}, Options{})
	require.NoError(t, err)
	stop := make(chan struct{})
	done := make(chan int64)
	go func() {
		var last int64
		for {
			select {
			case <-stop:
				done <- last
				return
			default:
				n := r.BytesRead()
				if n < last {
					panic("BytesRead went backwards")
				}
				last = n
			}
		}
	}()
	g := drain(t, r)
	close(stop)
	last := <-done
	require.NoError(t, g.err)
	assert.Len(t, g.lines, 40000)
	assert.LessOrEqual(t, last, r.Size())
	assert.Equal(t, r.Size(), r.BytesRead())
}
