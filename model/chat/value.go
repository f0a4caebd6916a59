package chat

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Values inside the engine are Python's, as Jinja2 sees them:
//
//	none{}        None
//	undef         jinja2.Undefined (the default one, not a strict one)
//	bool          bool
//	int64         int (overflow is an error, not a big integer)
//	float64       float
//	string        str
//	[]value       list
//	tuple         tuple
//	*dict         dict with string keys, in insertion order
//	*namespace    jinja2's namespace()
//	*macroVal, *builtin, *loopVal: callables and the loop object
type value interface{}

type none struct{}

// undef is an undefined value. hint is what Jinja2's UndefinedError would
// say if the value were used.
type undef struct{ hint string }

type tuple []value

type dict struct {
	keys []string
	m    map[string]value
}

func newDict(n int) *dict { return &dict{keys: make([]string, 0, n), m: make(map[string]value, n)} }

func (d *dict) set(k string, v value) {
	if _, ok := d.m[k]; !ok {
		d.keys = append(d.keys, k)
	}
	d.m[k] = v
}

func (d *dict) get(k string) (value, bool) {
	v, ok := d.m[k]
	return v, ok
}

type namespace struct{ d *dict }

type builtin struct {
	name string
	fn   func(ev *evaluator, args []value, kw []kwVal) (value, error)
}

type kwVal struct {
	name string
	v    value
}

func typeName(v value) string {
	switch v.(type) {
	case none:
		return "NoneType"
	case undef:
		return "Undefined"
	case bool:
		return "bool"
	case int64:
		return "int"
	case float64:
		return "float"
	case string:
		return "str"
	case []value:
		return "list"
	case tuple:
		return "tuple"
	case *dict:
		return "dict"
	case *namespace:
		return "Namespace"
	case *macroVal:
		return "Macro"
	case *builtin:
		return "builtin_function_or_method"
	case *loopVal:
		return "LoopContext"
	}
	return fmt.Sprintf("%T", v)
}

func truthy(v value) bool {
	switch x := v.(type) {
	case none, undef:
		return false
	case bool:
		return x
	case int64:
		return x != 0
	case float64:
		return x != 0
	case string:
		return x != ""
	case []value:
		return len(x) > 0
	case tuple:
		return len(x) > 0
	case *dict:
		return len(x.keys) > 0
	}
	return true
}

// str is Python's str() of a value, which is what {{ }} and ~ print.
func str(v value) string {
	switch x := v.(type) {
	case string:
		return x
	case undef:
		return ""
	}
	var b strings.Builder
	writeRepr(&b, v, 0)
	return b.String()
}

func repr(v value) string {
	var b strings.Builder
	writeRepr(&b, v, 0)
	return b.String()
}

// writeRepr writes Python's repr() of v. depth guards against deeply
// nested data.
func writeRepr(b *strings.Builder, v value, depth int) {
	if depth > 200 {
		b.WriteString("...")
		return
	}
	switch x := v.(type) {
	case none:
		b.WriteString("None")
	case undef:
		b.WriteString("Undefined")
	case bool:
		if x {
			b.WriteString("True")
		} else {
			b.WriteString("False")
		}
	case int64:
		b.WriteString(strconv.FormatInt(x, 10))
	case float64:
		b.WriteString(pyFloat(x))
	case string:
		writeStrRepr(b, x)
	case []value:
		b.WriteByte('[')
		for i, e := range x {
			if i > 0 {
				b.WriteString(", ")
			}
			writeRepr(b, e, depth+1)
		}
		b.WriteByte(']')
	case tuple:
		b.WriteByte('(')
		for i, e := range x {
			if i > 0 {
				b.WriteString(", ")
			}
			writeRepr(b, e, depth+1)
		}
		if len(x) == 1 {
			b.WriteByte(',')
		}
		b.WriteByte(')')
	case *dict:
		writeDictRepr(b, x, depth)
	case *namespace:
		b.WriteString("<Namespace ")
		writeDictRepr(b, x.d, depth)
		b.WriteString(">")
	case *macroVal:
		fmt.Fprintf(b, "<Macro '%s'>", x.m.name)
	case *builtin:
		fmt.Fprintf(b, "<built-in function %s>", x.name)
	case *loopVal:
		b.WriteString("<LoopContext>")
	default:
		fmt.Fprintf(b, "%v", x)
	}
}

func writeDictRepr(b *strings.Builder, d *dict, depth int) {
	b.WriteByte('{')
	for i, k := range d.keys {
		if i > 0 {
			b.WriteString(", ")
		}
		writeStrRepr(b, k)
		b.WriteString(": ")
		writeRepr(b, d.m[k], depth+1)
	}
	b.WriteByte('}')
}

