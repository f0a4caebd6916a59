package tokenizer

import (
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// FuzzBPE checks, for the Llama 3, Qwen2.5 and Gemma 3 tokenizers, that
// encoding never panics and gives ids in range, that Encode never makes a
// control token of text, that decoding gives the text back (its NFC form
// for Qwen; any bytes for the byte-level and byte-fallback vocabularies),
// that streaming gives the same text in whole characters, and that the two
// merge loops (array scan, heap) agree.
func FuzzBPE(f *testing.F) {
	for _, s := range []string{"", " ", "Hello world", "  two  spaces \n\n", "I'M 12345 🦙.cpp", "café", "e\u0301",
		"<|im_start|>user\n<think>x</think><|im_end|>", "中文 \t\n", "\xe2\x96", "▁", "<start_of_turn>"} {
		f.Add(s)
	}
	toks := map[string]*Tokenizer{}
	for _, name := range []string{"llama3", "qwen2.5", "gemma3"} {
		toks[name], _ = loadHF(f, name)
	}
	f.Fuzz(func(t *testing.T, text string) {
		for name, tok := range toks {
			ids := tok.Encode(text, false)
			for _, id := range ids {
				if id < 0 || id >= tok.VocabSize() || tok.IsControl(id) {
					t.Fatalf("%s: Encode(%q) gave id %d", name, text, id)
				}
			}
			for _, id := range tok.EncodeSpecial(text, true) {
				if id < 0 || id >= tok.VocabSize() {
					t.Fatalf("%s: EncodeSpecial(%q) gave id %d", name, text, id)
				}
			}
			want, check := text, true
			switch name {
			case "qwen2.5":
				want, check = norm.NFC.String(text), utf8.ValidString(text)
			case "gemma3":
				check = !strings.Contains(text, SpaceGGUF) // a typed "▁" decodes as a space
			}
			got := tok.DecodeAll(ids)
			if check && got != want {
				t.Fatalf("%s: DecodeAll(Encode(%q)) = %q", name, text, got)
			}
			d := tok.NewStreamDecoder()
			var b strings.Builder
			for _, id := range ids {
				s := d.Add(id)
				if utf8.ValidString(text) && !utf8.ValidString(s) {
					t.Fatalf("%s: stream of %q gave invalid UTF-8 %q", name, text, s)
				}
				b.WriteString(s)
			}
			if b.WriteString(d.Flush()); b.String() != got {
				t.Fatalf("%s: stream of %q gave %q, DecodeAll %q", name, text, b.String(), got)
			}
		}
		// The bytes of the text as one byte-level word, merged both ways.
		tok := toks["llama3"]
		if len(text) < 2 || len(text) > 512 {
			return
		}
		word := make([]int32, len(text))
		for i := range len(text) {
			word[i] = tok.byteTok[text[i]]
		}
		st := new(encodeState)
		scan := tok.mergeScan(st, slices.Clone(word))
		heap := tok.mergeHeap(st, slices.Clone(word))
		if !slices.Equal(scan, heap) {
			t.Fatalf("merging %q: scan %v, heap %v", text, scan, heap)
		}
	})
}
