package tokenizer

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDecode(t *testing.T) {
	tok := loadLlama2C(t, "tokenizer.bin", 32000)
	the, ok := tok.ID(" the")
	require.True(t, ok)
	tests := []struct {
		name       string
		prev, id   int
		decode     string // Decode(id)
		afterPrev  string // DecodePiece(prev, id)
		isControl  bool
		storedText string // Piece(id)
	}{
		{"unk", 5, 0, "", "", true, "<unk>"},
		{"bos", 5, 1, "", "", true, "\n<s>\n"},
		{"eos", 5, 2, "", "", true, "\n</s>\n"},
		{"byte token newline", 1, 3 + '\n', "\n", "\n", false, "<0x0A>"},
		{"byte token space is not stripped after BOS", 1, 3 + ' ', " ", " ", false, "<0x20>"},
		{"byte token half a character", 1, 3 + 0xE2, "\xe2", "\xe2", false, "<0xE2>"},
		{"word after BOS loses its space", 1, the, " the", "the", false, " the"},
		{"word after a word keeps it", the, the, " the", " the", false, " the"},
		{"out of range", 1, 32000, "", "", false, ""},
		{"negative", 1, -1, "", "", false, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.decode, tok.Decode(tc.id))
			assert.Equal(t, tc.afterPrev, tok.DecodePiece(tc.prev, tc.id))
			assert.Equal(t, tc.isControl, tok.IsControl(tc.id))
			assert.Equal(t, tc.storedText, tok.Piece(tc.id))
		})
	}
	assert.Equal(t, 1, tok.BOS())
	assert.Equal(t, 2, tok.EOS())
	assert.True(t, tok.AddBOS())
	id, ok := tok.ID("\n<s>\n")
	assert.True(t, ok)
	assert.Equal(t, 1, id)
	_, ok = tok.ID("no such piece")
	assert.False(t, ok)
}

func TestDecodeAll(t *testing.T) {
	tok := loadLlama2C(t, "tokenizer.bin", 32000)
	enc := func(s string) []int { return tok.Encode(s, false) }
	tests := []struct {
		name string
		ids  []int
		want string
	}{
		{"nothing", nil, ""},
		{"only control tokens", []int{1, 2, 0}, ""},
		{"dummy prefix stripped at the start", enc("Hello world"), "Hello world"},
		{"and after BOS", cat([]int{1}, enc("Hello")), "Hello"},
		// Each BOS starts a text with its own dummy prefix.
		{"two texts", cat([]int{1}, enc("Hello"), []int{2, 1}, enc("world")), "Helloworld"},
		// EOS does not: what follows it is the same text going on.
		{"EOS keeps the space", cat(enc("Hello"), []int{2}, enc("world")), "Hello world"},
		{"only one space stripped", enc("  x"), "  x"},
		{"bytes reassemble", cat([]int{29871}, byteIDs("日本🦙")), "日本🦙"},
		{"split bytes between words", cat(enc("a"), byteIDs("\xe4\xb8"), byteIDs("\xad")), "a中"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, tok.DecodeAll(tc.ids))
		})
	}
}

func TestStreamDecoder(t *testing.T) {
	tok := loadLlama2C(t, "tokenizer.bin", 32000)
	a, ok := tok.ID("a")
	require.True(t, ok)
	llama := byteIDs("🦙") // 4 bytes
	tests := []struct {
		name  string
		ids   []int
		adds  []string // what each Add returns
		flush string
	}{
		{"emoji over four byte tokens", cat(tok.Encode("Hi", true), llama, tok.Encode("!", false)),
			[]string{"", "Hi", "", "", "", "🦙", " !"}, ""},
		{"two characters in a row", cat([]int{29871}, byteIDs("é中")),
			[]string{"", "", "é", "", "", "中"}, ""},
		{"incomplete at the end is flushed", cat([]int{a}, llama[:3]),
			[]string{"a", "", "", ""}, "\xf0\x9f\xa6"},
		// A lead byte followed by something that cannot continue it is
		// invalid; it is passed on rather than held forever.
		{"broken sequence is passed on", cat(llama[:2], []int{a}),
			[]string{"", "", "\xf0\x9fa"}, ""},
		{"stray continuation byte", cat([]int{a}, byteIDs("\x80"), []int{a}),
			[]string{"a", "\x80", "a"}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			require.Len(t, tc.adds, len(tc.ids))
			d := tok.NewStreamDecoder()
			var all strings.Builder
			for i, id := range tc.ids {
				got := d.Add(id)
				assert.Equal(t, tc.adds[i], got, "Add #%d (id %d)", i, id)
				all.WriteString(got)
			}
			flush := d.Flush()
			assert.Equal(t, tc.flush, flush)
			assert.Empty(t, d.Flush(), "flush empties the buffer")
			all.WriteString(flush)
			assert.Equal(t, tok.DecodeAll(tc.ids), all.String())
		})
	}
}

// TestStreamDecoderValidUTF8 streams a mixed text token by token: every
// string returned is valid UTF-8.
func TestStreamDecoderValidUTF8(t *testing.T) {
	tok := loadLlama2C(t, "tokenizer.bin", 32000)
	text := "Emoji 🦙🚀, CJK 中文分词 ～, Hangul 한국어, and ✅ done."
	ids := tok.Encode(text, true)
	d := tok.NewStreamDecoder()
	var all strings.Builder
	for _, id := range ids {
		s := d.Add(id)
		assert.True(t, utf8.ValidString(s), "%q", s)
		all.WriteString(s)
	}
	all.WriteString(d.Flush())
	assert.Equal(t, text, all.String())
}
