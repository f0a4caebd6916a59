package detect

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/degen-llm/degen/internal/textseg"
)

// Segment is one sentence, clause or line of a text. Text is the original
// text[Start:End], from its first non-space character through its closing
// delimiter; Norm is its normalised form (see [NormalizeSegment]).
type Segment struct {
	Start, End int // byte offsets into the text
	Text       string
	Norm       string
}

// Segmentation chooses where [Segments] splits.
type Segmentation int

const (
	// Clauses splits at newlines, at . ! ? ; (when not followed by a letter
	// or digit, so "3.5" and "e.g" stay whole), at the ellipsis … and at the
	// CJK 。！？；，、 — CJK loops are often clauses joined by "，".
	Clauses Segmentation = iota
	// Sentences is Clauses without the CJK comma and enumeration comma, for
	// comparing whole sentences.
	Sentences
)

func isDelim(r rune, mode Segmentation) bool {
	switch r {
	case '\n', '.', '!', '?', ';', '…', '。', '！', '？', '；', '．':
		return true
	case '，', '、':
		return mode == Clauses
	}
	return false
}

// Segments splits text into segments. A run of delimiters ("...", "?!")
// ends one segment together; whitespace between segments belongs to none.
func Segments(text string, mode Segmentation) []Segment {
	var out []Segment
	start := -1
	emit := func(end int) {
		if start >= 0 {
			s := text[start:end]
			out = append(out, Segment{Start: start, End: end, Text: s, Norm: NormalizeSegment(s)})
			start = -1
		}
	}
	for i := 0; i < len(text); {
		r, size := utf8.DecodeRuneInString(text[i:])
		if start < 0 && !unicode.IsSpace(r) && r != '\n' {
			start = i
		}
		if isDelim(r, mode) && r != '\n' {
			// ASCII . ! ? ; only end a segment before a space, the end, or
			// non-alphanumerics (quotes, brackets): not inside "3.5".
			j := i + size
			for j < len(text) {
				r2, s2 := utf8.DecodeRuneInString(text[j:])
				if !isDelim(r2, mode) || r2 == '\n' {
					break
				}
				j += s2
			}
			if r < 0x80 && j < len(text) {
				if r2, _ := utf8.DecodeRuneInString(text[j:]); unicode.IsLetter(r2) || unicode.IsDigit(r2) {
					i = j
					continue
				}
			}
			emit(j)
			i = j
			continue
		}
		if r == '\n' {
			// Trailing spaces before the newline are not part of the segment.
			if start >= 0 {
				emit(trimEnd(text, start, i))
			}
		}
		i += size
	}
	if start >= 0 {
		emit(trimEnd(text, start, len(text)))
	}
	return out
}

// trimEnd is end moved back over the white space (whole characters, so a
// multibyte letter whose last byte looks like a space is kept) that ends
// text[start:end].
func trimEnd(text string, start, end int) int {
	return start + len(strings.TrimRightFunc(text[start:end], unicode.IsSpace))
}

// NormalizeSegment lowercases s, drops punctuation and symbols, and
// collapses whitespace to single spaces; CJK characters are kept with no
// spaces between them. "He SAID, 'no'!" → "he said no".
func NormalizeSegment(s string) string {
	var b strings.Builder
	space := false
	prevCJK := false
	for _, r := range s {
		switch {
		case unicode.IsPunct(r) || unicode.IsSymbol(r):
			// Punctuation separates words ("halter-top" stays two words
			// apart only by a space), but adds nothing itself.
			space = b.Len() > 0
		case unicode.IsSpace(r):
			space = b.Len() > 0
		default:
			cjk := textseg.IsCJK(r)
			if space && !(cjk && prevCJK) {
				b.WriteByte(' ')
			}
			space = false
			prevCJK = cjk
			b.WriteRune(unicode.ToLower(r))
		}
	}
	return b.String()
}

// SegmentWeight is the length of a normalised segment in characters, with
// CJK characters counted twice: a CJK character carries about as much as
// two Latin letters, so one threshold serves both scripts.
func SegmentWeight(norm string) int {
	w := 0
	for _, r := range norm {
		switch {
		case r == ' ':
		case textseg.IsCJK(r):
			w += 2
		default:
			w++
		}
	}
	return w
}