// writeStrRepr quotes s as Python's repr does: single quotes unless s has
// a single quote and no double quote; \\ \n \r \t and other non-printable
// characters escaped.
func writeStrRepr(b *strings.Builder, s string) {
	q := byte('\'')
	if strings.IndexByte(s, '\'') >= 0 && strings.IndexByte(s, '"') < 0 {
		q = '"'
	}
	b.WriteByte(q)
	for _, r := range s {
		switch {
		case r == rune(q) || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(b, `\x%02x`, r)
		case r < 0x7f || pyPrintable(r):
			b.WriteRune(r)
		case r <= 0xff:
			fmt.Fprintf(b, `\x%02x`, r)
		case r <= 0xffff:
			fmt.Fprintf(b, `\u%04x`, r)
		default:
			fmt.Fprintf(b, `\U%08x`, r)
		}
	}
	b.WriteByte(q)
}

// pyPrintable approximates Python's str.isprintable for non-ASCII: not a
// control, format, surrogate, private-use or unassigned character, and no
// separator other than the plain space.
func pyPrintable(r rune) bool {
	if r == utf8.RuneError {
		return true
	}
	return unicode.In(r, unicode.L, unicode.M, unicode.N, unicode.P, unicode.S)
}

// pyFloat formats f as Python's repr(float): the shortest digits that
// round-trip, in fixed notation when the exponent is in [-4, 16) (with at
// least one digit after the point), else as d.ddde+XX.
func pyFloat(f float64) string {
	switch {
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	case math.IsNaN(f):
		return "nan"
	}
	s := strconv.FormatFloat(f, 'e', -1, 64) // e.g. -1.2345e+17
	mant, exps, _ := strings.Cut(s, "e")
	exp, _ := strconv.Atoi(exps)
	neg := strings.HasPrefix(mant, "-")
	mant = strings.TrimPrefix(mant, "-")
	digs := strings.Replace(mant, ".", "", 1)
	var out string
	if exp >= -4 && exp < 16 {
		if exp >= 0 {
			if len(digs) <= exp+1 {
				out = digs + strings.Repeat("0", exp+1-len(digs)) + ".0"
			} else {
				out = digs[:exp+1] + "." + digs[exp+1:]
			}
		} else {
			out = "0." + strings.Repeat("0", -exp-1) + digs
		}
	} else {
		out = digs[:1]
		if len(digs) > 1 {
			out += "." + digs[1:]
		}
		sign := "+"
		if exp < 0 {
			sign = "-"
			exp = -exp
		}
		out += fmt.Sprintf("e%s%02d", sign, exp)
	}
	if neg {
		out = "-" + out
	}
	return out
}

// equal is Python's ==.
func equal(a, b value) bool {
	switch x := a.(type) {
	case none:
		_, ok := b.(none)
		return ok
	case undef:
		_, ok := b.(undef)
		return ok
	case string:
		y, ok := b.(string)
		return ok && x == y
	case bool, int64, float64:
		fa, oka := number(a)
		fb, okb := number(b)
		if !oka || !okb {
			return false
		}
		ia, aInt := asInt(a)
		ib, bInt := asInt(b)
		if aInt && bInt {
			return ia == ib
		}
		return fa == fb
	case []value:
		y, ok := b.([]value)
		return ok && slices.EqualFunc(x, y, equal)
	case tuple:
		y, ok := b.(tuple)
		return ok && slices.EqualFunc(x, y, equal)
	case *dict:
		y, ok := b.(*dict)
		if !ok || len(x.keys) != len(y.keys) {
			return false
		}
		for k, v := range x.m {
			w, ok := y.m[k]
			if !ok || !equal(v, w) {
				return false
			}
		}
		return true
	}
	return a == b
}

// number gives the float value of a bool, int or float.
func number(v value) (float64, bool) {
	switch x := v.(type) {
	case bool:
		if x {
			return 1, true
		}
		return 0, true
	case int64:
		return float64(x), true
	case float64:
		return x, true
	}
	return 0, false
}

// asInt gives the int value of a bool or int.
func asInt(v value) (int64, bool) {
	switch x := v.(type) {
	case bool:
		if x {
			return 1, true
		}
		return 0, true
	case int64:
		return x, true
	}
	return 0, false
}

