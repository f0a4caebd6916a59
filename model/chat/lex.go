package chat

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// The lexer follows Jinja2's with the options Hugging Face sets:
// trim_blocks (the first newline after a block or comment tag is dropped),
// lstrip_blocks (spaces and tabs before a block or comment tag at the start
// of a line are dropped), "-" and "+" whitespace control on tags, and
// keep_trailing_newline off. Like Jinja2 it first rewrites every line break
// Python's str.splitlines knows to "\n" and drops one trailing newline.

type tokKind uint8

const (
	tEOF tokKind = iota
	tText
	tVarBegin
	tVarEnd
	tBlockBegin
	tBlockEnd
	tName
	tString
	tInt
	tFloat
	tOp
)

type token struct {
	kind tokKind
	val  string // text, name, decoded string, number literal or operator
	line int
}

func (t token) String() string {
	switch t.kind {
	case tEOF:
		return "end of template"
	case tText:
		return "text"
	case tVarBegin:
		return "'{{'"
	case tVarEnd:
		return "'}}'"
	case tBlockBegin:
		return "'{%'"
	case tBlockEnd:
		return "'%}'"
	case tString:
		return "string"
	case tInt, tFloat:
		return "number " + t.val
	}
	return "'" + t.val + "'"
}

// normalizeNewlines does what Jinja2 does to a template source before
// lexing: source.splitlines() joined with "\n", which also drops one
// trailing line break.
func normalizeNewlines(src string) string {
	var b strings.Builder
	b.Grow(len(src))
	for i := 0; i < len(src); {
		r, n := utf8.DecodeRuneInString(src[i:])
		switch r {
		case '\r':
			if i+1 < len(src) && src[i+1] == '\n' {
				n = 2
			}
			b.WriteByte('\n')
		case '\n', '\v', '\f', 0x1c, 0x1d, 0x1e, 0x85, 0x2028, 0x2029:
			b.WriteByte('\n')
		default:
			b.WriteString(src[i : i+n])
		}
		i += n
	}
	s := b.String()
	return strings.TrimSuffix(s, "\n")
}

// isPySpace reports whether Python's str.isspace holds for r.
func isPySpace(r rune) bool {
	return unicode.IsSpace(r) || (r >= 0x1c && r <= 0x1f)
}

func pyRstrip(s string) string { return strings.TrimRightFunc(s, isPySpace) }

type lexer struct {
	src    string
	pos    int
	line   int
	toks   []token
	ending string // "}}" or "%}" while inside a tag
}

func (lx *lexer) errorf(format string, args ...any) error {
	return &SyntaxError{Line: lx.line, Msg: fmt.Sprintf(format, args...)}
}

func (lx *lexer) emit(k tokKind, v string, line int) {
	lx.toks = append(lx.toks, token{kind: k, val: v, line: line})
}

func (lx *lexer) advance(n int) {
	lx.line += strings.Count(lx.src[lx.pos:lx.pos+n], "\n")
	lx.pos += n
}

func lex(src string) ([]token, error) {
	lx := &lexer{src: normalizeNewlines(src), line: 1}
	if err := lx.run(); err != nil {
		return nil, err
	}
	lx.emit(tEOF, "", lx.line)
	return lx.toks, nil
}

// nextTag finds the next "{{", "{%" or "{#" at or after from.
func nextTag(s string, from int) int {
	for i := from; ; {
		j := strings.IndexByte(s[i:], '{')
		if j < 0 || i+j+1 >= len(s) {
			return -1
		}
		i += j
		if c := s[i+1]; c == '{' || c == '%' || c == '#' {
			return i
		}
		i++
	}
}

