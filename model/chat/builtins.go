package chat

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// bind matches positional and keyword arguments to parameter names, as a
// Python call would. A parameter not given is nil.
func bind(fn string, args []value, kw []kwVal, names ...string) ([]value, error) {
	if len(args) > len(names) {
		return nil, fmt.Errorf("%s takes at most %d argument(s), %d given", fn, len(names), len(args))
	}
	out := make([]value, len(names))
	copy(out, args)
	for _, k := range kw {
		i := slices.Index(names, k.name)
		if i < 0 {
			return nil, fmt.Errorf("%s got an unexpected keyword argument '%s'", fn, k.name)
		}
		if out[i] != nil {
			return nil, fmt.Errorf("%s got multiple values for argument '%s'", fn, k.name)
		}
		out[i] = k.v
	}
	return out, nil
}

func argOr(v, def value) value {
	if v == nil {
		return def
	}
	return v
}

func needStr(fn string, v value) (string, error) {
	switch x := v.(type) {
	case string:
		return x, nil
	case undef:
		return "", errors.New(x.hint)
	}
	return "", fmt.Errorf("%s expects a string, not %s", fn, typeName(v))
}

func needInt(fn string, v value) (int64, error) {
	if i, ok := asInt(v); ok {
		return i, nil
	}
	if u, ok := v.(undef); ok {
		return 0, errors.New(u.hint)
	}
	return 0, fmt.Errorf("%s expects an integer, not %s", fn, typeName(v))
}

// ---- globals ----

var globals map[string]value

func init() {
	globals = map[string]value{
		"range":           &builtin{name: "range", fn: fnRange},
		"namespace":       &builtin{name: "namespace", fn: fnNamespace},
		"dict":            &builtin{name: "dict", fn: fnDict},
		"raise_exception": &builtin{name: "raise_exception", fn: fnRaise},
		"strftime_now":    &builtin{name: "strftime_now", fn: fnStrftimeNow},
		"joiner":          &builtin{name: "joiner", fn: fnJoiner},
		"cycler":          &builtin{name: "cycler", fn: fnCycler},
		"lipsum":          &builtin{name: "lipsum", fn: func(*evaluator, []value, []kwVal) (value, error) { return nil, errors.New("lipsum is not supported") }},
	}
}

func fnRange(_ *evaluator, args []value, kw []kwVal) (value, error) {
	if len(kw) > 0 || len(args) == 0 || len(args) > 3 {
		return nil, errors.New("range expects 1 to 3 integer arguments")
	}
	n := make([]int64, len(args))
	for i, a := range args {
		v, err := needInt("range", a)
		if err != nil {
			return nil, err
		}
		n[i] = v
	}
	start, stop, step := int64(0), n[0], int64(1)
	if len(n) > 1 {
		start, stop = n[0], n[1]
	}
	if len(n) > 2 {
		step = n[2]
	}
	if step == 0 {
		return nil, errors.New("range() arg 3 must not be zero")
	}
	// Jinja2's sandbox refuses ranges over 100000 items (MAX_RANGE).
	count := int64(0)
	if step > 0 && stop > start {
		count = (stop - start + step - 1) / step
	} else if step < 0 && stop < start {
		count = (start - stop - step - 1) / -step
	}
	if count > 100000 {
		return nil, errors.New("range too big, maximum size for range is 100000")
	}
	l := make([]value, count)
	for i := range l {
		l[i] = start + int64(i)*step
	}
	return l, nil
}

func fnNamespace(_ *evaluator, args []value, kw []kwVal) (value, error) {
	d, err := fnDict(nil, args, kw)
	if err != nil {
		return nil, err
	}
	return &namespace{d: d.(*dict)}, nil
}

func fnDict(_ *evaluator, args []value, kw []kwVal) (value, error) {
	d := newDict(len(kw))
	if len(args) > 1 {
		return nil, errors.New("expected at most 1 positional argument")
	}
	if len(args) == 1 {
		switch x := args[0].(type) {
		case *dict:
			for _, k := range x.keys {
				d.set(k, x.m[k])
			}
		case *namespace:
			for _, k := range x.d.keys {
				d.set(k, x.d.m[k])
			}
		default:
			for _, p := range seqOf(x) {
				kv := seqOf(p)
				if len(kv) != 2 {
					return nil, errors.New("dictionary update sequence element has wrong length")
				}
				k, ok := kv[0].(string)
				if !ok {
					return nil, errors.New("only string keys are supported")
				}
				d.set(k, kv[1])
			}
		}
	}
	for _, k := range kw {
		d.set(k.name, k.v)
	}
	return d, nil
}

func fnRaise(_ *evaluator, args []value, kw []kwVal) (value, error) {
	a, err := bind("raise_exception", args, kw, "message")
	if err != nil {
		return nil, err
	}
	return nil, &RaiseError{Message: str(argOr(a[0], ""))}
}

func fnStrftimeNow(ev *evaluator, args []value, kw []kwVal) (value, error) {
	a, err := bind("strftime_now", args, kw, "format")
	if err != nil {
		return nil, err
	}
	f, err := needStr("strftime_now", argOr(a[0], undef{hint: "strftime_now needs a format"}))
	if err != nil {
		return nil, err
	}
	return strftime(ev.now(), f), nil
}

func fnJoiner(_ *evaluator, args []value, kw []kwVal) (value, error) {
	a, err := bind("joiner", args, kw, "sep")
	if err != nil {
		return nil, err
	}
	sep := str(argOr(a[0], ", "))
	used := false
	return &builtin{name: "joiner", fn: func(*evaluator, []value, []kwVal) (value, error) {
		if !used {
			used = true
			return "", nil
		}
		return sep, nil
	}}, nil
}