// jsonOptions are the arguments of HF's tojson, which calls Python's
// json.dumps(x, ensure_ascii=False, indent=None, separators=None,
// sort_keys=False).
type jsonOptions struct {
	ascii      bool
	indent     string
	hasIndent  bool
	itemSep    string
	keySep     string
	sortKeys   bool
	depthLimit int
}

func toJSON(v value, o jsonOptions) (string, error) {
	if o.itemSep == "" && o.keySep == "" {
		o.itemSep, o.keySep = ", ", ": "
		if o.hasIndent {
			o.itemSep = ","
		}
	}
	var b strings.Builder
	if err := writeJSON(&b, v, o, 0); err != nil {
		return "", err
	}
	return b.String(), nil
}

func writeJSON(b *strings.Builder, v value, o jsonOptions, depth int) error {
	if depth > 200 {
		return fmt.Errorf("tojson: value nested too deeply")
	}
	newline := func(d int) {
		if o.hasIndent {
			b.WriteByte('\n')
			for range d {
				b.WriteString(o.indent)
			}
		}
	}
	switch x := v.(type) {
	case none:
		b.WriteString("null")
	case bool:
		if x {
			b.WriteString("true")
		} else {
			b.WriteString("false")
		}
	case int64:
		b.WriteString(strconv.FormatInt(x, 10))
	case float64:
		switch {
		case math.IsNaN(x):
			b.WriteString("NaN")
		case math.IsInf(x, 1):
			b.WriteString("Infinity")
		case math.IsInf(x, -1):
			b.WriteString("-Infinity")
		default:
			b.WriteString(pyFloat(x))
		}
	case string:
		writeJSONString(b, x, o.ascii)
	case []value, tuple:
		var items []value
		if l, ok := x.([]value); ok {
			items = l
		} else {
			items = x.(tuple)
		}
		if len(items) == 0 {
			b.WriteString("[]")
			return nil
		}
		b.WriteByte('[')
		for i, e := range items {
			if i > 0 {
				b.WriteString(o.itemSep)
			}
			newline(depth + 1)
			if err := writeJSON(b, e, o, depth+1); err != nil {
				return err
			}
		}
		newline(depth)
		b.WriteByte(']')
	case *dict:
		if len(x.keys) == 0 {
			b.WriteString("{}")
			return nil
		}
		keys := x.keys
		if o.sortKeys {
			keys = slices.Clone(keys)
			slices.Sort(keys)
		}
		b.WriteByte('{')
		for i, k := range keys {
			if i > 0 {
				b.WriteString(o.itemSep)
			}
			newline(depth + 1)
			writeJSONString(b, k, o.ascii)
			b.WriteString(o.keySep)
			if err := writeJSON(b, x.m[k], o, depth+1); err != nil {
				return err
			}
		}
		newline(depth)
		b.WriteByte('}')
	default:
		return fmt.Errorf("Object of type %s is not JSON serializable", typeName(v))
	}
	return nil
}

// writeJSONString escapes as Python's json module does: " \ \n \r \t \b
// \f named, other controls as \u00XX, and with ascii every non-ASCII
// character as \uXXXX (surrogate pairs above the BMP).
func writeJSONString(b *strings.Builder, s string, ascii bool) {
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		case '\b':
			b.WriteString(`\b`)
		case '\f':
			b.WriteString(`\f`)
		default:
			switch {
			case r < 0x20:
				fmt.Fprintf(b, `\u%04x`, r)
			case ascii && r > 0x7e && r <= 0xffff:
				fmt.Fprintf(b, `\u%04x`, r)
			case ascii && r > 0xffff:
				r -= 0x10000
				fmt.Fprintf(b, `\u%04x\u%04x`, 0xd800+(r>>10), 0xdc00+(r&0x3ff))
			default:
				b.WriteRune(r)
			}
		}
	}
	b.WriteByte('"')
}

// fromJSON decodes JSON into engine values keeping the order of object
// keys (Python dicts keep it, and tojson shows it) and the int/float
// distinction of numbers (1 stays an int, 1.0 a float).
func fromJSON(data []byte) (value, error) {
	d := json.NewDecoder(bytes.NewReader(data))
	d.UseNumber()
	v, err := decodeJSON(d, 0)
	if err != nil {
		return nil, err
	}
	if _, err := d.Token(); err == nil {
		return nil, fmt.Errorf("unexpected data after JSON value")
	}
	return v, nil
}

