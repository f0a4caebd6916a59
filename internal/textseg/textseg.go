// Package textseg splits text into the tokens that the text metrics of
// score and the text signals of detect count: whitespace-separated words,
// with every CJK ideograph, kana and hangul syllable made a token of its own
// (CJK punctuation is not split off; it stays with what it touches)
// (Chinese and Japanese are not written with spaces, so a whitespace split
// would make a whole sentence one "word"), or every non-space character.
//
// Tokens carry their byte offsets into the text, so that detect can say
// where a loop starts and filter can cut there.
package textseg

import (
	"unicode"
	"unicode/utf8"
)

// Token is one token of a text: Text is text[Start:End].
type Token struct {
	Text       string
	Start, End int // byte offsets
}

// Mode chooses how a text is split.
type Mode int

const (
	// Words splits on whitespace and makes each CJK ideograph, kana and
	// hangul its own token.
	Words Mode = iota
	// Chars makes every non-space character a token.
	Chars
)

// IsCJK reports whether r is written without spaces between words: CJK
// ideographs (with extensions and compatibility forms), hiragana, katakana,
// hangul syllables and jamo, and the fullwidth and CJK punctuation that
// separates their sentences.
func IsCJK(r rune) bool {
	return IsCJKLetter(r) ||
		r >= 0x3000 && r <= 0x303F || // CJK symbols and punctuation: 、。「」…
		r >= 0xFF00 && r <= 0xFFEF // halfwidth and fullwidth forms: ，！？：
}

// IsCJKLetter reports whether r is a CJK letter that Words makes a token
// of its own: ideographs, kana (with the prolonged sound mark ー and the
// iteration marks, which are letters in use) and hangul. CJK punctuation
// and fullwidth forms are not: like ASCII punctuation they stay with the
// word they touch, so that a Latin text quoting 「ok」。 splits as a
// whitespace split does, while in CJK text they still end up alone between
// two letters.
func IsCJKLetter(r rune) bool {
	switch {
	case r < 0x2E80:
		return false
	case unicode.Is(unicode.Han, r),
		unicode.Is(unicode.Hiragana, r),
		unicode.Is(unicode.Katakana, r),
		unicode.Is(unicode.Hangul, r):
		return true
	case r == 0x30FC, r >= 0x3031 && r <= 0x3035: // ー, 〱〲〳〴〵
		return true
	}
	return false
}

// Split appends the tokens of text to dst and returns it.
func Split(dst []Token, text string, mode Mode) []Token {
	start := -1 // start of the current word, -1 when between words
	for i := 0; i < len(text); {
		r, size := utf8.DecodeRuneInString(text[i:])
		switch {
		case unicode.IsSpace(r):
			if start >= 0 {
				dst = append(dst, Token{text[start:i], start, i})
				start = -1
			}
		case mode == Chars || IsCJKLetter(r):
			if start >= 0 {
				dst = append(dst, Token{text[start:i], start, i})
				start = -1
			}
			dst = append(dst, Token{text[i : i+size], i, i + size})
		default:
			if start < 0 {
				start = i
			}
		}
		i += size
	}
	if start >= 0 {
		dst = append(dst, Token{text[start:], start, len(text)})
	}
	return dst
}

// Strings returns just the token texts of Split(nil, text, mode).
func Strings(text string, mode Mode) []string {
	toks := Split(nil, text, mode)
	out := make([]string, len(toks))
	for i, t := range toks {
		out[i] = t.Text
	}
	return out
}
