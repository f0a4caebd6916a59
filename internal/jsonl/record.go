package jsonl

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// Record is one JSON object kept as an ordered list of (raw key, raw value)
// pairs. Keys keep their input order and spelling, and values are the exact
// bytes read, so unknown fields, number formats and escapes pass through a
// pipeline untouched; only the whitespace between top-level tokens is
// dropped on output. Nested values are never decoded unless asked for.
// As with encoding/json, invalid UTF-8 inside strings is accepted (and kept
// as is); decoding accessors turn it into U+FFFD.
//
// Slices returned by Get and Lookup alias the record's memory and must not
// be modified. A Record is not safe for concurrent mutation. The zero value
// is an empty record ready to use.
type Record struct {
	buf    []byte // line the record was parsed from; never written to
	fields []field
}

// field is one top-level member. name is set only when the raw key needs
// decoding (escapes or invalid UTF-8); otherwise the key is the raw key
// without its quotes, compared without allocating.
type field struct {
	rawKey []byte // with quotes, as read or as encoded by Set
	val    json.RawMessage
	decode bool // the key is name, not the raw key's inner bytes
	name   string
}

func (f *field) key() string {
	if f.decode {
		return f.name
	}
	return string(f.rawKey[1 : len(f.rawKey)-1])
}

func (f *field) is(key string) bool {
	if f.decode {
		return f.name == key
	}
	return string(f.rawKey[1:len(f.rawKey)-1]) == key
}

// sameKey compares two members' decoded keys.
func sameKey(a, b *field) bool {
	if !a.decode && !b.decode {
		return bytes.Equal(a.rawKey, b.rawKey)
	}
	return a.key() == b.key()
}

// NewRecord returns an empty record, for building output from scratch.
func NewRecord() *Record { return &Record{} }

// Parse parses one line holding a JSON object, surrounded by optional
// whitespace. Anything else (another JSON type, trailing data, invalid JSON)
// is an error, a *SyntaxError for malformed input. The line is copied, so
// the caller may reuse it.
//
// A key repeated in the object keeps the position of its first occurrence
// and the value of its last, which is what encoding/json yields when
// decoding into a map; the output then holds the key once.
func Parse(line []byte) (*Record, error) {
	return parseOwned(bytes.Clone(line))
}

// dupMapAt is the member count from which duplicate detection switches from
// a linear scan to a map, so objects with thousands of keys stay linear.
const dupMapAt = 32

// parseOwned parses buf, which the record then owns.
func parseOwned(buf []byte) (*Record, error) {
	i := skipSpace(buf, 0)
	if i >= len(buf) {
		return nil, syntaxErr(i, "empty line, want a JSON object")
	}
	if buf[i] != '{' {
		return nil, syntaxErr(i, "line is not a JSON object (starts with %s)", describe(buf, i))
	}
	r := &Record{buf: buf, fields: make([]field, 0, 8)}
	var index map[string]int
	i = skipSpace(buf, i+1)
	if i < len(buf) && buf[i] == '}' {
		i++
	} else {
		for {
			if i >= len(buf) || buf[i] != '"' {
				return nil, syntaxErr(i, "unexpected %s, want an object key", describe(buf, i))
			}
			kend, esc, err := scanString(buf, i)
			if err != nil {
				return nil, err
			}
			f := field{rawKey: buf[i:kend:kend], decode: esc || !utf8.Valid(buf[i:kend])}
			if f.decode {
				f.name = decodeString(f.rawKey)
			}
			i = skipSpace(buf, kend)
			if i >= len(buf) || buf[i] != ':' {
				return nil, syntaxErr(i, "unexpected %s after object key, want ':'", describe(buf, i))
			}
			i = skipSpace(buf, i+1)
			vend, err := scanValue(buf, i, 1)
			if err != nil {
				return nil, err
			}
			f.val = buf[i:vend:vend]
			r.addParsed(f, &index)
			i = skipSpace(buf, vend)
			if i < len(buf) && buf[i] == ',' {
				i = skipSpace(buf, i+1)
				continue
			}
			if i < len(buf) && buf[i] == '}' {
				i++
				break
			}
			return nil, syntaxErr(i, "unexpected %s in object, want ',' or '}'", describe(buf, i))
		}
	}
	if j := skipSpace(buf, i); j != len(buf) {
		return nil, syntaxErr(j, "unexpected %s after the object", describe(buf, j))
	}
	return r, nil
}