func fnCycler(_ *evaluator, args []value, _ []kwVal) (value, error) {
	if len(args) == 0 {
		return nil, errors.New("cycler needs items")
	}
	i := 0
	d := newDict(2)
	d.set("next", &builtin{name: "cycler.next", fn: func(*evaluator, []value, []kwVal) (value, error) {
		v := args[i%len(args)]
		i++
		return v, nil
	}})
	return &namespace{d: d}, nil
}

// ---- methods of str, dict and list ----

// method returns obj.name bound as a callable if obj's Python type has a
// method of that name that a sandboxed, immutable template may call.
func method(obj value, name string) value {
	var fn func(args []value, kw []kwVal) (value, error)
	switch x := obj.(type) {
	case string:
		fn = strMethod(x, name)
	case *dict:
		fn = dictMethod(x, name)
	case []value:
		fn = listMethod(x, name)
	case tuple:
		fn = listMethod(x, name)
	}
	if fn == nil {
		return nil
	}
	return &builtin{name: name, fn: func(_ *evaluator, args []value, kw []kwVal) (value, error) { return fn(args, kw) }}
}

func stripSet(fn string, chars value) (func(rune) bool, error) {
	if chars == nil {
		return isPySpace, nil
	}
	if _, ok := chars.(none); ok {
		return isPySpace, nil
	}
	s, err := needStr(fn, chars)
	if err != nil {
		return nil, err
	}
	return func(r rune) bool { return strings.ContainsRune(s, r) }, nil
}

func strMethod(s, name string) func([]value, []kwVal) (value, error) {
	switch name {
	case "upper":
		return func([]value, []kwVal) (value, error) { return strings.ToUpper(s), nil }
	case "lower":
		return func([]value, []kwVal) (value, error) { return strings.ToLower(s), nil }
	case "casefold":
		return func([]value, []kwVal) (value, error) { return strings.ToLower(s), nil }
	case "swapcase":
		return func([]value, []kwVal) (value, error) {
			return strings.Map(func(r rune) rune {
				if unicode.IsUpper(r) {
					return unicode.ToLower(r)
				}
				return unicode.ToUpper(r)
			}, s), nil
		}
	case "title":
		return func([]value, []kwVal) (value, error) { return pyTitle(s), nil }
	case "capitalize":
		return func([]value, []kwVal) (value, error) { return pyCapitalize(s), nil }
	case "strip", "lstrip", "rstrip":
		return func(args []value, kw []kwVal) (value, error) {
			a, err := bind(name, args, kw, "chars")
			if err != nil {
				return nil, err
			}
			f, err := stripSet(name, a[0])
			if err != nil {
				return nil, err
			}
			switch name {
			case "strip":
				return strings.TrimFunc(s, f), nil
			case "lstrip":
				return strings.TrimLeftFunc(s, f), nil
			}
			return strings.TrimRightFunc(s, f), nil
		}
	case "split", "rsplit":
		return func(args []value, kw []kwVal) (value, error) {
			a, err := bind(name, args, kw, "sep", "maxsplit")
			if err != nil {
				return nil, err
			}
			max := int64(-1)
			if a[1] != nil {
				if max, err = needInt(name, a[1]); err != nil {
					return nil, err
				}
			}
			var parts []string
			if _, isNone := a[0].(none); a[0] == nil || isNone {
				parts = splitSpace(s, int(max), name == "rsplit")
			} else {
				sep, err := needStr(name, a[0])
				if err != nil {
					return nil, err
				}
				if sep == "" {
					return nil, errors.New("empty separator")
				}
				if name == "rsplit" && max >= 0 {
					parts = rsplitN(s, sep, int(max))
				} else {
					n := -1
					if max >= 0 {
						n = int(max) + 1
					}
					parts = strings.SplitN(s, sep, n)
				}
			}
			l := make([]value, len(parts))
			for i, p := range parts {
				l[i] = p
			}
			return l, nil
		}
	case "splitlines":
		return func(args []value, kw []kwVal) (value, error) {
			a, err := bind(name, args, kw, "keepends")
			if err != nil {
				return nil, err
			}
			keep := truthy(argOr(a[0], false))
			var l []value
			for s2 := s; s2 != ""; {
				i := strings.IndexAny(s2, "\n\r\v\f\x1c\x1d\x1e\u0085\u2028\u2029")
				if i < 0 {
					l = append(l, s2)
					break
				}
				_, w := utf8.DecodeRuneInString(s2[i:])
				if s2[i] == '\r' && i+1 < len(s2) && s2[i+1] == '\n' {
					w = 2
				}
				if keep {
					l = append(l, s2[:i+w])
				} else {
					l = append(l, s2[:i])
				}
				s2 = s2[i+w:]
			}
			if l == nil {
				l = []value{}
			}
			return l, nil
		}
	case "startswith", "endswith":
		return func(args []value, kw []kwVal) (value, error) {
			a, err := bind(name, args, kw, "prefix", "start", "end")
			if err != nil {
				return nil, err
			}
			if a[1] != nil || a[2] != nil {
				return nil, fmt.Errorf("%s: start and end are not supported", name)
			}
			var opts []value
			switch p := a[0].(type) {
			case string:
				opts = []value{p}
			case tuple:
				opts = p
			default:
				return nil, fmt.Errorf("%s first arg must be str or a tuple of str, not %s", name, typeName(a[0]))
			}
			for _, o := range opts {
				os, ok := o.(string)
				if !ok {
					return nil, fmt.Errorf("tuple for %s must only contain str", name)
				}
				if name == "startswith" && strings.HasPrefix(s, os) || name == "endswith" && strings.HasSuffix(s, os) {
					return true, nil
				}
			}
			return false, nil
		}
	case "replace":
		return func(args []value, kw []kwVal) (value, error) {
			a, err := bind(name, args, kw, "old", "new", "count")
			if err != nil {
				return nil, err
			}
			return pyReplace(s, a[0], a[1], a[2])
		}
	case "find", "rfind", "index", "rindex", "count":
		return func(args []value, kw []kwVal) (value, error) {
			a, err := bind(name, args, kw, "sub")
			if err != nil {
				return nil, err
			}
			sub, err := needStr(name, a[0])
			if err != nil {
				return nil, err
			}
			var i int
			switch name {
			case "count":
				if sub == "" {
					return int64(utf8.RuneCountInString(s) + 1), nil
				}
				return int64(strings.Count(s, sub)), nil
			case "find", "index":
				i = strings.Index(s, sub)
			default:
				i = strings.LastIndex(s, sub)
			}
			if i < 0 {
				if name == "index" || name == "rindex" {
					return nil, errors.New("substring not found")
				}
				return int64(-1), nil
			}
			return int64(utf8.RuneCountInString(s[:i])), nil
		}
	case "join":
		return func(args []value, kw []kwVal) (value, error) {
			a, err := bind(name, args, kw, "iterable")
			if err != nil {
				return nil, err
			}
			var b strings.Builder
			items, err := iterItems(argOr(a[0], undef{hint: "join needs an iterable"}))
			if err != nil {
				return nil, err
			}
			for i, it := range items {
				x, ok := it.(string)
				if !ok {
					return nil, fmt.Errorf("sequence item %d: expected str instance, %s found", i, typeName(it))
				}
				if i > 0 {
					b.WriteString(s)
				}
				b.WriteString(x)
				if b.Len() > maxOutput {
					return nil, errors.New("string too long")
				}
			}
			return b.String(), nil
		}
	case "isdigit", "isnumeric", "isdecimal", "isalpha", "isalnum", "isspace", "isupper", "islower":
		return func([]value, []kwVal) (value, error) { return strIs(s, name), nil }
	case "zfill", "center", "ljust", "rjust":
		return func(args []value, kw []kwVal) (value, error) {
			a, err := bind(name, args, kw, "width", "fillchar")
			if err != nil {
				return nil, err
			}
			w, err := needInt(name, argOr(a[0], undef{hint: name + " needs a width"}))
			if err != nil {
				return nil, err
			}
			if w > maxOutput {
				return nil, errors.New("width too large")
			}
			fill := " "
			if a[1] != nil {
				if fill, err = needStr(name, a[1]); err != nil {
					return nil, err
				}
				if utf8.RuneCountInString(fill) != 1 {
					return nil, errors.New("the fill character must be exactly one character long")
				}
			}
			return pad(s, name, int(w), fill), nil
		}
	case "removeprefix":
		return func(args []value, kw []kwVal) (value, error) {
			p, err := needStr(name, argOr(first(args), ""))
			return strings.TrimPrefix(s, p), err
		}
	case "removesuffix":
		return func(args []value, kw []kwVal) (value, error) {
			p, err := needStr(name, argOr(first(args), ""))
			return strings.TrimSuffix(s, p), err
		}
	case "partition", "rpartition":
		return func(args []value, kw []kwVal) (value, error) {
			sep, err := needStr(name, argOr(first(args), undef{hint: name + " needs a separator"}))
			if err != nil {
				return nil, err
			}
			if sep == "" {
				return nil, errors.New("empty separator")
			}
			i := strings.Index(s, sep)
			if name == "rpartition" {
				i = strings.LastIndex(s, sep)
			}
			if i < 0 {
				if name == "rpartition" {
					return tuple{"", "", s}, nil
				}
				return tuple{s, "", ""}, nil
			}
			return tuple{s[:i], sep, s[i+len(sep):]}, nil
		}
	}
	return nil
}

