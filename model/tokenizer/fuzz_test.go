package tokenizer

import (
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

// ggufSpelled is the Llama vocabulary of tokenizer.bin respelled the GGUF
// way, with "▁" for spaces, to run the same text through both conventions.
func ggufSpelled(t testing.TB, l2c *Tokenizer) *Tokenizer {
	v := *l2c.v
	v.Pieces = slices.Clone(v.Pieces)
	for id := range v.Pieces {
		if !l2c.control[id] {
			v.Pieces[id] = strings.ReplaceAll(v.Pieces[id], " ", SpaceGGUF)
		}
	}
	v.Space = ""
	tok, err := New(&v)
	if err != nil {
		t.Fatal(err)
	}
	if tok.space != SpaceGGUF {
		t.Fatalf("space marker detected as %q", tok.space)
	}
	return tok
}

// FuzzEncodeDecode checks that encoding never panics, gives ids in range,
// decodes back to the input (the dummy prefix removed), streams to the same
// text, agrees with the naive O(n²) merge loop, and does not depend on how
// the vocabulary spells spaces.
func FuzzEncodeDecode(f *testing.F) {
	for _, s := range []string{"", " ", "Hello world", "  two  spaces ", "🦙.cpp", "中文 \t\n", "\xe2\x96", "333333333"} {
		f.Add(s)
	}
	tok := loadLlama2C(f, "tokenizer.bin", 32000)
	gguf := ggufSpelled(f, tok)
	f.Fuzz(func(t *testing.T, text string) {
		ids := tok.Encode(text, false)
		for _, id := range ids {
			if id < 0 || id >= tok.VocabSize() || tok.IsControl(id) {
				t.Fatalf("Encode(%q) gave id %d", text, id)
			}
		}
		// With the llama2.c vocabulary this holds for any bytes, not only
		// valid UTF-8: what is no piece falls back to its raw bytes.
		if got := tok.DecodeAll(ids); got != text {
			t.Fatalf("DecodeAll(Encode(%q)) = %q", text, got)
		}
		if withBOS := tok.Encode(text, true); withBOS[0] != tok.BOS() || !slices.Equal(withBOS[1:], ids) {
			t.Fatalf("Encode(%q, true) = %v, without BOS %v", text, withBOS, ids)
		}

		d := tok.NewStreamDecoder()
		var streamed strings.Builder
		for _, id := range ids {
			s := d.Add(id)
			if utf8.ValidString(text) && !utf8.ValidString(s) {
				t.Fatalf("stream of %q gave invalid UTF-8 %q", text, s)
			}
			streamed.WriteString(s)
		}
		streamed.WriteString(d.Flush())
		if streamed.String() != text {
			t.Fatalf("stream of %q gave %q", text, streamed.String())
		}

		if len(text) < 256 {
			if want := naiveEncode(tok, text); !slices.Equal(ids, want) {
				t.Fatalf("Encode(%q) = %v, naive merging gives %v", text, ids, want)
			}
		}
		// A literal "▁" in the text is a space to a GGUF vocabulary (as in
		// llama.cpp) but an ordinary character to a llama2.c one.
		if !strings.Contains(text, SpaceGGUF) {
			if g := gguf.Encode(text, false); !slices.Equal(g, ids) {
				t.Fatalf("Encode(%q): llama2.c spelling %v, GGUF spelling %v", text, ids, g)
			}
		}
	})
}

// FuzzLoadLlama2C checks that no bytes make the loader panic, and that what
// it accepts builds a working Tokenizer.
func FuzzLoadLlama2C(f *testing.F) {
	f.Add([]byte(specials().token(-1, " a").token(-2, "<0x41>")), 5)
	f.Add([]byte(specials().raw(0, -7, "x")), 4)
	f.Add([]byte{}, 0)
	f.Fuzz(func(t *testing.T, data []byte, vocabSize int) {
		v, err := ParseLlama2C(data, vocabSize)
		if err != nil {
			return
		}
		if vocabSize > 0 && len(v.Pieces) != vocabSize {
			t.Fatalf("asked for %d tokens, got %d", vocabSize, len(v.Pieces))
		}
		tok, err := New(v)
		if err != nil {
			t.Fatalf("New of a parsed vocabulary: %v", err)
		}
		for _, text := range []string{"hello wörld", string(data[:min(len(data), 64)])} {
			ids := tok.Encode(text, true)
			for _, id := range ids {
				if id < 0 || id >= tok.VocabSize() {
					t.Fatalf("Encode(%q) gave id %d of %d", text, id, tok.VocabSize())
				}
			}
			_ = tok.DecodeAll(ids)
		}
	})
}
