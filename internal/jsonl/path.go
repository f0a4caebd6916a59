package jsonl

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// A field path names a value inside a record: "score.seq_rep_4",
// "response.body.choices[0].message.content", "messages[-1].content".
// Segments are separated by '.'; "[n]" indexes an array, and a negative n
// counts from the end (-1 is the last element). A plain decimal segment
// ("choices.0.text") also indexes an array, for the older spelling.
// Keys holding '.' or '[' can only be reached with Get.

// seg is one step of a path: a key, or an array index when isIdx.
type seg struct {
	key   string
	idx   int
	isIdx bool
}

// ParsePath checks a path's syntax, so a command can reject a malformed
// one before reading any input.
func ParsePath(path string) error {
	_, err := parsePath(path)
	return err
}

func parsePath(path string) ([]seg, error) {
	if path == "" {
		return nil, fmt.Errorf("empty field path")
	}
	var out []seg
	i := 0
	for i < len(path) {
		j := i
		for j < len(path) && path[j] != '.' && path[j] != '[' {
			j++
		}
		if j > i {
			out = append(out, seg{key: path[i:j]})
		} else if len(out) == 0 || path[j] == '.' {
			return nil, fmt.Errorf("field path %q: empty segment at byte %d", path, i)
		}
		i = j
		for i < len(path) && path[i] == '[' {
			k := strings.IndexByte(path[i:], ']')
			if k < 0 {
				return nil, fmt.Errorf("field path %q: unclosed '['", path)
			}
			n, err := strconv.Atoi(path[i+1 : i+k])
			if err != nil {
				return nil, fmt.Errorf("field path %q: bad index %q", path, path[i+1:i+k])
			}
			out = append(out, seg{idx: n, isIdx: true})
			i += k + 1
		}
		if i < len(path) {
			if path[i] != '.' || i+1 == len(path) {
				return nil, fmt.Errorf("field path %q: unexpected %q at byte %d", path, path[i], i)
			}
			i++
		}
	}
	if out[0].isIdx {
		return nil, fmt.Errorf("field path %q: must start with a key", path)
	}
	return out, nil
}

// Lookup returns the value at a field path (see above). Only the containers
// on the path are scanned. Within nested objects a repeated key resolves
// to its last value, as in encoding/json. A malformed path finds nothing.
func (r *Record) Lookup(path string) (json.RawMessage, bool) {
	segs, err := parsePath(path)
	if err != nil {
		return nil, false
	}
	v, ok := r.Get(segs[0].key)
	if !ok {
		return nil, false
	}
	s, e, ok := locate(v, segs[1:])
	if !ok {
		return nil, false
	}
	return v[s:e:e], true
}

// SetPath sets the value at a field path to raw, in place: the containers
// on the path must exist (a missing last object member is appended to its
// object), so a text read from "messages[-1].content" is written back to
// the same message. A top-level key is Set. raw must be one valid JSON
// value, as for Set.
func (r *Record) SetPath(path string, raw json.RawMessage) error {
	segs, err := parsePath(path)
	if err != nil {
		return err
	}
	v, err := trimValue(raw)
	if err != nil {
		panic(fmt.Sprintf("jsonl: SetPath(%q): %v", path, err))
	}
	if len(segs) == 1 {
		r.Set(segs[0].key, v)
		return nil
	}
	top, ok := r.Get(segs[0].key)
	if !ok {
		return fmt.Errorf("set %q: no %q field", path, segs[0].key)
	}
	parent := segs[1 : len(segs)-1]
	last := segs[len(segs)-1]
	ps, pe, ok := locate(top, parent)
	if !ok {
		return fmt.Errorf("set %q: path not found", path)
	}
	cont := top[ps:pe]
	var nb []byte
	if s, e, ok := locate(cont, []seg{last}); ok {
		nb = splice(top, ps+s, ps+e, v)
	} else if !last.isIdx && len(cont) > 0 && cont[0] == '{' {
		// Append the member before the closing brace.
		kb, _ := marshal(last.key)
		ins := append(append(kb, ':'), v...)
		if len(bytes.TrimSpace(cont[1:len(cont)-1])) > 0 {
			ins = append([]byte{','}, ins...)
		}
		nb = splice(top, ps+len(cont)-1, ps+len(cont)-1, ins)
	} else {
		return fmt.Errorf("set %q: path not found", path)
	}
	r.Set(segs[0].key, nb)
	return nil
}

// SetPathValue marshals v (HTML escaping off) and sets it at path.
func (r *Record) SetPathValue(path string, v any) error {
	b, err := marshal(v)
	if err != nil {
		return fmt.Errorf("set %q: %w", path, err)
	}
	return r.SetPath(path, b)
}

