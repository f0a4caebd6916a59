package tokenizer

import (
	"strings"
	"unicode/utf8"
)

// Decode is the text of one token: a byte token's raw byte (possibly part of
// a UTF-8 character), the piece with its space marker turned into a space,
// or "" for control tokens and ids out of range. No space is stripped.
func (t *Tokenizer) Decode(id int) string {
	if id < 0 || id >= len(t.text) {
		return ""
	}
	return t.text[id]
}

// DecodePiece is llama2.c's decode: the text of id when it follows prev,
// which is Decode(id) without its leading space when prev is BOS (that
// space is the dummy prefix that encoding put before the text).
func (t *Tokenizer) DecodePiece(prev, id int) string {
	s := t.Decode(id)
	if prev == t.v.BOS && s != "" && t.lead[id] {
		return s[1:]
	}
	return s
}

// DecodeAll is the text of a token sequence. Byte tokens are concatenated
// as raw bytes, so characters split over them come back whole. The first
// token of a text (at the start, and after each BOS) loses its leading
// space when the vocabulary adds a dummy prefix, so that
// DecodeAll(Encode(s, addBOS)) == s.
func (t *Tokenizer) DecodeAll(ids []int) string {
	var b strings.Builder
	d := t.NewStreamDecoder()
	for _, id := range ids {
		b.WriteString(d.piece(id))
	}
	return b.String()
}

// StreamDecoder decodes tokens one at a time as they are generated. It
// strips the dummy-prefix space as DecodeAll does, and holds back the
// bytes of a UTF-8 character until its last byte token has come, so every
// string it returns is whole characters (as long as the tokens spell valid
// UTF-8). The concatenation of what Add and Flush return is DecodeAll of
// the tokens.
type StreamDecoder struct {
	t       *Tokenizer
	atStart bool   // the next text token begins a text: strip its dummy prefix
	pending []byte // bytes of an incomplete character
}

// NewStreamDecoder starts decoding a new sequence.
func (t *Tokenizer) NewStreamDecoder() *StreamDecoder {
	return &StreamDecoder{t: t, atStart: true}
}

// piece is the text of id in sequence, with the dummy prefix stripped from
// the first token of a text; it advances the start-of-text state.
func (d *StreamDecoder) piece(id int) string {
	t := d.t
	if id < 0 || id >= len(t.text) {
		return ""
	}
	if id == t.v.BOS {
		d.atStart = true
		return ""
	}
	if t.control[id] {
		return ""
	}
	s := t.text[id]
	if d.atStart && t.v.AddSpacePrefix && t.lead[id] {
		s = s[1:]
	}
	d.atStart = false
	return s
}

// Add decodes the next token and returns the text that is now complete.
func (d *StreamDecoder) Add(id int) string {
	s := d.piece(id)
	if len(d.pending) == 0 && completeLen(s) == len(s) {
		return s // the common case: no character is split
	}
	d.pending = append(d.pending, s...)
	n := completeLenBytes(d.pending)
	out := string(d.pending[:n])
	d.pending = append(d.pending[:0], d.pending[n:]...)
	return out
}

// Flush returns the bytes still held back (an incomplete character at the
// end of the sequence) and empties the decoder's buffer.
func (d *StreamDecoder) Flush() string {
	out := string(d.pending)
	d.pending = d.pending[:0]
	return out
}

// completeLen is the length of the longest prefix of s that does not end
// inside a UTF-8 character that more bytes could still complete. Invalid
// bytes count as complete: no later byte can make them valid, so they are
// passed on as they are.
func completeLen(s string) int {
	for i := max(0, len(s)-utf8.UTFMax+1); i < len(s); i++ {
		if !utf8.FullRuneInString(s[i:]) {
			return i
		}
	}
	return len(s)
}

// completeLenBytes is completeLen of a byte slice.
func completeLenBytes(b []byte) int {
	for i := max(0, len(b)-utf8.UTFMax+1); i < len(b); i++ {
		if !utf8.FullRune(b[i:]) {
			return i
		}
	}
	return len(b)
}
