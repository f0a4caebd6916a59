package score

import (
	"fmt"
	"unicode"
	"unicode/utf8"

	"github.com/degen-llm/degen/internal/textseg"
)

// Tokenization says what a token is.
type Tokenization int

const (
	// Words splits on whitespace and makes every CJK ideograph, kana and
	// hangul a token of its own (internal/textseg Words); CJK punctuation
	// stays with what it touches, as ASCII punctuation does. The default: a
	// whitespace split would make a whole Chinese sentence one token.
	Words Tokenization = iota
	// Chars makes every non-space character a token (textseg Chars).
	Chars
	// Whitespace is Python's str.split(): runs of Unicode whitespace
	// (str.isspace, which adds U+001C–U+001F to Go's unicode.IsSpace)
	// separate tokens and CJK text is not split. This is the tokenisation
	// of the reference implementations (Welleck's report_metrics, SimCTG,
	// the eval set's expectations); it equals Words on text without CJK.
	Whitespace
	// Model means the caller supplies model token ids ([Scorer.ScoreIDs]).
	Model
)

var tokenizationNames = [...]string{"words", "chars", "whitespace", "model"}

func (t Tokenization) String() string {
	if t < 0 || int(t) >= len(tokenizationNames) {
		return fmt.Sprintf("Tokenization(%d)", int(t))
	}
	return tokenizationNames[t]
}

// ParseTokenization reads the names String gives ("ws" is accepted for
// whitespace).
func ParseTokenization(s string) (Tokenization, error) {
	for i, n := range tokenizationNames {
		if s == n {
			return Tokenization(i), nil
		}
	}
	if s == "ws" {
		return Whitespace, nil
	}
	return 0, fmt.Errorf("unknown tokenization %q (want words, chars, whitespace or model)", s)
}

// isPySpace is Python's str.isspace for one code point.
func isPySpace(r rune) bool {
	return unicode.IsSpace(r) || (r >= 0x1c && r <= 0x1f)
}

// asciiSpace marks the ASCII bytes Python's str.split splits on.
var asciiSpace = [128]bool{'\t': true, '\n': true, '\v': true, '\f': true, '\r': true, ' ': true,
	0x1c: true, 0x1d: true, 0x1e: true, 0x1f: true}

// splitWhitespace calls yield with each token of Python's text.split().
func splitWhitespace(text string, yield func(tok string)) {
	start := -1
	for i := 0; i < len(text); {
		c := text[i]
		var space bool
		size := 1
		if c < utf8.RuneSelf {
			space = asciiSpace[c]
		} else {
			var r rune
			r, size = utf8.DecodeRuneInString(text[i:])
			space = isPySpace(r)
		}
		if space {
			if start >= 0 {
				yield(text[start:i])
				start = -1
			}
		} else if start < 0 {
			start = i
		}
		i += size
	}
	if start >= 0 {
		yield(text[start:])
	}
}

// goSpace marks the ASCII bytes unicode.IsSpace accepts (textseg's rule).
var goSpace = [128]bool{'\t': true, '\n': true, '\v': true, '\f': true, '\r': true, ' ': true}

// splitSeg calls yield with each token of textseg.Split(text, Words or
// Chars), in order. It is textseg's loop with an ASCII fast path and no
// Token slice (a test and FuzzSplitSeg hold it to textseg.Split).
func splitSeg(text string, chars bool, yield func(tok string)) {
	start := -1
	for i := 0; i < len(text); {
		c := text[i]
		if c < utf8.RuneSelf {
			switch {
			case goSpace[c]:
				if start >= 0 {
					yield(text[start:i])
					start = -1
				}
			case chars:
				yield(text[i : i+1])
			default:
				if start < 0 {
					start = i
				}
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(text[i:])
		switch {
		case unicode.IsSpace(r):
			if start >= 0 {
				yield(text[start:i])
				start = -1
			}
		case chars || textseg.IsCJKLetter(r):
			if start >= 0 {
				yield(text[start:i])
				start = -1
			}
			yield(text[i : i+size])
		default:
			if start < 0 {
				start = i
			}
		}
		i += size
	}
	if start >= 0 {
		yield(text[start:])
	}
}