func (lx *lexer) run() error {
	lineStarting := true
	for lx.pos < len(lx.src) {
		i := nextTag(lx.src, lx.pos)
		if i < 0 {
			lx.emit(tText, lx.src[lx.pos:], lx.line)
			lx.advance(len(lx.src) - lx.pos)
			break
		}
		text := lx.src[lx.pos:i]
		kind := lx.src[i+1]
		sign := byte(0)
		if i+2 < len(lx.src) && (lx.src[i+2] == '-' || lx.src[i+2] == '+') {
			sign = lx.src[i+2]
		}
		// A raw block is taken whole, before its "-" or "+" is applied to
		// the text, because its end tag decides what follows it.
		switch {
		case sign == '-':
			text = pyRstrip(text)
		case sign != '+' && kind != '{':
			l := strings.LastIndexByte(text, '\n') + 1
			if (l > 0 || lineStarting) && l < len(text) && strings.TrimLeftFunc(text[l:], isPySpace) == "" {
				text = text[:l]
			}
		}
		textLine := lx.line
		lx.advance(i - lx.pos)
		if text != "" {
			lx.emit(tText, text, textLine)
		}
		open := 2
		if sign != 0 {
			open = 3
		}
		var err error
		switch kind {
		case '#':
			lineStarting, err = lx.comment(open)
		case '%':
			if ok, ls, rerr := lx.raw(open); ok || rerr != nil {
				lineStarting, err = ls, rerr
				break
			}
			lx.emit(tBlockBegin, "", lx.line)
			lx.advance(open)
			lineStarting, err = lx.inside("%}", tBlockEnd, true)
		default:
			lx.emit(tVarBegin, "", lx.line)
			lx.advance(open)
			lineStarting, err = lx.inside("}}", tVarEnd, false)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// tagEnd consumes a tag's end marker at lx.pos if there is one ("-%}",
// "+%}" or "%}", likewise for "}}" and "#}"), with what Jinja2's end rule
// takes after it: all whitespace after "-", one newline after a plain
// block or comment end (trim_blocks), nothing after "+". It reports whether
// an end was found and whether the consumed text ended a line.
func (lx *lexer) tagEnd(end string, trim bool) (found, lineEnd bool) {
	s := lx.src[lx.pos:]
	switch {
	case strings.HasPrefix(s, "-"+end):
		n := len(end) + 1
		rest := s[n:]
		ws := len(rest) - len(strings.TrimLeftFunc(rest, isPySpace))
		lx.advance(n + ws)
		return true, ws > 0 && rest[ws-1] == '\n'
	case trim && strings.HasPrefix(s, "+"+end):
		lx.advance(len(end) + 1)
		return true, false
	case strings.HasPrefix(s, end):
		n := len(end)
		if trim && n < len(s) && s[n] == '\n' {
			lx.advance(n + 1)
			return true, true
		}
		lx.advance(n)
		return true, false
	}
	return false, false
}

func (lx *lexer) comment(open int) (bool, error) {
	start := lx.line
	lx.advance(open)
	for {
		j := strings.Index(lx.src[lx.pos:], "#}")
		if j < 0 {
			lx.line = start
			return false, lx.errorf("comment is not closed")
		}
		k := lx.pos + j
		if j > 0 && (lx.src[k-1] == '-' || lx.src[k-1] == '+') {
			k--
		}
		lx.advance(k - lx.pos)
		if found, ls := lx.tagEnd("#}", true); found {
			return ls, nil
		}
		lx.advance(1)
	}
}

// raw handles "{% raw %}...{% endraw %}", whose content is text.
func (lx *lexer) raw(open int) (bool, bool, error) {
	s := lx.src[lx.pos+open:]
	t := strings.TrimLeftFunc(s, isPySpace)
	if !strings.HasPrefix(t, "raw") {
		return false, false, nil
	}
	t = strings.TrimLeftFunc(t[3:], isPySpace)
	if !(strings.HasPrefix(t, "%}") || strings.HasPrefix(t, "-%}") || strings.HasPrefix(t, "+%}")) {
		return false, false, nil
	}
	start := lx.line
	lx.advance(open + len(s) - len(t))
	lx.tagEnd("%}", true)
	for from := lx.pos; ; {
		i := strings.Index(lx.src[from:], "{%")
		if i < 0 {
			lx.line = start
			return true, false, lx.errorf("raw block is not closed with endraw")
		}
		i += from
		j := i + 2
		sign := byte(0)
		if j < len(lx.src) && (lx.src[j] == '-' || lx.src[j] == '+') {
			sign = lx.src[j]
			j++
		}
		u := strings.TrimLeftFunc(lx.src[j:], isPySpace)
		if !strings.HasPrefix(u, "endraw") {
			from = i + 2
			continue
		}
		u2 := strings.TrimLeftFunc(u[6:], isPySpace)
		if !(strings.HasPrefix(u2, "%}") || strings.HasPrefix(u2, "-%}") || strings.HasPrefix(u2, "+%}")) {
			from = i + 2
			continue
		}
		text := lx.src[lx.pos:i]
		if sign == '-' {
			text = pyRstrip(text)
		}
		if text != "" {
			lx.emit(tText, text, lx.line)
		}
		lx.advance(len(lx.src) - len(u2) - lx.pos)
		_, ls := lx.tagEnd("%}", true)
		return true, ls, nil
	}
}

// inside lexes the expression tokens of a tag up to its end marker. As in
// Jinja2, an end marker only counts while brackets are balanced, so
// "{{ {'a': {'b': 1}} }}" works.
func (lx *lexer) inside(end string, endKind tokKind, trim bool) (bool, error) {
	start := lx.line
	var stack []byte
	for {
		for lx.pos < len(lx.src) {
			r, n := utf8.DecodeRuneInString(lx.src[lx.pos:])
			if !isPySpace(r) {
				break
			}
			lx.advance(n)
		}
		if lx.pos >= len(lx.src) {
			lx.line = start
			return false, lx.errorf("tag is not closed with %q", end)
		}
		if len(stack) == 0 {
			if found, ls := lx.tagEnd(end, trim); found {
				lx.emit(endKind, "", lx.line)
				return ls, nil
			}
		}
		s := lx.src[lx.pos:]
		c := s[0]
		switch {
		case c == '\'' || c == '"':
			v, n, err := lx.stringLit(s)
			if err != nil {
				return false, err
			}
			lx.emit(tString, v, lx.line)
			lx.advance(n)
		case c >= '0' && c <= '9':
			k, v, n := numberLit(s)
			lx.emit(k, v, lx.line)
			lx.advance(n)
		case isNameStart(s):
			n := nameLen(s)
			lx.emit(tName, s[:n], lx.line)
			lx.advance(n)
		default:
			op := ""
			for _, o := range [...]string{"//", "**", "==", "!=", "<=", ">=", "+", "-", "*", "/", "%", "~", "<", ">", "=", ".", ",", ":", "|", "(", ")", "[", "]", "{", "}"} {
				if strings.HasPrefix(s, o) {
					op = o
					break
				}
			}
			if op == "" {
				r, _ := utf8.DecodeRuneInString(s)
				return false, lx.errorf("unexpected character %q", r)
			}
			switch op {
			case "(", "[", "{":
				if len(stack) > 200 {
					return false, lx.errorf("brackets nested too deeply")
				}
				stack = append(stack, op[0])
			case ")", "]", "}":
				want := map[string]byte{")": '(', "]": '[', "}": '{'}[op]
				if len(stack) == 0 || stack[len(stack)-1] != want {
					return false, lx.errorf("unexpected %q", op)
				}
				stack = stack[:len(stack)-1]
			}
			lx.emit(tOp, op, lx.line)
			lx.advance(len(op))
		}
	}
}

func isNameStart(s string) bool {
	r, _ := utf8.DecodeRuneInString(s)
	return r == '_' || unicode.IsLetter(r)
}

func nameLen(s string) int {
	n := 0
	for n < len(s) {
		r, w := utf8.DecodeRuneInString(s[n:])
		if r != '_' && !unicode.IsLetter(r) && !unicode.IsDigit(r) {
			break
		}
		n += w
	}
	return n
}

func digits(s string, i int) int {
	for i < len(s) && (s[i] >= '0' && s[i] <= '9' || s[i] == '_' && i+1 < len(s) && s[i+1] >= '0' && s[i+1] <= '9') {
		i++
	}
	return i
}

// numberLit scans an integer or float literal as Jinja2 does: digits with
// optional "_" separators, an optional fraction and exponent.
func numberLit(s string) (tokKind, string, int) {
	i := digits(s, 0)
	k := tInt
	if i+1 < len(s) && s[i] == '.' && s[i+1] >= '0' && s[i+1] <= '9' {
		i = digits(s, i+1)
		k = tFloat
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		j := i + 1
		if j < len(s) && (s[j] == '+' || s[j] == '-') {
			j++
		}
		if j < len(s) && s[j] >= '0' && s[j] <= '9' {
			i = digits(s, j)
			k = tFloat
		}
	}
	return k, strings.ReplaceAll(s[:i], "_", ""), i
}

// stringLit decodes a quoted literal the way Jinja2 does (Python's
// unicode-escape): \n \t \\ \' \" \xhh \uhhhh \Uhhhhhhhh \ooo \N{...} are
// decoded, and an unknown escape keeps its backslash.
func (lx *lexer) stringLit(s string) (string, int, error) {
	q := s[0]
	var b strings.Builder
	i := 1
	for i < len(s) {
		c := s[i]
		if c == q {
			return b.String(), i + 1, nil
		}
		if c != '\\' {
			b.WriteByte(c)
			i++
			continue
		}
		if i+1 >= len(s) {
			break
		}
		e := s[i+1]
		i += 2
		switch e {
		case '\n':
		case '\\', '\'', '"':
			b.WriteByte(e)
		case 'n':
			b.WriteByte('\n')
		case 't':
			b.WriteByte('\t')
		case 'r':
			b.WriteByte('\r')
		case 'a':
			b.WriteByte('\a')
		case 'b':
			b.WriteByte('\b')
		case 'f':
			b.WriteByte('\f')
		case 'v':
			b.WriteByte('\v')
		case 'x', 'u', 'U':
			n := map[byte]int{'x': 2, 'u': 4, 'U': 8}[e]
			if i+n > len(s) {
				return "", 0, lx.errorf("truncated \\%c escape in string", e)
			}
			var r rune
			for _, h := range s[i : i+n] {
				d := hexVal(byte(h))
				if d < 0 {
					return "", 0, lx.errorf("truncated \\%c escape in string", e)
				}
				r = r*16 + rune(d)
			}
			if r > unicode.MaxRune {
				return "", 0, lx.errorf("illegal Unicode character in string")
			}
			b.WriteRune(r)
			i += n
		case '0', '1', '2', '3', '4', '5', '6', '7':
			r := rune(e - '0')
			for k := 0; k < 2 && i < len(s) && s[i] >= '0' && s[i] <= '7'; k++ {
				r = r*8 + rune(s[i]-'0')
				i++
			}
			b.WriteRune(r)
		case 'N':
			j := strings.IndexByte(s[i:], '}')
			if i >= len(s) || s[i] != '{' || j < 0 {
				return "", 0, lx.errorf("malformed \\N escape in string")
			}
			r, ok := unicodeNames[strings.ToUpper(s[i+1:i+j])]
			if !ok {
				return "", 0, lx.errorf("unknown Unicode character name %q", s[i+1:i+j])
			}
			b.WriteRune(r)
			i += j + 1
		default:
			b.WriteByte('\\')
			b.WriteByte(e)
		}
	}
	return "", 0, lx.errorf("string literal is not closed")
}

// unicodeNames holds the few \N{...} names seen in chat templates; Go has
// no Unicode name table in the standard library.
var unicodeNames = map[string]rune{
	"BULLET": '•', "NO-BREAK SPACE": 0xa0, "EM DASH": '—', "EN DASH": '–',
	"HORIZONTAL ELLIPSIS": '…', "ZERO WIDTH SPACE": 0x200b, "LINE FEED": '\n',
	"SPACE": ' ', "CHARACTER TABULATION": '\t',
}

func hexVal(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'a' && c <= 'f':
		return int(c-'a') + 10
	case c >= 'A' && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}
