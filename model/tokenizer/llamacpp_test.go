package tokenizer_test

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/degen-llm/degen/model/gguf"
	"github.com/degen-llm/degen/model/tokenizer"
)

// TestLlamaCppBPEVectors runs llama.cpp's tokenizer test vectors
// (models/ggml-vocab-*.gguf.inp/.out, written by Hugging Face tokenizers)
// when DEGEN_LLAMACPP_MODELS names that folder; they are not ours to commit.
// llama-bpe's and qwen2's .gguf files are not in the folder, so their
// vectors run against the llama3 and qwen2.5 tokenizer.json folders; the
// .gguf files of the other byte-level vocabularies are read with FromGGUF.
// Vectors of the three vocabularies this package is for must all match;
// the others are reported.
func TestLlamaCppBPEVectors(t *testing.T) {
	dir := os.Getenv("DEGEN_LLAMACPP_MODELS")
	if dir == "" {
		t.Skip("set DEGEN_LLAMACPP_MODELS to llama.cpp's models folder to run its tokenizer vectors")
	}
	cases := []struct {
		vocab    string // ggml-vocab-<vocab>.gguf
		hf       string // the Hugging Face folder to use instead of the .gguf
		required bool
	}{
		{"llama-bpe", "llama3", true},
		{"qwen2", "qwen2.5", true},
		{"gpt-2", "", true},
		{"starcoder", "", false},
		{"refact", "", false},
		{"mpt", "", false},
		{"falcon", "", false},
		{"deepseek-coder", "", false},
		{"deepseek-llm", "", false},
		{"gpt-neox", "", false},
		{"phi-3", "", false},
		{"baichuan", "", false},
	}
	for _, c := range cases {
		t.Run(c.vocab, func(t *testing.T) {
			base := filepath.Join(dir, "ggml-vocab-"+c.vocab+".gguf")
			if _, err := os.Stat(base + ".inp"); err != nil {
				t.Skip(err)
			}
			var tok *tokenizer.Tokenizer
			if c.hf != "" {
				tok, _ = tokenizer.LoadHFTest(t, c.hf)
			} else {
				data, err := os.ReadFile(base)
				require.NoError(t, err)
				f, err := gguf.Parse(data)
				require.NoError(t, err)
				v, err := tokenizer.FromGGUF(&f.KV)
				if err == nil {
					tok, err = tokenizer.New(v)
				}
				if err != nil {
					if c.required {
						t.Fatal(err)
					}
					t.Skip(err)
				}
			}
			vs := tokenizer.ReadVectorFiles(t, base)
			match := 0
			for _, vec := range vs {
				got := tok.EncodeInto([]int{}, vec.Text(), false)
				if slices.Equal(got, vec.IDs()) {
					match++
				} else if c.required {
					assert.Equal(t, vec.IDs(), got, "encode %q", vec.Text())
				} else {
					t.Logf("encode %q: %v, want %v", vec.Text(), got, vec.IDs())
				}
			}
			t.Logf("%s (pre %q): %d of %d vectors match", c.vocab, tok.Vocab().Pre, match, len(vs))
		})
	}
}