func first(args []value) value {
	if len(args) == 0 {
		return nil
	}
	return args[0]
}

func pad(s, how string, w int, fill string) string {
	n := utf8.RuneCountInString(s)
	if w <= n {
		return s
	}
	extra := w - n
	switch how {
	case "zfill":
		sign := ""
		if strings.HasPrefix(s, "-") || strings.HasPrefix(s, "+") {
			sign, s = s[:1], s[1:]
		}
		return sign + strings.Repeat("0", extra) + s
	case "ljust":
		return s + strings.Repeat(fill, extra)
	case "rjust":
		return strings.Repeat(fill, extra) + s
	}
	// Python's str.center: left = pad//2 + (pad & width & 1).
	left := extra/2 + (extra & w & 1)
	return strings.Repeat(fill, left) + s + strings.Repeat(fill, extra-left)
}

func strIs(s, name string) bool {
	if s == "" {
		return false
	}
	cased := false
	for _, r := range s {
		switch name {
		case "isdigit", "isnumeric", "isdecimal":
			if !unicode.IsDigit(r) {
				return false
			}
		case "isalpha":
			if !unicode.IsLetter(r) {
				return false
			}
		case "isalnum":
			if !unicode.IsLetter(r) && !unicode.IsDigit(r) {
				return false
			}
		case "isspace":
			if !isPySpace(r) {
				return false
			}
		case "isupper":
			if unicode.IsLower(r) {
				return false
			}
			cased = cased || unicode.IsUpper(r)
		case "islower":
			if unicode.IsUpper(r) {
				return false
			}
			cased = cased || unicode.IsLower(r)
		}
	}
	if name == "isupper" || name == "islower" {
		return cased
	}
	return true
}

// splitSpace is Python's str.split() with no separator: runs of
// whitespace separate, and leading and trailing whitespace is ignored.
func splitSpace(s string, max int, fromRight bool) []string {
	fields := strings.FieldsFunc(s, isPySpace)
	if max < 0 || len(fields) <= max+1 {
		if fields == nil {
			return []string{}
		}
		return fields
	}
	if fromRight {
		// Keep the last max fields and the rest, stripped on the right only.
		rest := strings.TrimRightFunc(s, isPySpace)
		var tail []string
		for range max {
			i := strings.LastIndexFunc(rest, isPySpace)
			tail = append([]string{rest[i+1:]}, tail...)
			rest = strings.TrimRightFunc(rest[:i+1], isPySpace)
		}
		return append([]string{rest}, tail...)
	}
	rest := strings.TrimLeftFunc(s, isPySpace)
	var head []string
	for range max {
		i := strings.IndexFunc(rest, isPySpace)
		head = append(head, rest[:i])
		rest = strings.TrimLeftFunc(rest[i:], isPySpace)
	}
	return append(head, rest)
}

