package jsonl

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math/bits"
)

// maxDepth bounds nesting so a hostile line such as 1e6 '[' cannot blow the
// stack; encoding/json uses the same limit.
const maxDepth = 10000

// SyntaxError describes malformed JSON in one line. Offset is the 0-based
// byte offset in the line where the problem was found.
type SyntaxError struct {
	Offset int
	msg    string
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("invalid JSON: %s (byte %d)", e.msg, e.Offset+1)
}

func syntaxErr(off int, format string, args ...any) *SyntaxError {
	return &SyntaxError{Offset: off, msg: fmt.Sprintf(format, args...)}
}

// describe renders the byte at b[i] for an error message, or "end of line".
// Only one byte is shown so a multi-megabyte line never lands in a message.
func describe(b []byte, i int) string {
	if i >= len(b) {
		return "end of line"
	}
	c := b[i]
	if c >= 0x20 && c < 0x7f {
		return fmt.Sprintf("'%c'", c)
	}
	return fmt.Sprintf("byte 0x%02x", c)
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// skipSpace returns the index of the first non-whitespace byte at or after i.
func skipSpace(b []byte, i int) int {
	for i < len(b) && isSpace(b[i]) {
		i++
	}
	return i
}

// isBlank reports whether b holds only JSON whitespace.
func isBlank(b []byte) bool { return skipSpace(b, 0) == len(b) }

// SWAR constants: a word with every byte set to 0x01 / 0x80 / c.
const (
	lo8 = 0x0101010101010101
	hi8 = 0x8080808080808080
)

// specialMask flags (high bit of each byte lane) the bytes of w, read
// little-endian, that end the fast path of a string: '"', '\\' or a control
// byte below 0x20. Each of the three tests may set spurious bits only above a
// true match (borrows propagate upward), so the lowest set bit is exact.
func specialMask(w uint64) uint64 {
	ctl := (w - lo8*0x20) & ^w
	quo := (w ^ (lo8 * '"'))
	quo = (quo - lo8) & ^quo
	bsl := (w ^ (lo8 * '\\'))
	bsl = (bsl - lo8) & ^bsl
	return (ctl | quo | bsl) & hi8
}

// scanString validates the string starting at b[i] == '"' and returns the
// index just past its closing quote, and whether it holds any escape.
// Invalid UTF-8 is accepted, as encoding/json does, so such bytes pass
// through unchanged.
func scanString(b []byte, i int) (end int, escaped bool, err error) {
	start := i
	i++
	n := len(b)
	for {
		// Text fields dominate JSONL volume: skip 8 plain bytes at a time.
		for i+8 <= n {
			m := specialMask(binary.LittleEndian.Uint64(b[i:]))
			if m != 0 {
				i += bits.TrailingZeros64(m) >> 3
				break
			}
			i += 8
		}
		if i >= n {
			return 0, false, syntaxErr(start, "unterminated string")
		}
		switch c := b[i]; {
		case c == '"':
			return i + 1, escaped, nil
		case c == '\\':
			escaped = true
			if i+1 >= n {
				return 0, false, syntaxErr(start, "unterminated string")
			}
			switch b[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if i+6 > n {
					return 0, false, syntaxErr(i, "truncated \\u escape")
				}
				for _, h := range b[i+2 : i+6] {
					if !isHex(h) {
						return 0, false, syntaxErr(i, "invalid \\u escape")
					}
				}
				i += 6
			default:
				return 0, false, syntaxErr(i, "invalid escape \\%s in string", describe(b, i+1))
			}
		case c < 0x20:
			return 0, false, syntaxErr(i, "control character %s in string", describe(b, i))
		default:
			i++
		}
	}
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// scanNumber validates a number per RFC 8259:
// -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func scanNumber(b []byte, i int) (int, error) {
	start, n := i, len(b)
	if b[i] == '-' {
		i++
	}
	switch {
	case i < n && b[i] == '0':
		i++
	case i < n && isDigit(b[i]):
		for i < n && isDigit(b[i]) {
			i++
		}
	default:
		return 0, syntaxErr(i, "invalid number: unexpected %s", describe(b, i))
	}
	if i < n && b[i] == '.' {
		i++
		if i >= n || !isDigit(b[i]) {
			return 0, syntaxErr(start, "invalid number: no digit after '.'")
		}
		for i < n && isDigit(b[i]) {
			i++
		}
	}
	if i < n && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < n && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if i >= n || !isDigit(b[i]) {
			return 0, syntaxErr(start, "invalid number: no digit in exponent")
		}
		for i < n && isDigit(b[i]) {
			i++
		}
	}
	return i, nil
}

func scanLiteral(b []byte, i int, lit string) (int, error) {
	if len(b)-i < len(lit) || string(b[i:i+len(lit)]) != lit {
		return 0, syntaxErr(i, "invalid literal, want %s", lit)
	}
	return i + len(lit), nil
}

