package tokenizer

import (
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestByteLevelAlphabet: GPT-2's bytes_to_unicode spells printable Latin-1
// as itself and moves the other bytes to U+0100 and up in byte order.
func TestByteLevelAlphabet(t *testing.T) {
	assert.Equal(t, 'A', byteRune['A'])
	assert.Equal(t, 'Ā', byteRune[0x00]) // U+0100, the first moved byte
	assert.Equal(t, 'Ċ', byteRune['\n']) // U+010A
	assert.Equal(t, 'Ġ', byteRune[' '])  // U+0120
	assert.Equal(t, 'ġ', byteRune[0x7F]) // DEL, U+0121
	assert.Equal(t, 'ł', byteRune[0xA0]) // NBSP, U+0142
	assert.Equal(t, 'Ń', byteRune[0xAD]) // soft hyphen, the last: U+0143
	seen := map[rune]bool{}
	for b := range 256 {
		seen[byteRune[b]] = true
		assert.Equal(t, string([]byte{byte(b)}), byteLevelDecode(string(byteRune[b])))
	}
	assert.Len(t, seen, 256)
	assert.Equal(t, "ĠhelloĊ", byteLevelEncode(" hello\n"))
	assert.Equal(t, "<|im_start|>", byteLevelDecode("<|im_start|>"), "added tokens' text stands for itself")
}

func TestPreTokenizers(t *testing.T) {
	tests := []struct {
		pre, text string
		want      []string
	}{
		{"llama-bpe", "Hello world", []string{"Hello", " world"}},
		{"llama-bpe", "  hello", []string{" ", " hello"}},
		{"llama-bpe", "I'M 12345", []string{"I", "'M", " ", "123", "45"}},
		{"llama-bpe", "'send", []string{"'s", "end"}},
		{"llama-bpe", "a\n\n b", []string{"a", "\n\n", " b"}},
		{"llama-bpe", "x  \n  y", []string{"x", "  \n", " ", " y"}},
		{"llama-bpe", "(hello)!!\n", []string{"(hello", ")!!\n"}},
		{"llama-bpe", "trailing   ", []string{"trailing", "   "}},
		{"llama-bpe", "\t\tx", []string{"\t", "\tx"}},
		{"llama-bpe", "中文abc", []string{"中文abc"}},
		{"llama-bpe", "e\u0301t", []string{"e", "\u0301t"}}, // a mark is no letter: it leads the next word
		{"qwen35", "e\u0301t", []string{"e\u0301t"}},
		{"qwen2", "12345", []string{"1", "2", "3", "4", "5"}},
		{"qwen2", " 7 days", []string{" ", "7", " days"}},
		{"gpt-2", "Hello world", []string{"Hello", " world"}},
		{"gpt-2", "I'M it's", []string{"I", "'", "M", " it", "'s"}},
		{"gpt-2", "  hello", []string{" ", " hello"}},
		{"gpt-2", "a\n\nb", []string{"a", "\n", "\n", "b"}},
		{"gpt-2", "123 4567!?", []string{"123", " 4567", "!?"}},
		{"gpt-2", "x \t y", []string{"x", " \t", " y"}},
		{"smollm", " 123 ab1", []string{" ", "1", "2", "3", " ab", "1"}},
		{"deepseek-coder", "ab12\n cd", []string{"ab", "1", "2", "\n", " cd"}},
		{"default", "a+=b 1234", []string{"a", "+=", "b", " ", "123", "4"}},
	}
	for _, tc := range tests {
		t.Run(tc.pre+"/"+tc.text, func(t *testing.T) {
			p, err := newPreTokenizer(tc.pre)
			require.NoError(t, err)
			var got []string
			p.split(tc.text, func(s string) { got = append(got, s) })
			assert.Equal(t, tc.want, got)
		})
	}
	_, err := newPreTokenizer("nope")
	assert.ErrorContains(t, err, `pre-tokenizer "nope" is not supported (supported: codeshell,`)
}

// tinyBPE is a hand-made gpt2 vocabulary: the 256 byte characters, "ab"
// and "Ġab" by two merges, and the added tokens given (types as given).
func tinyBPE(t *testing.T, added map[string]int32, edit func(v *Vocab)) *Tokenizer {
	t.Helper()
	v := &Vocab{Model: ModelBPE, Pre: "gpt-2", BOS: NoToken, EOS: NoToken, UNK: NoToken}
	for b := range 256 {
		v.Pieces = append(v.Pieces, string(byteRune[b]))
		v.Types = append(v.Types, TypeNormal)
	}
	v.Pieces = append(v.Pieces, "ab", "Ġab")
	v.Types = append(v.Types, TypeNormal, TypeNormal)
	v.Merges = []string{"a b", "Ġ ab"}
	for _, p := range []string{"<s>", "</s>", "<x>", "<xy>", "<tool>"} {
		if typ, ok := added[p]; ok {
			v.Pieces = append(v.Pieces, p)
			v.Types = append(v.Types, typ)
		}
	}
	if edit != nil {
		edit(v)
	}
	tok, err := New(v)
	require.NoError(t, err)
	return tok
}

func TestBPESpecialTokens(t *testing.T) {
	tok := tinyBPE(t, map[string]int32{"<s>": TypeControl, "</s>": TypeControl, "<x>": TypeControl, "<xy>": TypeControl, "<tool>": TypeUserDefined}, func(v *Vocab) {
		v.BOS, v.EOS = 258, 259
	})
	ab, gab := 256, 257
	id := func(p string) int { i, ok := tok.ID(p); require.True(t, ok, p); return i }
	bytes := func(s string) []int {
		var ids []int
		for i := range len(s) {
			ids = append(ids, int(tok.byteTok[s[i]]))
		}
		return ids
	}
	// Plain: the control token's text is text; the user-defined one is cut out.
	assert.Equal(t, append(append(bytes("<x>"), gab), id("<tool>"), ab), tok.Encode("<x> ab<tool>ab", false))
	// Special: the longest token where several start, and text between.
	assert.Equal(t, []int{id("<xy>"), gab, id("<x>"), id("<tool>")}, tok.EncodeSpecial("<xy> ab<x><tool>", false))
	assert.Equal(t, append([]int{258}, bytes("<x")...), tok.EncodeSpecial("<x", true))
	assert.Equal(t, []int{258, ab, 259}, tok.EncodeWith(nil, "ab", EncodeOptions{AddBOS: true, AddEOS: true}))
	// Decoding: control tokens are no text, user-defined ones their text.
	assert.Equal(t, "ab<tool> ab", tok.DecodeAll([]int{258, ab, id("<tool>"), id("<x>"), gab, 259}))
	assert.Equal(t, " ab", tok.DecodePiece(258, gab), "no dummy prefix to strip after BOS")
	assert.Equal(t, " ab", tok.Decode(gab))
	assert.Equal(t, "Ġab", tok.Piece(gab))
}

func TestBPENoBOS(t *testing.T) {
	tok := tinyBPE(t, nil, nil)
	assert.Equal(t, NoToken, tok.BOS())
	assert.Equal(t, []int{256}, tok.EncodeWith(nil, "ab", EncodeOptions{AddBOS: true, AddEOS: true}), "no BOS or EOS to add")
}

// TestBPEStreamSplitCharacter: a character spelled by several byte-level
// tokens streams out whole once its last byte has come.
func TestBPEStreamSplitCharacter(t *testing.T) {
	tok := tinyBPE(t, nil, nil)
	ids := tok.Encode("aé🦙", false)
	require.Len(t, ids, 1+2+4, "one token per byte")
	assert.Equal(t, "\xc3", tok.Decode(ids[1]), "one byte of é")
	d := tok.NewStreamDecoder()
	var got []string
	for _, id := range ids {
		got = append(got, d.Add(id))
	}
	assert.Equal(t, []string{"a", "", "é", "", "", "", "🦙"}, got)
	assert.Equal(t, "", d.Flush())
	assert.Equal(t, "aé🦙", tok.DecodeAll(ids))
	assert.Equal(t, "\xe2\x96", tok.DecodeAll(tok.Encode("\xe2\x96", false)), "any bytes round-trip")
}

func TestMergeRankOrder(t *testing.T) {
	// "abc": merges a+b (rank 1) and b+c (rank 0): b+c wins, and a+bc is
	// not a merge, so a stays alone even though "abc" is a piece.
	v := &Vocab{Model: ModelBPE, Pre: "gpt-2", BOS: NoToken, EOS: NoToken, UNK: NoToken}
	for b := range 256 {
		v.Pieces = append(v.Pieces, string(byteRune[b]))
	}
	v.Pieces = append(v.Pieces, "ab", "bc", "abc")
	v.Merges = []string{"b c", "a b", "ab c"}
	tok, err := New(v)
	require.NoError(t, err)
	assert.Equal(t, []int{'a', 257}, tok.Encode("abc", false))
	// Ties go leftmost: "aaa" with a+a gives "aa" "a".
	v.Pieces = append(v.Pieces, "aa")
	v.Merges = []string{"a a"}
	tok, err = New(v)
	require.NoError(t, err)
	assert.Equal(t, []int{259, 'a'}, tok.Encode("aaa", false))
	long := strings.Repeat("a", 3*maxScanWord+1) // the heap path
	ids := tok.Encode(long, false)
	assert.Len(t, ids, (len(long)+1)/2)
	assert.Equal(t, long, tok.DecodeAll(ids))
}

func TestNewBPEErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(v *Vocab)
		msg  string
	}{
		{"model", func(v *Vocab) { v.Model = "t5" }, `model "t5" is not supported`},
		{"merges", func(v *Vocab) { v.Merges = nil }, "needs merges"},
		{"merge spelling", func(v *Vocab) { v.Merges = []string{"ab"} }, `merge 0 ("ab")`},
		{"pre", func(v *Vocab) { v.Pre = "x" }, `pre-tokenizer "x" is not supported`},
		{"normalizer", func(v *Vocab) { v.Normalizer = "nfkc" }, `normalizer "nfkc"`},
		{"bos", func(v *Vocab) { v.BOS = -2 }, "bos id -2"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := tinyBPE(t, nil, nil).v
			cp := *v
			tc.edit(&cp)
			_, err := New(&cp)
			assert.ErrorContains(t, err, tc.msg)
		})
	}
}