func rsplitN(s, sep string, max int) []string {
	var tail []string
	for range max {
		i := strings.LastIndex(s, sep)
		if i < 0 {
			break
		}
		tail = append([]string{s[i+len(sep):]}, tail...)
		s = s[:i]
	}
	return append([]string{s}, tail...)
}

func pyReplace(s string, oldv, newv, countv value) (value, error) {
	old, err := needStr("replace", argOr(oldv, undef{hint: "replace needs two arguments"}))
	if err != nil {
		return nil, err
	}
	nw, err := needStr("replace", argOr(newv, undef{hint: "replace needs two arguments"}))
	if err != nil {
		return nil, err
	}
	n := int64(-1)
	if countv != nil {
		if _, isNone := countv.(none); !isNone {
			if n, err = needInt("replace", countv); err != nil {
				return nil, err
			}
		}
	}
	hits := int64(strings.Count(s, old))
	if n >= 0 && n < hits {
		hits = n
	}
	if int64(len(s))+hits*int64(len(nw)) > maxOutput {
		return nil, errors.New("string too long")
	}
	return strings.Replace(s, old, nw, int(max(n, -1))), nil
}

// pyTitle is Python's str.title: a letter after a cased letter is lower
// case, any other letter upper case.
func pyTitle(s string) string {
	var b strings.Builder
	prevCased := false
	for _, r := range s {
		if prevCased {
			b.WriteRune(unicode.ToLower(r))
		} else {
			b.WriteRune(unicode.ToTitle(r))
		}
		prevCased = unicode.IsUpper(r) || unicode.IsLower(r) || unicode.IsTitle(r)
	}
	return b.String()
}

func pyCapitalize(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	if n == 0 {
		return s
	}
	return string(unicode.ToTitle(r)) + strings.ToLower(s[n:])
}

// jinjaTitle is Jinja2's title filter: words start after whitespace or one
// of - ( { [ <, and each word is capitalised.
func jinjaTitle(s string) string {
	var b strings.Builder
	start := true
	for _, r := range s {
		if isPySpace(r) || strings.ContainsRune("-({[<", r) {
			start = true
			b.WriteRune(r)
			continue
		}
		if start {
			b.WriteRune(unicode.ToUpper(r))
		} else {
			b.WriteRune(unicode.ToLower(r))
		}
		start = false
	}
	return b.String()
}

func dictMethod(d *dict, name string) func([]value, []kwVal) (value, error) {
	switch name {
	case "items":
		return func([]value, []kwVal) (value, error) { return dictItems(d), nil }
	case "keys":
		return func([]value, []kwVal) (value, error) {
			l := make([]value, len(d.keys))
			for i, k := range d.keys {
				l[i] = k
			}
			return l, nil
		}
	case "values":
		return func([]value, []kwVal) (value, error) {
			l := make([]value, len(d.keys))
			for i, k := range d.keys {
				l[i] = d.m[k]
			}
			return l, nil
		}
	case "get":
		return func(args []value, kw []kwVal) (value, error) {
			a, err := bind("get", args, kw, "key", "default")
			if err != nil {
				return nil, err
			}
			if k, ok := a[0].(string); ok {
				if v, ok := d.m[k]; ok {
					return v, nil
				}
			}
			return argOr(a[1], none{}), nil
		}
	case "copy":
		return func([]value, []kwVal) (value, error) {
			c := newDict(len(d.keys))
			for _, k := range d.keys {
				c.set(k, d.m[k])
			}
			return c, nil
		}
	case "update", "pop", "popitem", "setdefault", "clear":
		return unsafe("dict", name)
	}
	return nil
}

func unsafe(typ, name string) func([]value, []kwVal) (value, error) {
	return func([]value, []kwVal) (value, error) {
		return nil, fmt.Errorf("access to attribute '%s' of '%s' object is unsafe", name, typ)
	}
}

func dictItems(d *dict) []value {
	l := make([]value, len(d.keys))
	for i, k := range d.keys {
		l[i] = tuple{k, d.m[k]}
	}
	return l
}

func listMethod(l []value, name string) func([]value, []kwVal) (value, error) {
	switch name {
	case "index":
		return func(args []value, _ []kwVal) (value, error) {
			for i, x := range l {
				if equal(x, first(args)) {
					return int64(i), nil
				}
			}
			return nil, errors.New("value is not in list")
		}
	case "count":
		return func(args []value, _ []kwVal) (value, error) {
			n := int64(0)
			for _, x := range l {
				if equal(x, first(args)) {
					n++
				}
			}
			return n, nil
		}
	case "append", "extend", "insert", "pop", "remove", "sort", "reverse", "clear":
		return unsafe("list", name)
	}
	return nil
}

// iterItems lists what Python's iter(v) yields.
func iterItems(v value) ([]value, error) {
	switch x := v.(type) {
	case []value, tuple, string:
		return seqOf(x), nil
	case *dict:
		l := make([]value, len(x.keys))
		for i, k := range x.keys {
			l[i] = k
		}
		return l, nil
	case undef:
		return nil, nil
	}
	return nil, fmt.Errorf("'%s' object is not iterable", typeName(v))
}

// ---- filters ----

