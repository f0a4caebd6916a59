package jsonl

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

// decodeAny decodes JSON the way encoding/json sees it, numbers kept as
// text, for semantic comparison.
func decodeAny(b []byte) (any, error) {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var v any
	err := d.Decode(&v)
	return v, err
}

// FuzzParse checks that Parse never panics, accepts exactly the JSON objects
// encoding/json accepts, and that its output is valid JSON meaning the same
// as the input and re-parsing to the same keys and raw values.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		`{"a":1}`, ` { "b" : [1, 2.5e-3, -0], "c": {"d": null} } `, `{"a":1,"a":2}`,
		`{"\u00e9":"x\ud83d\ude00"}`, `{}`, `[]`, `{"a":}`, `{"a":1} x`, "{\"s\":\"\xff\"}",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := Parse(data)
		valid := json.Valid(data)
		isObject := len(bytes.TrimLeft(data, " \t\r\n")) > 0 && bytes.TrimLeft(data, " \t\r\n")[0] == '{'
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("error %v is not a *SyntaxError", err)
			}
			if se.Offset < 0 || se.Offset > len(data) {
				t.Fatalf("offset %d out of range", se.Offset)
			}
			if valid && isObject {
				t.Fatalf("Parse rejects a valid object: %v", err)
			}
			return
		}
		if !valid || !isObject {
			t.Fatalf("Parse accepts %q, which is not a JSON object", data)
		}
		out := r.AppendJSON(nil)
		if !json.Valid(out) {
			t.Fatalf("output %q is not valid JSON", out)
		}
		r2, err := Parse(out)
		if err != nil {
			t.Fatalf("output does not re-parse: %v", err)
		}
		if !reflect.DeepEqual(r.Keys(), r2.Keys()) {
			t.Fatalf("keys %q became %q", r.Keys(), r2.Keys())
		}
		for i, k := range r.Keys() {
			if !bytes.Equal(r.fields[i].val, r2.fields[i].val) || !bytes.Equal(r.fields[i].rawKey, r2.fields[i].rawKey) {
				t.Fatalf("member %q changed", k)
			}
		}
		if out2 := r2.AppendJSON(nil); !bytes.Equal(out, out2) {
			t.Fatalf("second round trip differs: %q vs %q", out, out2)
		}
		// Same meaning as the input for encoding/json (duplicates: last wins).
		a, err1 := decodeAny(data)
		b, err2 := decodeAny(out)
		if err1 != nil || err2 != nil || !reflect.DeepEqual(a, b) {
			t.Fatalf("meaning changed: %v vs %v (%v, %v)", a, b, err1, err2)
		}
		// The hand-written string decoder matches encoding/json.
		for i := range r.fields {
			for _, raw := range [][]byte{r.fields[i].rawKey, r.fields[i].val} {
				if raw[0] != '"' {
					continue
				}
				var want string
				if err := json.Unmarshal(raw, &want); err != nil {
					t.Fatal(err)
				}
				if got := decodeString(raw); got != want {
					t.Fatalf("decodeString(%q) = %q, want %q", raw, got, want)
				}
			}
		}
		// Lookup agrees with encoding/json one and two levels down.
		for i, k := range r.Keys() {
			if strings.Contains(k, ".") {
				continue
			}
			v, ok := r.Lookup(k)
			if !ok || !bytes.Equal(v, r.fields[i].val) {
				t.Fatalf("Lookup(%q) = %q, %v", k, v, ok)
			}
			var obj map[string]json.RawMessage
			if json.Unmarshal(v, &obj) == nil && obj != nil {
				for sub, want := range obj {
					if strings.Contains(sub, ".") {
						continue
					}
					got, ok := r.Lookup(k + "." + sub)
					if !ok || !bytes.Equal(got, want) {
						t.Fatalf("Lookup(%q) = %q, %v; want %q", k+"."+sub, got, ok, want)
					}
				}
			}
			var arr []json.RawMessage
			if json.Unmarshal(v, &arr) == nil {
				for j, want := range arr {
					got, ok := r.Lookup(k + "." + strconv.Itoa(j))
					if !ok || !bytes.Equal(got, want) {
						t.Fatalf("Lookup(%q.%d) = %q, %v; want %q", k, j, got, ok, want)
					}
				}
				if _, ok := r.Lookup(k + "." + strconv.Itoa(len(arr))); ok {
					t.Fatalf("Lookup past the end of %q", k)
				}
			}
		}
		if c := r.Clone(); !bytes.Equal(c.AppendJSON(nil), out) {
			t.Fatalf("clone differs")
		}
	})
}