// addParsed appends f, or overwrites the value of an earlier member with the
// same key (see Parse).
func (r *Record) addParsed(f field, index *map[string]int) {
	if *index != nil {
		k := f.key()
		if j, ok := (*index)[k]; ok {
			r.fields[j].val = f.val
			return
		}
		(*index)[k] = len(r.fields)
		r.fields = append(r.fields, f)
		return
	}
	for j := range r.fields {
		if sameKey(&r.fields[j], &f) {
			r.fields[j].val = f.val
			return
		}
	}
	r.fields = append(r.fields, f)
	if len(r.fields) == dupMapAt {
		*index = make(map[string]int, 2*dupMapAt)
		for j := range r.fields {
			(*index)[r.fields[j].key()] = j
		}
	}
}

// decodeString decodes a valid JSON string literal (with quotes) exactly as
// encoding/json does, including its repairs: each invalid UTF-8 byte and
// each unpaired surrogate escape becomes U+FFFD. It is hand-written, one
// pass with an 8-byte ASCII fast path, because decoding the text field is
// on the hot path of score and detect.
func decodeString(raw []byte) string {
	s := raw[1 : len(raw)-1]
	var out strings.Builder
	start := 0 // s[start:i] is plain text not yet copied to out
	flush := func(i int) {
		if out.Cap() == 0 {
			out.Grow(len(s))
		}
		out.Write(s[start:i])
	}
	for i := 0; i < len(s); {
		for i+8 <= len(s) {
			w := binary.LittleEndian.Uint64(s[i:])
			bs := w ^ (lo8 * '\\')
			if (w|(bs-lo8)&^bs)&hi8 != 0 {
				break
			}
			i += 8
		}
		if i >= len(s) {
			break
		}
		c := s[i]
		if c >= utf8.RuneSelf {
			r, n := utf8.DecodeRune(s[i:])
			if r == utf8.RuneError && n == 1 {
				flush(i)
				out.WriteRune(utf8.RuneError)
				start = i + 1
			}
			i += n
			continue
		}
		if c != '\\' {
			i++
			continue
		}
		flush(i)
		if s[i+1] != 'u' {
			out.WriteByte(unescape[s[i+1]])
			i += 2
			start = i
			continue
		}
		r := hex4(s[i+2 : i+6])
		i += 6
		if utf16.IsSurrogate(r) {
			// A high surrogate only counts when a low one follows.
			d := utf8.RuneError
			if i+6 <= len(s) && s[i] == '\\' && s[i+1] == 'u' {
				d = utf16.DecodeRune(r, hex4(s[i+2:i+6]))
			}
			if d != utf8.RuneError {
				i += 6
			}
			r = d
		}
		out.WriteRune(r)
		start = i
	}
	if out.Cap() == 0 {
		return string(s)
	}
	out.Write(s[start:])
	return out.String()
}

// unescape maps the byte after a backslash to the byte it stands for.
var unescape = [256]byte{'"': '"', '\\': '\\', '/': '/', 'b': '\b', 'f': '\f', 'n': '\n', 'r': '\r', 't': '\t'}

// hex4 decodes four hex digits already checked by scanString.
func hex4(h []byte) rune {
	var r rune
	for _, c := range h {
		switch {
		case c <= '9':
			c -= '0'
		case c >= 'a':
			c -= 'a' - 10
		default:
			c -= 'A' - 10
		}
		r = r<<4 | rune(c)
	}
	return r
}

// UnmarshalJSON parses data like Parse, so a Record can sit inside other
// structures decoded with encoding/json.
func (r *Record) UnmarshalJSON(data []byte) error {
	p, err := Parse(data)
	if err != nil {
		return err
	}
	*r = *p
	return nil
}

// Len returns the number of top-level keys.
func (r *Record) Len() int { return len(r.fields) }

// Keys returns the top-level keys, decoded, in order.
func (r *Record) Keys() []string {
	keys := make([]string, len(r.fields))
	for i := range r.fields {
		keys[i] = r.fields[i].key()
	}
	return keys
}

func (r *Record) find(key string) int {
	for i := range r.fields {
		if r.fields[i].is(key) {
			return i
		}
	}
	return -1
}

// Has reports whether key is present.
func (r *Record) Has(key string) bool { return r.find(key) >= 0 }

// Get returns the raw value of a top-level key.
func (r *Record) Get(key string) (json.RawMessage, bool) {
	if i := r.find(key); i >= 0 {
		return r.fields[i].val, true
	}
	return nil, false
}