func (ev *evaluator) callFilter(f *filterExpr, v value, sc *scope) (value, error) {
	args, kw, err := ev.evalArgs(f.args, f.kw, sc)
	if err != nil {
		return nil, err
	}
	if err := ev.step(f.line); err != nil {
		return nil, err
	}
	out, err := ev.filter(f.name, v, args, kw)
	if err != nil {
		var re *RenderError
		if errors.As(err, &re) {
			return nil, err
		}
		return nil, ev.fail(f.line, "filter %s: %v", f.name, err)
	}
	return out, nil
}

func (ev *evaluator) filter(name string, v value, args []value, kw []kwVal) (value, error) {
	p := func(names ...string) ([]value, error) { return bind(name, args, kw, names...) }
	switch name {
	case "tojson":
		a, err := p("ensure_ascii", "indent", "separators", "sort_keys")
		if err != nil {
			return nil, err
		}
		o := jsonOptions{ascii: truthy(argOr(a[0], false)), sortKeys: truthy(argOr(a[3], false))}
		switch ind := argOr(a[1], none{}).(type) {
		case none:
		case string:
			o.hasIndent, o.indent = true, ind
		default:
			n, err := needInt("tojson indent", ind)
			if err != nil {
				return nil, err
			}
			o.hasIndent, o.indent = true, strings.Repeat(" ", int(min(max(n, 0), 64)))
		}
		if sp, ok := argOr(a[2], none{}).(tuple); ok || a[2] != nil {
			seps := seqOf(sp)
			if _, isNone := a[2].(none); !isNone && a[2] != nil {
				seps = seqOf(a[2])
				if len(seps) != 2 {
					return nil, errors.New("separators must be a pair of strings")
				}
				is, ok1 := seps[0].(string)
				ks, ok2 := seps[1].(string)
				if !ok1 || !ok2 {
					return nil, errors.New("separators must be a pair of strings")
				}
				o.itemSep, o.keySep = is, ks
			}
		}
		return toJSON(v, o)
	case "trim":
		a, err := p("chars")
		if err != nil {
			return nil, err
		}
		f, err := stripSet(name, a[0])
		if err != nil {
			return nil, err
		}
		return strings.TrimFunc(str(v), f), nil
	case "length", "count":
		return length(v)
	case "upper":
		return strings.ToUpper(str(v)), nil
	case "lower":
		return strings.ToLower(str(v)), nil
	case "title":
		return jinjaTitle(str(v)), nil
	case "capitalize":
		return pyCapitalize(str(v)), nil
	case "string":
		return str(v), nil
	case "safe":
		return v, nil
	case "escape", "e", "forceescape":
		return htmlEscape(str(v)), nil
	case "default", "d":
		a, err := p("default_value", "boolean")
		if err != nil {
			return nil, err
		}
		_, isUndef := v.(undef)
		if isUndef || truthy(argOr(a[1], false)) && !truthy(v) {
			return argOr(a[0], ""), nil
		}
		return v, nil
	case "first", "last":
		items, err := iterItems(v)
		if err != nil {
			return nil, err
		}
		if len(items) == 0 {
			return undef{hint: "No first item, sequence was empty."}, nil
		}
		if name == "first" {
			return items[0], nil
		}
		return items[len(items)-1], nil
	case "list":
		items, err := iterItems(v)
		if err != nil {
			return nil, err
		}
		return append([]value{}, items...), nil
	case "reverse":
		if s, ok := v.(string); ok {
			r := []rune(s)
			slices.Reverse(r)
			return string(r), nil
		}
		items, err := iterItems(v)
		if err != nil {
			return nil, err
		}
		out := slices.Clone(items)
		slices.Reverse(out)
		return out, nil
	case "join":
		a, err := p("d", "attribute")
		if err != nil {
			return nil, err
		}
		items, err := iterItems(v)
		if err != nil {
			return nil, err
		}
		sep := str(argOr(a[0], ""))
		var b strings.Builder
		for i, it := range items {
			if a[1] != nil {
				if it, err = ev.attrPath(it, a[1]); err != nil {
					return nil, err
				}
			}
			if i > 0 {
				b.WriteString(sep)
			}
			b.WriteString(str(it))
			if b.Len() > maxOutput {
				return nil, errors.New("string too long")
			}
		}
		return b.String(), nil
	case "replace":
		a, err := p("old", "new", "count")
		if err != nil {
			return nil, err
		}
		return pyReplace(str(v), a[0], a[1], a[2])
	case "int":
		a, err := p("default", "base")
		if err != nil {
			return nil, err
		}
		return toInt(v, argOr(a[0], int64(0)), argOr(a[1], int64(10)))
	case "float":
		a, err := p("default")
		if err != nil {
			return nil, err
		}
		def := argOr(a[0], 0.0)
		switch x := v.(type) {
		case float64:
			return x, nil
		case int64, bool:
			f, _ := number(x)
			return f, nil
		case string:
			f, err := strconv.ParseFloat(strings.TrimFunc(strings.ReplaceAll(x, "_", ""), isPySpace), 64)
			if err != nil && !errors.Is(err, strconv.ErrRange) {
				return def, nil
			}
			return f, nil
		}
		return def, nil
	case "abs":
		switch x := v.(type) {
		case int64:
			if x == math.MinInt64 {
				return nil, errors.New("integer overflow")
			}
			if x < 0 {
				return -x, nil
			}
			return x, nil
		case bool:
			i, _ := asInt(x)
			return i, nil
		case float64:
			return math.Abs(x), nil
		}
		return nil, fmt.Errorf("bad operand type for abs(): '%s'", typeName(v))
	case "round":
		a, err := p("precision", "method")
		if err != nil {
			return nil, err
		}
		prec, err := needInt("round", argOr(a[0], int64(0)))
		if err != nil {
			return nil, err
		}
		f, ok := number(v)
		if !ok {
			return nil, fmt.Errorf("round expects a number, not %s", typeName(v))
		}
		return pyRound(f, int(min(max(prec, -30), 30)), str(argOr(a[1], "common")))
	case "items":
		switch x := v.(type) {
		case *dict:
			return dictItems(x), nil
		case undef:
			return []value{}, nil
		}
		return nil, fmt.Errorf("can only get item pairs from a mapping, not %s", typeName(v))
	case "dictsort":
		a, err := p("case_sensitive", "by", "reverse")
		if err != nil {
			return nil, err
		}
		d, ok := v.(*dict)
		if !ok {
			return nil, fmt.Errorf("dictsort expects a mapping, not %s", typeName(v))
		}
		items := dictItems(d)
		byValue := str(argOr(a[1], "key")) == "value"
		cs := truthy(argOr(a[0], false))
		var sortErr error
		slices.SortStableFunc(items, func(x, y value) int {
			i := 0
			if byValue {
				i = 1
			}
			c, err := ev.sortCmp(x.(tuple)[i], y.(tuple)[i], cs)
			if err != nil {
				sortErr = err
			}
			return c
		})
		if truthy(argOr(a[2], false)) {
			slices.Reverse(items)
		}
		return items, sortErr
	case "sort":
		a, err := p("reverse", "case_sensitive", "attribute")
		if err != nil {
			return nil, err
		}
		items, err := iterItems(v)
		if err != nil {
			return nil, err
		}
		return ev.sorted(items, truthy(argOr(a[0], false)), truthy(argOr(a[1], false)), a[2])
	case "unique":
		a, err := p("case_sensitive", "attribute")
		if err != nil {
			return nil, err
		}
		items, err := iterItems(v)
		if err != nil {
			return nil, err
		}
		var out, keys []value
		for _, it := range items {
			k := it
			if a[1] != nil {
				if k, err = ev.attrPath(it, a[1]); err != nil {
					return nil, err
				}
			}
			if s, ok := k.(string); ok && !truthy(argOr(a[0], false)) {
				k = strings.ToLower(s)
			}
			if !slices.ContainsFunc(keys, func(x value) bool { return equal(x, k) }) {
				keys = append(keys, k)
				out = append(out, it)
			}
		}
		if out == nil {
			out = []value{}
		}
		return out, nil
	case "min", "max":
		a, err := p("case_sensitive", "attribute")
		if err != nil {
			return nil, err
		}
		items, err := iterItems(v)
		if err != nil {
			return nil, err
		}
		if len(items) == 0 {
			return undef{hint: "No aggregated item, sequence was empty."}, nil
		}
		s, err := ev.sorted(items, name == "max", truthy(argOr(a[0], false)), a[1])
		if err != nil {
			return nil, err
		}
		return s.([]value)[0], nil
	case "sum":
		a, err := p("attribute", "start")
		if err != nil {
			return nil, err
		}
		items, err := iterItems(v)
		if err != nil {
			return nil, err
		}
		total := argOr(a[1], int64(0))
		for _, it := range items {
			if a[0] != nil {
				if it, err = ev.attrPath(it, a[0]); err != nil {
					return nil, err
				}
			}
			if total, err = ev.arith(0, "+", total, it); err != nil {
				return nil, err
			}
		}
		return total, nil
	case "map":
		items, err := iterItems(v)
		if err != nil {
			return nil, err
		}
		out := make([]value, 0, len(items))
		var attr, def value
		for _, k := range kw {
			switch k.name {
			case "attribute":
				attr = k.v
			case "default":
				def = k.v
			}
		}
		if attr != nil {
			for _, it := range items {
				x, err := ev.attrPath(it, attr)
				if err != nil {
					return nil, err
				}
				if _, isU := x.(undef); isU && def != nil {
					x = def
				}
				out = append(out, x)
			}
			return out, nil
		}
		if len(args) == 0 {
			return nil, errors.New("map needs a filter name or attribute=")
		}
		fname, err := needStr("map", args[0])
		if err != nil {
			return nil, err
		}
		for _, it := range items {
			x, err := ev.filter(fname, it, args[1:], kw)
			if err != nil {
				return nil, err
			}
			out = append(out, x)
		}
		return out, nil
	case "select", "reject", "selectattr", "rejectattr":
		items, err := iterItems(v)
		if err != nil {
			return nil, err
		}
		byAttr := strings.HasSuffix(name, "attr")
		keep := strings.HasPrefix(name, "select")
		rest := args
		var attr value
		if byAttr {
			if len(rest) == 0 {
				return nil, fmt.Errorf("%s needs an attribute name", name)
			}
			attr, rest = rest[0], rest[1:]
		}
		out := []value{}
		for _, it := range items {
			x := it
			if byAttr {
				if x, err = ev.attrPath(it, attr); err != nil {
					return nil, err
				}
			}
			var ok bool
			if len(rest) == 0 {
				ok = truthy(x)
			} else {
				tname, err := needStr(name, rest[0])
				if err != nil {
					return nil, err
				}
				if ok, err = ev.test(tname, x, rest[1:]); err != nil {
					return nil, err
				}
			}
			if ok == keep {
				out = append(out, it)
			}
		}
		return out, nil
	case "attr":
		a, err := p("name")
		if err != nil {
			return nil, err
		}
		n, err := needStr("attr", argOr(a[0], ""))
		if err != nil {
			return nil, err
		}
		// Jinja2's attr looks up attributes only, never items, so on a
		// dict it finds methods and nothing else.
		if d, ok := v.(*dict); ok {
			if m := method(d, n); m != nil {
				return m, nil
			}
			return undef{hint: fmt.Sprintf("'dict object' has no attribute '%s'", n)}, nil
		}
		return ev.getAttr(0, v, n)
	case "indent":
		a, err := p("width", "first", "blank")
		if err != nil {
			return nil, err
		}
		ind := "    "
		switch w := argOr(a[0], int64(4)).(type) {
		case string:
			ind = w
		default:
			n, err := needInt("indent", w)
			if err != nil {
				return nil, err
			}
			ind = strings.Repeat(" ", int(min(max(n, 0), 256)))
		}
		return indent(str(v), ind, truthy(argOr(a[1], false)), truthy(argOr(a[2], false))), nil
	case "center":
		a, err := p("width")
		if err != nil {
			return nil, err
		}
		w, err := needInt("center", argOr(a[0], int64(80)))
		if err != nil {
			return nil, err
		}
		if w > maxOutput {
			return nil, errors.New("width too large")
		}
		return pad(str(v), "center", int(w), " "), nil
	case "wordcount":
		return int64(len(strings.FieldsFunc(str(v), func(r rune) bool { return !(unicode.IsLetter(r) || unicode.IsDigit(r) || r == '_') }))), nil
	case "format":
		return pyPercent(str(v), args)
	case "batch", "slice", "groupby", "truncate", "wordwrap", "urlize", "urlencode", "xmlattr", "striptags", "filesizeformat", "pprint", "random":
		return nil, fmt.Errorf("filter %s is not supported", name)
	}
	return nil, fmt.Errorf("no filter named '%s'", name)
}

