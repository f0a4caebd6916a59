package filter

import (
	"strings"
	"unicode/utf8"

	"github.com/degen-llm/degen/detect"
)

// TruncateLoop cuts text where loop starts, keeping one copy of its unit:
// kept is the text up to the end of the first copy, cut is everything
// after it. A nil loop, or one located only by token ids, leaves the text
// whole. The loop is placed by StartByte, or by StartChar (runes) when
// StartByte is negative; if the text there does not start with the unit
// (the text changed since detection), the whole loop is cut.
func TruncateLoop(text string, loop *detect.Loop) (kept, cut string) {
	if loop == nil {
		return text, ""
	}
	start := loop.StartByte
	if start < 0 && loop.StartChar >= 0 {
		start = runeToByte(text, loop.StartChar)
	}
	if start < 0 || start > len(text) || !utf8.RuneStart(byteAt(text, start)) {
		return text, ""
	}
	end := start
	if loop.Unit != "" && strings.HasPrefix(text[start:], loop.Unit) {
		end += len(loop.Unit)
	}
	return text[:end], text[end:]
}

// byteAt is text[i], or a rune start for the end of the text.
func byteAt(text string, i int) byte {
	if i == len(text) {
		return 0
	}
	return text[i]
}

// runeToByte converts a rune offset into a byte offset; −1 past the end.
func runeToByte(text string, n int) int {
	for i := range text {
		if n == 0 {
			return i
		}
		n--
	}
	if n == 0 {
		return len(text)
	}
	return -1
}
