package tokenizer_test

import (
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/degen-llm/degen/model/gguf"
	"github.com/degen-llm/degen/model/tokenizer"
)

// ggufVocab reads a Vocab from the tokenizer.ggml.* metadata of a GGUF file.
func ggufVocab(t *testing.T, path string) *tokenizer.Vocab {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	f, err := gguf.Parse(data)
	require.NoError(t, err)
	model, err := f.KV.String("tokenizer.ggml.model")
	require.NoError(t, err)
	require.Equal(t, "llama", model, "not a SentencePiece vocabulary")

	v := &tokenizer.Vocab{AddBOS: true, AddSpacePrefix: true}
	v.Pieces, err = f.KV.Strings("tokenizer.ggml.tokens")
	require.NoError(t, err)
	v.Scores, err = f.KV.Float32s("tokenizer.ggml.scores")
	require.NoError(t, err)
	v.Types, err = f.KV.Int32s("tokenizer.ggml.token_type")
	require.NoError(t, err)
	for key, dst := range map[string]*int{
		"tokenizer.ggml.bos_token_id":     &v.BOS,
		"tokenizer.ggml.eos_token_id":     &v.EOS,
		"tokenizer.ggml.unknown_token_id": &v.UNK,
	} {
		id, err := f.KV.Uint(key)
		require.NoError(t, err)
		*dst = int(id)
	}
	if f.KV.Has("tokenizer.ggml.add_space_prefix") {
		v.AddSpacePrefix, err = f.KV.Bool("tokenizer.ggml.add_space_prefix")
		require.NoError(t, err)
	}
	return v
}

func TestLlamaCppVectorsGGUF(t *testing.T) {
	v := ggufVocab(t, tokenizer.ModelPath(t, "tokenizer-tests", "ggml-vocab-llama-spm.gguf"))
	tok, err := tokenizer.New(v)
	require.NoError(t, err)
	require.Equal(t, 32000, tok.VocabSize())
	assert.Equal(t, "▁the", tok.Piece(278), "GGUF pieces spell spaces as ▁")

	vs := tokenizer.ReadVectors(t)
	require.Len(t, vs, 46)
	tokenizer.CheckVectors(t, tok, vs)

	// The GGUF vocabulary and llama2.c's tokenizer.bin are the same
	// vocabulary in two spellings: every piece matches once ▁ is a space.
	l2cv, err := tokenizer.LoadLlama2C(tokenizer.ModelPath(t, "tokenizer.bin"), 32000)
	require.NoError(t, err)
	l2c, err := tokenizer.New(l2cv)
	require.NoError(t, err)
	for id := range 32000 {
		require.Equal(t, tok.Decode(id), l2c.Decode(id), "id %d", id)
		require.Equal(t, tok.IsControl(id), l2c.IsControl(id), "id %d", id)
		require.Equal(t, v.Scores[id], l2cv.Scores[id], "id %d", id)
		require.Equal(t, v.Types[id], l2cv.Types[id], "id %d", id)
		if id >= 3 { // <s> and </s> are "\n<s>\n" and "\n</s>\n" in llama2.c files
			require.Equal(t, tok.Piece(id), strings.ReplaceAll(l2c.Piece(id), " ", "▁"), "id %d", id)
		}
	}
}
