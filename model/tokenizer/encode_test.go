package tokenizer

import (
	"math/rand/v2"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// byteIDs are the ids of the byte tokens of s in the 32000 Llama vocabulary,
// where <0xNN> has id 3+NN.
func byteIDs(s string) []int {
	ids := make([]int, len(s))
	for i := range len(s) {
		ids[i] = 3 + int(s[i])
	}
	return ids
}

func cat(parts ...[]int) []int {
	out := []int{}
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

func TestEncodeLlama(t *testing.T) {
	tok := loadLlama2C(t, "tokenizer.bin", 32000)
	space, ok := tok.ID(" ") // llama2.c spelling of "▁"
	require.True(t, ok)
	require.Equal(t, 29871, space)
	hello, ok := tok.ID(" Hello")
	require.True(t, ok)
	world, ok := tok.ID(" world")
	require.True(t, ok)

	tests := []struct {
		name string
		text string
		bos  bool
		want []int
	}{
		{"empty", "", false, []int{}},
		{"empty with BOS", "", true, []int{1}},
		{"words with BOS", "Hello world", true, []int{1, hello, world}},
		// The leading space of the text adds to the dummy prefix: "▁▁Hello"
		// has no piece, so the first ▁ stands alone.
		{"leading space", " Hello", false, []int{space, hello}},
		{"trailing space", "Hello ", false, []int{hello, space}},
		// U+1F999 (llama) is no piece: its four UTF-8 bytes are byte tokens.
		{"emoji", "🦙", false, cat([]int{space}, byteIDs("🦙"))},
		{"emoji after word", "Hello 🦙", false, cat([]int{hello, space}, byteIDs("🦙"))},
		{"control char", "\x01", false, cat([]int{space}, byteIDs("\x01"))},
		{"invalid utf-8", "\xff", false, cat([]int{space}, byteIDs("\xff"))},
		{"split sequence", "\xe2\x96", false, cat([]int{space}, byteIDs("\xe2\x96"))},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := tok.EncodeInto([]int{}, tc.text, tc.bos)
			assert.Equal(t, tc.want, got)
			assert.Equal(t, tc.text, tok.DecodeAll(got))
		})
	}
}

func TestRoundTrip(t *testing.T) {
	tok := loadLlama2C(t, "tokenizer.bin", 32000)
	texts := []string{
		"",
		" ",
		"   ",
		"  leading spaces",
		"trailing spaces   ",
		"multiple   inner    spaces",
		"tabs\tand\nnewlines\r\n",
		"emoji 🦙🚀 😶‍🌫️ ✅ mixed",
		"中文分词测试，我想在apple工作1314151天～",
		"日本語のテキストとカタカナ",
		"한국어 텍스트",
		"Ελληνικά и русский",
		"control \x00\x01\x1b[0m bytes \x7f",
		"\u2581 a literal lower one eighth block",
		"<s> </s> <unk> <0x41> look like special pieces",
	}
	for _, text := range texts {
		t.Run(text, func(t *testing.T) {
			for _, bos := range []bool{false, true} {
				ids := tok.Encode(text, bos)
				assert.Equal(t, text, tok.DecodeAll(ids))
				for _, id := range ids {
					assert.True(t, id >= 0 && id < tok.VocabSize())
				}
			}
		})
	}
	// The text "<0x41>" is characters, not the byte token 0x41.
	assert.NotContains(t, tok.Encode("<0x41>", false), 3+0x41)
	assert.NotContains(t, tok.Encode("<s>", false), tok.BOS())
}

// naiveEncode is the merge loop of llama2.c's encode, rescanning every pair
// after each merge, over the same initial symbols as Encode: a reference
// for the priority-queue version.
func naiveEncode(t *Tokenizer, text string) []int {
	ids := []int{}
	if text == "" {
		return ids
	}
	norm := strings.ReplaceAll(text, " ", t.space)
	if t.v.AddSpacePrefix {
		norm = t.space + norm
	}
	var syms []string
	for i := 0; i < len(norm); {
		_, n := utf8.DecodeRuneInString(norm[i:])
		syms = append(syms, norm[i:i+n])
		i += n
	}
	for {
		best, bestScore := -1, float32(0)
		for i := 0; i+1 < len(syms); i++ {
			if id, ok := t.match[syms[i]+syms[i+1]]; ok && (best < 0 || t.v.Scores[id] > bestScore) {
				best, bestScore = i, t.v.Scores[id]
			}
		}
		if best < 0 {
			break
		}
		syms[best] += syms[best+1]
		syms = append(syms[:best+1], syms[best+2:]...)
	}
	for _, s := range syms {
		if id, ok := t.match[s]; ok {
			ids = append(ids, int(id))
		} else {
			ids = t.byteFallback(ids, []byte(s))
		}
	}
	return ids
}

func TestEncodeMatchesNaive(t *testing.T) {
	tok := loadLlama2C(t, "tokenizer.bin", 32000)
	// Fragments that make many competing merges, including ones with
	// equal scores in a row ("aaaa", "3333"), and characters outside the
	// vocabulary.
	frags := []string{"the", " ", "  ", "ing", "a", "aa", "3", "33", "e", "r", "er", "\n", ".", "é", "中", "🦙", "Hello", "wor", "ld", "un", "ne", "ce", "ss", "ary"}
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 300 {
		var b strings.Builder
		for range rng.IntN(40) {
			b.WriteString(frags[rng.IntN(len(frags))])
		}
		text := b.String()
		require.Equal(t, naiveEncode(tok, text), tok.EncodeInto([]int{}, text, false), "case %d: %q", i, text)
	}
}

