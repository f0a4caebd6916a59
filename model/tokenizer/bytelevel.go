package tokenizer

import "unicode/utf8"

// Byte-level BPE (GPT-2's, and the tokenizers descended from it) works on
// bytes, not characters, but spells each byte as one printable character so
// that vocabulary and merges are text: bytes that are printable in Latin-1
// stand for themselves, the other 68 (controls, space, DEL, NBSP, soft
// hyphen) move to U+0100 and up in byte order. A space is "Ġ" (U+0120),
// a newline "Ċ" (U+010A). This is GPT-2's bytes_to_unicode.

// byteRune is the character that spells each byte; runeByte inverts it for
// the characters below U+0144, the last one used.
var (
	byteRune [256]rune
	runeByte [0x144]int16
)

func init() {
	for i := range runeByte {
		runeByte[i] = -1
	}
	n := rune(0)
	for b := range 256 {
		printable := '!' <= b && b <= '~' || '¡' <= b && b <= '¬' || '®' <= b && b <= 'ÿ'
		r := rune(b)
		if !printable {
			r = 256 + n
			n++
		}
		byteRune[b] = r
		runeByte[r] = int16(b)
	}
}

// byteLevelEncode spells s byte by byte in the byte-level alphabet.
func byteLevelEncode(s string) string {
	buf := make([]byte, 0, 2*len(s))
	for i := 0; i < len(s); i++ {
		buf = utf8.AppendRune(buf, byteRune[s[i]])
	}
	return string(buf)
}

// byteLevelDecode turns a byte-level spelling back into its bytes. A
// character outside the alphabet (an added token's literal text) stands for
// itself, as Hugging Face's ByteLevel decoder and llama.cpp keep it.
func byteLevelDecode(piece string) string {
	buf := make([]byte, 0, len(piece))
	for _, r := range piece {
		if r >= 0 && int(r) < len(runeByte) && runeByte[r] >= 0 {
			buf = append(buf, byte(runeByte[r]))
			continue
		}
		buf = utf8.AppendRune(buf, r)
	}
	return string(buf)
}