// GetString returns the string value of a top-level key. ok is false when
// the key is absent; err is set when it is present but not a string (null
// included).
func (r *Record) GetString(key string) (s string, ok bool, err error) {
	raw, ok := r.Get(key)
	if !ok {
		return "", false, nil
	}
	s, err = rawString(key, raw)
	return s, true, err
}

// LookupString is GetString for a dotted path (see Lookup).
func (r *Record) LookupString(path string) (s string, ok bool, err error) {
	raw, ok := r.Lookup(path)
	if !ok {
		return "", false, nil
	}
	s, err = rawString(path, raw)
	return s, true, err
}

func rawString(name string, raw []byte) (string, error) {
	if len(raw) == 0 || raw[0] != '"' {
		return "", fmt.Errorf("field %q: want a string, got %s", name, kind(raw))
	}
	return decodeString(raw), nil
}

// kind names the JSON type of a valid raw value for error messages.
func kind(raw []byte) string {
	if len(raw) == 0 {
		return "nothing"
	}
	switch raw[0] {
	case '{':
		return "an object"
	case '[':
		return "an array"
	case '"':
		return "a string"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	default:
		return "a number"
	}
}

// Set sets key to raw, replacing the value in place if key exists or
// appending it at the end. Surrounding whitespace is trimmed. raw is kept,
// not copied, so the caller must not modify it afterwards.
//
// raw must be exactly one valid JSON value; anything else is a programming
// error and panics, because writing it would corrupt the output stream.
// Values from Get, Lookup and json.Marshal always qualify; use SetValue for
// Go values.
func (r *Record) Set(key string, raw json.RawMessage) {
	v, err := trimValue(raw)
	if err != nil {
		panic(fmt.Sprintf("jsonl: Set(%q): %v", key, err))
	}
	if i := r.find(key); i >= 0 {
		r.fields[i].val = v
		return
	}
	r.fields = append(r.fields, newField(key, v))
}

func newField(key string, v []byte) field {
	f := field{val: v}
	plain := true
	for i := 0; i < len(key); i++ {
		if c := key[i]; c < 0x20 || c == '"' || c == '\\' {
			plain = false
			break
		}
	}
	if plain && utf8.ValidString(key) {
		f.rawKey = append(append(append(make([]byte, 0, len(key)+2), '"'), key...), '"')
		return f
	}
	b, err := marshal(key)
	if err != nil {
		panic("jsonl: cannot encode key: " + err.Error()) // strings always encode
	}
	f.rawKey, f.decode, f.name = b, true, key
	return f
}

// marshal encodes v like json.Marshal but leaves <, > and & literal, since
// model text is full of them and \u003c helps nobody reading the output.
func marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte{'\n'}), nil
}

// SetValue marshals v (HTML escaping off) and sets it as key's value.
func (r *Record) SetValue(key string, v any) error {
	b, err := marshal(v)
	if err != nil {
		return fmt.Errorf("set %q: %w", key, err)
	}
	r.Set(key, b)
	return nil
}

// Delete removes key, keeping the order of the others. It reports whether
// the key was present.
func (r *Record) Delete(key string) bool {
	i := r.find(key)
	if i < 0 {
		return false
	}
	r.fields = append(r.fields[:i], r.fields[i+1:]...)
	return true
}

// AppendJSON appends the record as compact top-level JSON (nested values
// verbatim) without a newline.
func (r *Record) AppendJSON(dst []byte) []byte {
	dst = append(dst, '{')
	for i := range r.fields {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, r.fields[i].rawKey...)
		dst = append(dst, ':')
		dst = append(dst, r.fields[i].val...)
	}
	return append(dst, '}')
}

// MarshalJSON implements json.Marshaler. Note that json.Marshal compacts
// (and may HTML-escape) what it embeds; AppendJSON is the lossless path.
func (r *Record) MarshalJSON() ([]byte, error) { return r.AppendJSON(nil), nil }

// Clone returns a deep copy sharing no memory with r.
func (r *Record) Clone() *Record {
	n := 0
	for i := range r.fields {
		n += len(r.fields[i].rawKey) + len(r.fields[i].val)
	}
	buf := make([]byte, 0, n)
	c := &Record{fields: make([]field, len(r.fields))}
	for i, f := range r.fields {
		k := len(buf)
		buf = append(buf, f.rawKey...)
		f.rawKey = buf[k:len(buf):len(buf)]
		k = len(buf)
		buf = append(buf, f.val...)
		f.val = buf[k:len(buf):len(buf)]
		c.fields[i] = f
	}
	c.buf = buf
	return c
}