// attrPath looks up attribute=, which may be dotted ("function.name") or
// an integer index, as Jinja2's make_attrgetter does.
func (ev *evaluator) attrPath(v value, attr value) (value, error) {
	if i, ok := attr.(int64); ok {
		return ev.getItem(0, v, i)
	}
	s, err := needStr("attribute", attr)
	if err != nil {
		return nil, err
	}
	for _, part := range strings.Split(s, ".") {
		var key value = part
		if n, err := strconv.ParseInt(part, 10, 64); err == nil {
			key = n
		}
		if v, err = ev.getItem(0, v, key); err != nil {
			return nil, err
		}
	}
	return v, nil
}

func (ev *evaluator) sortCmp(x, y value, caseSensitive bool) (int, error) {
	if !caseSensitive {
		if s, ok := x.(string); ok {
			x = strings.ToLower(s)
		}
		if s, ok := y.(string); ok {
			y = strings.ToLower(s)
		}
	}
	return ev.order(0, "<", x, y)
}

func (ev *evaluator) sorted(items []value, reverse, caseSensitive bool, attr value) (value, error) {
	type kv struct{ k, v value }
	ks := make([]kv, len(items))
	for i, it := range items {
		k := it
		if attr != nil {
			var err error
			if k, err = ev.attrPath(it, attr); err != nil {
				return nil, err
			}
		}
		ks[i] = kv{k, it}
	}
	var sortErr error
	slices.SortStableFunc(ks, func(a, b kv) int {
		c, err := ev.sortCmp(a.k, b.k, caseSensitive)
		if err != nil && sortErr == nil {
			sortErr = err
		}
		if reverse {
			return -c
		}
		return c
	})
	out := make([]value, len(ks))
	for i, e := range ks {
		out[i] = e.v
	}
	return out, sortErr
}