func splice(b []byte, s, e int, v []byte) []byte {
	out := make([]byte, 0, len(b)-(e-s)+len(v))
	out = append(out, b[:s]...)
	out = append(out, v...)
	return append(out, b[e:]...)
}

// locate returns the byte range of the value at segs inside the valid
// JSON value v.
func locate(v []byte, segs []seg) (int, int, bool) {
	s, e := 0, len(v)
	for _, sg := range segs {
		c := v[s:e]
		if len(c) == 0 {
			return 0, 0, false
		}
		var cs, ce int
		var ok bool
		switch {
		case c[0] == '{' && !sg.isIdx:
			cs, ce, ok = memberAt(c, sg.key)
		case c[0] == '[':
			n := sg.idx
			if !sg.isIdx {
				if n, ok = index(sg.key); !ok {
					return 0, 0, false
				}
			}
			if n < 0 {
				n += count(c)
				if n < 0 {
					return 0, 0, false
				}
			}
			cs, ce, ok = elementAt(c, n)
		}
		if !ok {
			return 0, 0, false
		}
		s, e = s+cs, s+ce
	}
	return s, e, true
}

// index parses a plain decimal array index (no sign, no leading zeros).
func index(s string) (int, bool) {
	if s == "" || len(s) > 1 && s[0] == '0' {
		return 0, false
	}
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return 0, false
		}
	}
	n, err := strconv.Atoi(s)
	return n, err == nil
}

// memberAt, elementAt and count walk a value that was validated when it
// entered the record, so they only skip, never check.
func memberAt(v []byte, key string) (int, int, bool) {
	fs, fe, ok := 0, 0, false
	i := skipSpace(v, 1)
	for i < len(v) && v[i] == '"' {
		kend := skipString(v, i)
		k := v[i:kend]
		var match bool
		if bytes.IndexByte(k, '\\') >= 0 || !utf8.Valid(k) {
			match = decodeString(k) == key
		} else {
			match = string(k[1:len(k)-1]) == key
		}
		vs := skipSpace(v, skipSpace(v, kend)+1) // past ':'
		ve := skipValue(v, vs)
		if match {
			fs, fe, ok = vs, ve, true
		}
		i = skipSpace(v, ve)
		if i >= len(v) || v[i] != ',' {
			break
		}
		i = skipSpace(v, i+1)
	}
	return fs, fe, ok
}

func elementAt(v []byte, n int) (int, int, bool) {
	i := skipSpace(v, 1)
	if i < len(v) && v[i] == ']' {
		return 0, 0, false
	}
	for k := 0; i < len(v); k++ {
		end := skipValue(v, i)
		if k == n {
			return i, end, true
		}
		i = skipSpace(v, end)
		if i >= len(v) || v[i] != ',' {
			break
		}
		i = skipSpace(v, i+1)
	}
	return 0, 0, false
}

func count(v []byte) int {
	i := skipSpace(v, 1)
	if i < len(v) && v[i] == ']' {
		return 0
	}
	n := 0
	for i < len(v) {
		end := skipValue(v, i)
		n++
		i = skipSpace(v, end)
		if i >= len(v) || v[i] != ',' {
			break
		}
		i = skipSpace(v, i+1)
	}
	return n
}

// DeletePath removes the value at a field path: a top-level key, or a
// member of a nested object (array elements are not removed). It reports
// whether something was removed.
func (r *Record) DeletePath(path string) bool {
	segs, err := parsePath(path)
	if err != nil {
		return false
	}
	if len(segs) == 1 {
		return r.Delete(segs[0].key)
	}
	last := segs[len(segs)-1]
	top, ok := r.Get(segs[0].key)
	if !ok || last.isIdx {
		return false
	}
	ps, pe, ok := locate(top, segs[1:len(segs)-1])
	if !ok || top[ps] != '{' {
		return false
	}
	obj := top[ps:pe]
	out := []byte{'{'}
	removed := false
	i := skipSpace(obj, 1)
	for i < len(obj) && obj[i] == '"' {
		kend := skipString(obj, i)
		vs := skipSpace(obj, skipSpace(obj, kend)+1)
		ve := skipValue(obj, vs)
		if decodeString(obj[i:kend]) == last.key {
			removed = true
		} else {
			if len(out) > 1 {
				out = append(out, ',')
			}
			out = append(out, obj[i:kend]...)
			out = append(out, ':')
			out = append(out, obj[vs:ve]...)
		}
		i = skipSpace(obj, ve)
		if i >= len(obj) || obj[i] != ',' {
			break
		}
		i = skipSpace(obj, i+1)
	}
	if !removed {
		return false
	}
	out = append(out, '}')
	r.Set(segs[0].key, splice(top, ps, pe, out))
	return true
}