// refLine is what the reader should make of one physical line.
type refLine struct {
	num     int
	raw     []byte
	reject  bool
	tooLong bool
}

// referenceLines splits a stream the obvious, slow way.
func referenceLines(data []byte, max int) []refLine {
	var out []refLine
	for num := 1; len(data) > 0; num++ {
		line := data
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			line, data = data[:i], data[i+1:]
			line = bytes.TrimSuffix(line, []byte{'\r'})
		} else {
			data = nil
		}
		if num == 1 {
			line = bytes.TrimPrefix(line, []byte("\xef\xbb\xbf"))
		}
		switch {
		case len(line) > max:
			out = append(out, refLine{num: num, raw: line, reject: true, tooLong: true})
		case len(bytes.Trim(line, " \t\r\n")) == 0:
		default:
			_, err := Parse(line)
			out = append(out, refLine{num: num, raw: line, reject: err != nil})
		}
	}
	return out
}

// FuzzReader compares the streaming reader with a naive line splitter under
// both error policies, with a small line limit so over-long lines occur.
func FuzzReader(f *testing.F) {
	f.Add([]byte("{\"a\":1}\n\n{\"b\":2}\r\nbad\n{\"c\":3}"), uint8(40))
	f.Add([]byte("\xef\xbb\xbf{}\r\n  \n{\"long\":\"xxxxxxxxxxxxxxxxxxxx\"}\n"), uint8(10))
	f.Fuzz(func(t *testing.T, data []byte, limit uint8) {
		max := int(limit)%64 + 1
		ref := referenceLines(data, max)

		var rej bytes.Buffer
		r, err := NewReader("fuzz", bytes.NewReader(data), Options{MaxLineBytes: max, OnError: Skip, Rejects: &rej})
		if err != nil {
			t.Fatal(err)
		}
		var wantRej bytes.Buffer
		skipped := 0
		for _, l := range ref {
			if l.reject {
				skipped++
				wantRej.Write(l.raw)
				wantRej.WriteByte('\n')
				continue
			}
			rec, err := r.Next()
			if err != nil {
				t.Fatalf("line %d: %v", l.num, err)
			}
			if r.Line() != l.num || !bytes.Equal(r.RawLine(), l.raw) {
				t.Fatalf("got line %d %q, want %d %q", r.Line(), r.RawLine(), l.num, l.raw)
			}
			want, _ := Parse(l.raw)
			if !bytes.Equal(rec.AppendJSON(nil), want.AppendJSON(nil)) {
				t.Fatalf("line %d: record differs", l.num)
			}
		}
		if _, err := r.Next(); err != io.EOF {
			t.Fatalf("want EOF, got %v", err)
		}
		if r.Skipped() != skipped || !bytes.Equal(rej.Bytes(), wantRej.Bytes()) {
			t.Fatalf("skipped %d rejects %q, want %d %q", r.Skipped(), rej.Bytes(), skipped, wantRej.Bytes())
		}

		// Fail policy: the same sequence, errors in place of rejects.
		r, _ = NewReader("fuzz", bytes.NewReader(data), Options{MaxLineBytes: max})
		for _, l := range ref {
			_, err := r.Next()
			if l.reject {
				var le *LineError
				if !errors.As(err, &le) || le.Line != l.num || le.Input != "fuzz" ||
					errors.Is(err, ErrLineTooLong) != l.tooLong {
					t.Fatalf("line %d: want a LineError, got %v", l.num, err)
				}
				continue
			}
			if err != nil || r.Line() != l.num {
				t.Fatalf("line %d: got line %d, %v", l.num, r.Line(), err)
			}
		}
		if _, err := r.Next(); err != io.EOF {
			t.Fatalf("want EOF, got %v", err)
		}
	})
}