func length(v value) (value, error) {
	switch x := v.(type) {
	case string:
		return int64(utf8.RuneCountInString(x)), nil
	case []value:
		return int64(len(x)), nil
	case tuple:
		return int64(len(x)), nil
	case *dict:
		return int64(len(x.keys)), nil
	case *namespace:
		return int64(len(x.d.keys)), nil
	case undef:
		return int64(0), nil
	}
	return nil, fmt.Errorf("object of type '%s' has no len()", typeName(v))
}

func htmlEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&#34;", "'", "&#39;").Replace(s)
}

func indent(s, ind string, first, blank bool) string {
	lines := strings.Split(s, "\n")
	var b strings.Builder
	for i, l := range lines {
		if i > 0 {
			b.WriteByte('\n')
		}
		if (i > 0 || first) && (blank || strings.TrimFunc(l, isPySpace) != "") {
			b.WriteString(ind)
		}
		b.WriteString(l)
	}
	return b.String()
}

func toInt(v, def, basev value) (value, error) {
	switch x := v.(type) {
	case int64:
		return x, nil
	case bool:
		i, _ := asInt(x)
		return i, nil
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) || math.Abs(x) >= 9.2e18 {
			return def, nil
		}
		return int64(x), nil
	case string:
		base, _ := asInt(basev)
		s := strings.ReplaceAll(strings.TrimFunc(x, isPySpace), "_", "")
		if base == 10 {
			if i, err := strconv.ParseInt(s, 10, 64); err == nil {
				return i, nil
			}
			if f, err := strconv.ParseFloat(s, 64); err == nil && !math.IsInf(f, 0) && !math.IsNaN(f) && math.Abs(f) < 9.2e18 {
				return int64(f), nil
			}
			return def, nil
		}
		if i, err := strconv.ParseInt(s, int(base), 64); err == nil {
			return i, nil
		}
		return def, nil
	}
	return def, nil
}

// pyRound is Jinja2's round filter: "common" rounds half to even (Python's
// round), "floor" and "ceil" as named; the result is a float.
func pyRound(f float64, prec int, method string) (value, error) {
	p := math.Pow(10, float64(prec))
	switch method {
	case "common":
		// Python rounds the exact decimal value; FormatFloat does the same.
		r, err := strconv.ParseFloat(strconv.FormatFloat(f, 'f', max(prec, 0), 64), 64)
		if err != nil {
			return nil, err
		}
		if prec < 0 {
			r = math.RoundToEven(f*p) / p
		}
		return r, nil
	case "floor":
		return math.Floor(f*p) / p, nil
	case "ceil":
		return math.Ceil(f*p) / p, nil
	}
	return nil, errors.New("method must be common, ceil or floor")
}