// tinyVocab is a hand-made GGUF-style vocabulary for checking the merge
// order: ids 0..2 control, 3..258 bytes, then the pieces given.
func tinyVocab(t *testing.T, pieces map[string]float32) *Tokenizer {
	t.Helper()
	v := &Vocab{BOS: 1, EOS: 2, UNK: 0, AddSpacePrefix: true}
	add := func(p string, score float32, typ int32) {
		v.Pieces = append(v.Pieces, p)
		v.Scores = append(v.Scores, score)
		v.Types = append(v.Types, typ)
	}
	add("<unk>", 0, TypeUnknown)
	add("<s>", 0, TypeControl)
	add("</s>", 0, TypeControl)
	for b := range 256 {
		add(byteToken(byte(b)), 0, TypeByte)
	}
	// Sorted for a stable id order.
	for _, p := range []string{"▁", "a", "b", "c", "ab", "bc", "abc", "▁a"} {
		if s, ok := pieces[p]; ok {
			add(p, s, TypeNormal)
		}
	}
	tok, err := New(v)
	require.NoError(t, err)
	require.Equal(t, SpaceGGUF, tok.space, "space marker detected from the pieces")
	return tok
}

func byteToken(b byte) string {
	const hex = "0123456789ABCDEF"
	return "<0x" + string(hex[b>>4]) + string(hex[b&15]) + ">"
}

func TestMergeOrder(t *testing.T) {
	pieces := func(tok *Tokenizer, ids []int) []string {
		out := []string{}
		for _, id := range ids {
			out = append(out, tok.Piece(id))
		}
		return out
	}
	tests := []struct {
		name   string
		scores map[string]float32
		text   string
		want   []string
	}{
		{"higher score wins", map[string]float32{"▁": -1, "a": -1, "b": -1, "c": -1, "ab": -5, "bc": -2}, "abc",
			[]string{"▁", "a", "bc"}},
		{"other higher score wins", map[string]float32{"▁": -1, "a": -1, "b": -1, "c": -1, "ab": -2, "bc": -5}, "abc",
			[]string{"▁", "ab", "c"}},
		{"tie goes leftmost", map[string]float32{"▁": -1, "a": -1, "b": -1, "c": -1, "ab": -3, "bc": -3}, "abc",
			[]string{"▁", "ab", "c"}},
		// A merge only asks whether the concatenation is a piece, whichever
		// route led there: "ab" + "c" and "a" + "bc" both make "abc".
		{"merges build on merges", map[string]float32{"▁": -1, "a": -1, "b": -1, "c": -1, "ab": -2, "bc": -5, "abc": -9}, "abc",
			[]string{"▁", "abc"}},
		{"merges build on merges, other route", map[string]float32{"▁": -1, "a": -1, "b": -1, "c": -1, "ab": -5, "bc": -2, "abc": -1}, "abc",
			[]string{"▁", "abc"}},
		{"no route to a piece", map[string]float32{"▁": -1, "a": -1, "b": -1, "c": -1, "abc": -1}, "abc",
			[]string{"▁", "a", "b", "c"}},
		{"dummy prefix merges", map[string]float32{"▁": -1, "a": -1, "b": -1, "▁a": -1}, "ab",
			[]string{"▁a", "b"}},
		{"spaces become ▁", map[string]float32{"▁": -1, "a": -1, "b": -1, "▁a": -1}, "b a",
			[]string{"▁", "b", "▁a"}},
		{"unknown char falls back to bytes", map[string]float32{"▁": -1, "a": -1}, "aé",
			[]string{"▁", "a", "<0xC3>", "<0xA9>"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tok := tinyVocab(t, tc.scores)
			ids := tok.Encode(tc.text, false)
			assert.Equal(t, tc.want, pieces(tok, ids))
			assert.Equal(t, tc.text, tok.DecodeAll(ids))
		})
	}
}

func TestMissingByteTokenIsUNK(t *testing.T) {
	v := &Vocab{
		Pieces: []string{"<unk>", "<s>", "</s>", " ", "a"},
		Scores: []float32{0, 0, 0, -1, -1},
		BOS:    1, EOS: 2, UNK: 0, AddSpacePrefix: true, Space: SpaceLlama2C,
	}
	tok, err := New(v)
	require.NoError(t, err)
	// No byte tokens at all: a character outside the vocabulary is one UNK.
	assert.Equal(t, []int{1, 3, 4, 0, 4}, tok.Encode("aéa", true))
	assert.Equal(t, "aa", tok.DecodeAll(tok.Encode("aéa", true)))
}

// TestEncodeConcurrent encodes from several goroutines at once (run with
// -race): the pooled scratch state and its segment cache are never shared.
func TestEncodeConcurrent(t *testing.T) {
	tok := loadLlama2C(t, "tokenizer.bin", 32000)
	texts := []string{"Hello world, hello again.", "中文分词测试", "the the the the cat", "🦙 llamas 🦙"}
	want := make([][]int, len(texts))
	for i, s := range texts {
		want[i] = naiveEncode(tok, s)
	}
	done := make(chan [][]int)
	for range 4 {
		go func() {
			var got [][]int
			for range 200 {
				for _, s := range texts {
					got = append(got, tok.Encode(s, false))
				}
			}
			done <- got
		}()
	}
	for range 4 {
		got := <-done
		for j, ids := range got {
			require.Equal(t, want[j%len(texts)], ids)
		}
	}
}