func decodeJSON(d *json.Decoder, depth int) (value, error) {
	if depth > 200 {
		return nil, fmt.Errorf("JSON nested too deeply")
	}
	tok, err := d.Token()
	if err != nil {
		return nil, err
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '[':
			l := []value{}
			for d.More() {
				v, err := decodeJSON(d, depth+1)
				if err != nil {
					return nil, err
				}
				l = append(l, v)
			}
			_, err := d.Token()
			return l, err
		case '{':
			m := newDict(4)
			for d.More() {
				k, err := d.Token()
				if err != nil {
					return nil, err
				}
				v, err := decodeJSON(d, depth+1)
				if err != nil {
					return nil, err
				}
				m.set(k.(string), v)
			}
			_, err := d.Token()
			return m, err
		}
	case nil:
		return none{}, nil
	case bool:
		return t, nil
	case string:
		return t, nil
	case json.Number:
		return jsonNumber(t)
	}
	return nil, fmt.Errorf("unexpected JSON token %v", tok)
}

func jsonNumber(n json.Number) (value, error) {
	s := string(n)
	if !strings.ContainsAny(s, ".eE") {
		if i, err := strconv.ParseInt(s, 10, 64); err == nil {
			return i, nil
		}
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil && !math.IsInf(f, 0) {
		return nil, fmt.Errorf("bad number %s", s)
	}
	return f, nil
}

// fromGo converts a Go value handed to Render into an engine value.
// nil is None; json.RawMessage is decoded in key order; Go maps are shown
// with their keys sorted, since Go does not keep their order.
func fromGo(v any, depth int) (value, error) {
	if depth > 200 {
		return nil, fmt.Errorf("value nested too deeply")
	}
	switch x := v.(type) {
	case nil:
		return none{}, nil
	case nullValue:
		return none{}, nil
	case bool:
		return x, nil
	case string:
		return x, nil
	case int:
		return int64(x), nil
	case int8:
		return int64(x), nil
	case int16:
		return int64(x), nil
	case int32:
		return int64(x), nil
	case int64:
		return x, nil
	case uint8:
		return int64(x), nil
	case uint16:
		return int64(x), nil
	case uint32:
		return int64(x), nil
	case uint:
		if uint64(x) > math.MaxInt64 {
			return nil, fmt.Errorf("integer %d out of range", x)
		}
		return int64(x), nil
	case uint64:
		if x > math.MaxInt64 {
			return nil, fmt.Errorf("integer %d out of range", x)
		}
		return int64(x), nil
	case float32:
		return float64(x), nil
	case float64:
		return x, nil
	case json.Number:
		return jsonNumber(x)
	case json.RawMessage:
		return fromJSON(x)
	case Part:
		return x.value(), nil
	case []Part:
		l := make([]value, len(x))
		for i, p := range x {
			l[i] = p.value()
		}
		return l, nil
	case Message:
		return x.value()
	case []Message:
		l := make([]value, len(x))
		for i, m := range x {
			mv, err := m.value()
			if err != nil {
				return nil, fmt.Errorf("message %d: %w", i, err)
			}
			l[i] = mv
		}
		return l, nil
	case []any:
		l := make([]value, len(x))
		for i, e := range x {
			ev, err := fromGo(e, depth+1)
			if err != nil {
				return nil, err
			}
			l[i] = ev
		}
		return l, nil
	case []string:
		l := make([]value, len(x))
		for i, e := range x {
			l[i] = e
		}
		return l, nil
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		d := newDict(len(keys))
		for _, k := range keys {
			ev, err := fromGo(x[k], depth+1)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", k, err)
			}
			d.set(k, ev)
		}
		return d, nil
	}
	// Other slices and string-keyed maps, through reflection.
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Slice, reflect.Array:
		l := make([]value, rv.Len())
		for i := range l {
			ev, err := fromGo(rv.Index(i).Interface(), depth+1)
			if err != nil {
				return nil, err
			}
			l[i] = ev
		}
		return l, nil
	case reflect.Map:
		if rv.Type().Key().Kind() == reflect.String {
			keys := make([]string, 0, rv.Len())
			for _, k := range rv.MapKeys() {
				keys = append(keys, k.String())
			}
			slices.Sort(keys)
			d := newDict(len(keys))
			for _, k := range keys {
				ev, err := fromGo(rv.MapIndex(reflect.ValueOf(k).Convert(rv.Type().Key())).Interface(), depth+1)
				if err != nil {
					return nil, fmt.Errorf("%s: %w", k, err)
				}
				d.set(k, ev)
			}
			return d, nil
		}
	case reflect.Pointer:
		if rv.IsNil() {
			return none{}, nil
		}
		return fromGo(rv.Elem().Interface(), depth+1)
	}
	return nil, fmt.Errorf("unsupported value of type %T", v)
}