// pyPercent is Python's "format % args" for the conversions templates use:
// %s %r %d %i %f %e %g %x %%, with flags, width and precision.
func pyPercent(f string, args []value) (value, error) {
	if len(args) == 1 {
		if t, ok := args[0].(tuple); ok {
			args = t
		}
	}
	var b strings.Builder
	ai := 0
	for i := 0; i < len(f); i++ {
		c := f[i]
		if c != '%' {
			b.WriteByte(c)
			continue
		}
		j := i + 1
		for j < len(f) && strings.IndexByte("-+ #0", f[j]) >= 0 {
			j++
		}
		for j < len(f) && (f[j] >= '0' && f[j] <= '9' || f[j] == '.') {
			j++
		}
		if j >= len(f) {
			return nil, errors.New("incomplete format")
		}
		spec, verb := f[i+1:j], f[j]
		i = j
		if verb == '%' {
			b.WriteByte('%')
			continue
		}
		if ai >= len(args) {
			return nil, errors.New("not enough arguments for format string")
		}
		a := args[ai]
		ai++
		switch verb {
		case 's':
			fmt.Fprintf(&b, "%"+spec+"s", str(a))
		case 'r':
			fmt.Fprintf(&b, "%"+spec+"s", repr(a))
		case 'd', 'i':
			n, ok := number(a)
			if !ok {
				return nil, fmt.Errorf("%%d format: a real number is required, not %s", typeName(a))
			}
			fmt.Fprintf(&b, "%"+spec+"d", int64(n))
		case 'f', 'F', 'e', 'E', 'g', 'G':
			n, ok := number(a)
			if !ok {
				return nil, fmt.Errorf("must be real number, not %s", typeName(a))
			}
			if !strings.Contains(spec, ".") && verb != 'g' && verb != 'G' {
				spec += ".6"
			}
			fmt.Fprintf(&b, "%"+spec+string(verb), n)
		case 'x', 'X', 'o':
			n, ok := asInt(a)
			if !ok {
				return nil, fmt.Errorf("%%%c format: an integer is required, not %s", verb, typeName(a))
			}
			fmt.Fprintf(&b, "%"+spec+string(verb), n)
		default:
			return nil, fmt.Errorf("unsupported format character '%c'", verb)
		}
		if b.Len() > maxOutput {
			return nil, errors.New("string too long")
		}
	}
	if ai < len(args) {
		return nil, errors.New("not all arguments converted during string formatting")
	}
	return b.String(), nil
}

// ---- tests ----

func (ev *evaluator) evalTest(e *testExpr, sc *scope) (value, error) {
	v, err := ev.eval(e.arg, sc)
	if err != nil {
		return nil, err
	}
	args, _, err := ev.evalArgs(e.args, nil, sc)
	if err != nil {
		return nil, err
	}
	ok, err := ev.test(e.name, v, args)
	if err != nil {
		var re *RenderError
		if errors.As(err, &re) {
			return nil, err
		}
		return nil, ev.fail(e.line, "test %s: %v", e.name, err)
	}
	return ok != e.neg, nil
}

func (ev *evaluator) test(name string, v value, args []value) (bool, error) {
	arg := func() (value, error) {
		if len(args) != 1 {
			return nil, fmt.Errorf("test %s takes one argument", name)
		}
		return args[0], nil
	}
	switch name {
	case "defined":
		_, u := v.(undef)
		return !u, nil
	case "undefined":
		_, u := v.(undef)
		return u, nil
	case "none":
		_, n := v.(none)
		return n, nil
	case "boolean":
		_, b := v.(bool)
		return b, nil
	case "true", "false":
		b, ok := v.(bool)
		return ok && b == (name == "true"), nil
	case "integer":
		_, ok := v.(int64)
		return ok, nil
	case "float":
		_, ok := v.(float64)
		return ok, nil
	case "number":
		_, ok := number(v)
		return ok, nil
	case "string":
		_, ok := v.(string)
		return ok, nil
	case "mapping":
		_, ok := v.(*dict)
		return ok, nil
	case "iterable":
		switch v.(type) {
		case string, []value, tuple, *dict, undef:
			return true, nil
		}
		return false, nil
	case "sequence":
		switch v.(type) {
		case string, []value, tuple, *dict, undef:
			return true, nil
		}
		return false, nil
	case "callable":
		switch v.(type) {
		case *builtin, *macroVal:
			return true, nil
		}
		return false, nil
	case "odd", "even":
		i, ok := asInt(v)
		if !ok {
			return false, fmt.Errorf("test %s needs an integer, not %s", name, typeName(v))
		}
		return (i%2 != 0) == (name == "odd"), nil
	case "divisibleby":
		a, err := arg()
		if err != nil {
			return false, err
		}
		i, ok1 := asInt(v)
		d, ok2 := asInt(a)
		if !ok1 || !ok2 {
			return false, errors.New("divisibleby needs integers")
		}
		if d == 0 {
			return false, errors.New("integer division or modulo by zero")
		}
		return i%d == 0, nil
	case "eq", "equalto", "==", "ne", "!=", "lt", "<", "le", "<=", "gt", ">", "ge", ">=":
		a, err := arg()
		if err != nil {
			return false, err
		}
		op := map[string]string{"eq": "==", "equalto": "==", "ne": "!=", "lt": "<", "le": "<=", "gt": ">", "ge": ">="}[name]
		if op == "" {
			op = name
		}
		return ev.compare(0, op, v, a)
	case "in":
		a, err := arg()
		if err != nil {
			return false, err
		}
		return ev.contains(0, a, v)
	case "sameas":
		a, err := arg()
		if err != nil {
			return false, err
		}
		switch x := v.(type) {
		case none, undef, bool:
			return x == a, nil
		}
		return false, nil
	case "lower":
		s := str(v)
		return s == strings.ToLower(s), nil
	case "upper":
		s := str(v)
		return s == strings.ToUpper(s), nil
	case "escaped":
		return false, nil
	}
	return false, fmt.Errorf("no test named '%s'", name)
}