func TestPadTo(t *testing.T) {
	tok, _ := loadHF(t, "qwen2.5")
	v := *tok.v
	v.Pieces, v.Types = v.Pieces[:len(v.Pieces):len(v.Pieces)], v.Types[:len(v.Types):len(v.Types)]
	v.PadTo(151936)
	require.Len(t, v.Pieces, 151936)
	assert.Equal(t, "[PAD151665]", v.Pieces[151665])
	assert.Equal(t, int32(TypeUnused), v.Types[151935])
	padded, err := New(&v)
	require.NoError(t, err)
	assert.Equal(t, tok.EncodeSpecial("<|im_start|>hi", false), padded.EncodeSpecial("<|im_start|>hi", false))
	assert.True(t, padded.IsControl(151935))
	v.PadTo(10)
	assert.Len(t, v.Pieces, 151936)
}

// TestBPEConcurrent encodes with one byte-level Tokenizer from several
// goroutines (run with -race): each call has its own pooled state.
func TestBPEConcurrent(t *testing.T) {
	tok, _ := loadHF(t, "qwen2.5")
	texts := readCorpus(t)
	want := make([][]int, len(texts))
	for i, s := range texts {
		want[i] = tok.EncodeSpecial(s, false)
	}
	done := make(chan bool)
	for g := range 4 {
		go func() {
			ok := true
			for k := range 3 * len(texts) {
				i := (k + g*7) % len(texts)
				ok = ok && slices.Equal(want[i], tok.EncodeSpecial(texts[i], false))
			}
			done <- ok
		}()
	}
	for range 4 {
		assert.True(t, <-done)
	}
}