// scanValue validates the JSON value starting exactly at b[i] (no leading
// whitespace) and returns the index just past it. depth counts enclosing
// containers.
func scanValue(b []byte, i, depth int) (int, error) {
	if i >= len(b) {
		return 0, syntaxErr(i, "unexpected end of line, want a value")
	}
	switch c := b[i]; {
	case c == '"':
		end, _, err := scanString(b, i)
		return end, err
	case c == '{':
		return scanObject(b, i, depth+1)
	case c == '[':
		return scanArray(b, i, depth+1)
	case c == '-' || isDigit(c):
		return scanNumber(b, i)
	case c == 't':
		return scanLiteral(b, i, "true")
	case c == 'f':
		return scanLiteral(b, i, "false")
	case c == 'n':
		return scanLiteral(b, i, "null")
	default:
		return 0, syntaxErr(i, "unexpected %s, want a value", describe(b, i))
	}
}

func scanObject(b []byte, i, depth int) (int, error) {
	if depth > maxDepth {
		return 0, syntaxErr(i, "nesting deeper than %d", maxDepth)
	}
	i = skipSpace(b, i+1)
	if i < len(b) && b[i] == '}' {
		return i + 1, nil
	}
	for {
		if i >= len(b) || b[i] != '"' {
			return 0, syntaxErr(i, "unexpected %s, want an object key", describe(b, i))
		}
		end, _, err := scanString(b, i)
		if err != nil {
			return 0, err
		}
		i = skipSpace(b, end)
		if i >= len(b) || b[i] != ':' {
			return 0, syntaxErr(i, "unexpected %s after object key, want ':'", describe(b, i))
		}
		i, err = scanValue(b, skipSpace(b, i+1), depth)
		if err != nil {
			return 0, err
		}
		i = skipSpace(b, i)
		if i < len(b) && b[i] == ',' {
			i = skipSpace(b, i+1)
			continue
		}
		if i < len(b) && b[i] == '}' {
			return i + 1, nil
		}
		return 0, syntaxErr(i, "unexpected %s in object, want ',' or '}'", describe(b, i))
	}
}

func scanArray(b []byte, i, depth int) (int, error) {
	if depth > maxDepth {
		return 0, syntaxErr(i, "nesting deeper than %d", maxDepth)
	}
	i = skipSpace(b, i+1)
	if i < len(b) && b[i] == ']' {
		return i + 1, nil
	}
	for {
		// Token id arrays are the commonest arrays: take plain non-negative
		// integers inline, leaving everything else to scanValue.
		if j := i; j < len(b) && '1' <= b[j] && b[j] <= '9' {
			for j++; j < len(b) && isDigit(b[j]); j++ {
			}
			if j < len(b) && (b[j] == ',' || b[j] == ']') {
				if b[j] == ']' {
					return j + 1, nil
				}
				i = skipSpace(b, j+1)
				continue
			}
		}
		var err error
		i, err = scanValue(b, i, depth)
		if err != nil {
			return 0, err
		}
		i = skipSpace(b, i)
		if i < len(b) && b[i] == ',' {
			i = skipSpace(b, i+1)
			continue
		}
		if i < len(b) && b[i] == ']' {
			return i + 1, nil
		}
		return 0, syntaxErr(i, "unexpected %s in array, want ',' or ']'", describe(b, i))
	}
}

// trimValue validates that b holds exactly one JSON value, optionally
// surrounded by whitespace, and returns that value without the whitespace.
func trimValue(b []byte) ([]byte, error) {
	i := skipSpace(b, 0)
	end, err := scanValue(b, i, 0)
	if err != nil {
		return nil, err
	}
	if j := skipSpace(b, end); j != len(b) {
		return nil, syntaxErr(j, "unexpected %s after the value", describe(b, j))
	}
	return b[i:end], nil
}

// skipValue returns the end of the value starting at b[i], assuming it has
// already been validated: it only tracks strings and brackets, which makes
// Lookup much cheaper than a second validation pass.
func skipValue(b []byte, i int) int {
	switch b[i] {
	case '"':
		return skipString(b, i)
	case '{', '[':
		depth := 0
		for i < len(b) {
			// Skip 8 bytes at a time while none is '"' or a bracket: OR-ing
			// 0x20 folds '[' ']' onto '{' '}'.
			for i+8 <= len(b) {
				w := binary.LittleEndian.Uint64(b[i:])
				f := w | lo8*0x20
				q, o, c := w^(lo8*'"'), f^(lo8*'{'), f^(lo8*'}')
				if ((q-lo8)&^q|(o-lo8)&^o|(c-lo8)&^c)&hi8 != 0 {
					break
				}
				i += 8
			}
			if i >= len(b) {
				break
			}
			switch b[i] {
			case '"':
				i = skipString(b, i)
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1
				}
			}
			i++
		}
		return i
	default: // number or literal
		for i < len(b) && !isSpace(b[i]) && b[i] != ',' && b[i] != '}' && b[i] != ']' {
			i++
		}
		return i
	}
}

// skipString returns the index past the closing quote of the validated
// string at b[i], jumping between quotes with the vectorised IndexByte.
func skipString(b []byte, i int) int {
	i++
	for {
		j := bytes.IndexByte(b[i:], '"')
		if j < 0 {
			return len(b)
		}
		i += j
		// The quote is escaped iff an odd number of backslashes precede it.
		k := i - 1
		for b[k] == '\\' {
			k--
		}
		if (i-1-k)%2 == 0 {
			return i + 1
		}
		i++
	}
}
