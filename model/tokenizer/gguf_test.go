package tokenizer_test

import (
	"bytes"
	"os"
	"reflect"
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

// ggufOf writes kvs to a GGUF file (no tensors) and parses it back.
func ggufOf(t *testing.T, kvs []tokenizer.KV) *gguf.File {
	t.Helper()
	w := gguf.NewWriter()
	w.Set("general.architecture", "llama")
	for _, kv := range kvs {
		require.NoError(t, w.Set(kv.Key, kv.Value), kv.Key)
	}
	var buf bytes.Buffer
	_, err := w.WriteTo(&buf)
	require.NoError(t, err)
	f, err := gguf.Parse(buf.Bytes())
	require.NoError(t, err)
	return f
}

// TestFromGGUFSentencePiece: FromGGUF reads a SentencePiece file as the
// loader always has, and the vocabulary passes llama.cpp's vectors.
func TestFromGGUFSentencePiece(t *testing.T) {
	path := tokenizer.ModelPath(t, "tokenizer-tests", "ggml-vocab-llama-spm.gguf")
	want := ggufVocab(t, path)
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	f, err := gguf.Parse(data)
	require.NoError(t, err)
	v, err := tokenizer.FromGGUF(&f.KV)
	require.NoError(t, err)
	assert.Equal(t, tokenizer.ModelSPM, v.Model)
	assert.Equal(t, want.Pieces, v.Pieces)
	assert.Equal(t, want.Scores, v.Scores)
	assert.Equal(t, want.Types, v.Types)
	assert.Equal(t, []int{want.BOS, want.EOS, want.UNK}, []int{v.BOS, v.EOS, v.UNK})
	assert.Equal(t, want.AddBOS, v.AddBOS)
	assert.False(t, v.AddEOS)
	assert.Equal(t, want.AddSpacePrefix, v.AddSpacePrefix)
	assert.Equal(t, tokenizer.SpaceGGUF, v.SpaceMarker())
	assert.Empty(t, v.Merges)
	assert.Equal(t, []tokenizer.Token{{ID: 2, Text: "</s>", Why: "eos"}}, v.EOG)
	tok, err := tokenizer.New(v)
	require.NoError(t, err)
	tokenizer.CheckVectors(t, tok, tokenizer.ReadVectors(t))

	// Written back and read again, it is the same vocabulary.
	back, err := tokenizer.FromGGUF(&ggufOf(t, v.GGUFMetadata()).KV)
	require.NoError(t, err)
	assert.True(t, reflect.DeepEqual(v, back), "the vocabulary read back differs")

	_, err = tokenizer.FromGGUF(&ggufOf(t, nil).KV)
	assert.ErrorIs(t, err, tokenizer.ErrNoVocabulary)
}

// TestFromGGUFHF turns each Hugging Face folder into GGUF metadata, reads
// it back with FromGGUF and checks the same vocabulary and the same ids as
// Hugging Face on the corpus.
func TestFromGGUFHF(t *testing.T) {
	texts := tokenizer.ReadCorpus(t)
	for _, name := range tokenizer.HFVocabs {
		t.Run(name, func(t *testing.T) {
			hf, _ := tokenizer.LoadHFTest(t, name)
			want := hf.Vocab()
			v, err := tokenizer.FromGGUF(&ggufOf(t, want.GGUFMetadata()).KV)
			require.NoError(t, err)
			require.True(t, reflect.DeepEqual(want, v), "the vocabulary read back differs")
			tok, err := tokenizer.New(v)
			require.NoError(t, err)
			prefix, suffix, special, plain := tokenizer.ReadHFCases(t, name)
			for i, text := range texts {
				assert.Equal(t, special[i], tok.EncodeWith([]int{}, text, tokenizer.EncodeOptions{Special: true}), "EncodeSpecial %q", text)
				assert.Equal(t, plain[i], tok.EncodeInto([]int{}, text, false), "Encode %q", text)
				all := tok.EncodeWith([]int{}, text, tokenizer.EncodeOptions{AddBOS: tok.AddBOS(), AddEOS: tok.AddEOS(), Special: true})
				assert.Equal(t, append(append(append([]int{}, prefix...), special[i]...), suffix...), all, "with BOS/EOS %q", text)
			}
		})
	}
}

// TestFromGGUFPre: a gpt2 file's pre-tokenizer name sets what the name
// implies, and an unknown name is an error listing the supported ones.
func TestFromGGUFPre(t *testing.T) {
	hf, _ := tokenizer.LoadHFTest(t, "qwen2.5")
	kvs := hf.Vocab().GGUFMetadata()
	set := func(key string, value any) []tokenizer.KV {
		out := []tokenizer.KV{}
		for _, kv := range kvs {
			if kv.Key == key {
				kv.Value = value
			}
			if kv.Key != key || value != nil {
				out = append(out, kv)
			}
		}
		return out
	}
	v, err := tokenizer.FromGGUF(&ggufOf(t, set("tokenizer.ggml.pre", "llama-bpe")).KV)
	require.NoError(t, err)
	assert.True(t, v.IgnoreMerges)
	assert.Equal(t, "", v.Normalizer)
	assert.False(t, v.AddBOS, "the file's add_bos_token wins over the name's default")
	v, err = tokenizer.FromGGUF(&ggufOf(t, set("tokenizer.ggml.add_bos_token", nil)).KV)
	require.NoError(t, err)
	assert.Equal(t, "nfc", v.Normalizer)
	assert.False(t, v.AddBOS)

	_, err = tokenizer.FromGGUF(&ggufOf(t, set("tokenizer.ggml.pre", "no-such-pre")).KV)
	require.Error(t, err)
	assert.Contains(t, err.Error(), `"no-such-pre" is not supported`)
	assert.Contains(t, err.Error(), "llama-bpe, llama-v3, llama3")
	assert.Contains(t, err.Error(), "qwen2")
	_, err = tokenizer.FromGGUF(&ggufOf(t, set("tokenizer.ggml.merges", nil)).KV)
	assert.ErrorContains(t, err, "needs merges")
	_, err = tokenizer.FromGGUF(&ggufOf(t, set("tokenizer.ggml.eos_token_id", uint32(1<<20))).KV)
	assert.ErrorContains(t, err, "outside the vocabulary")
}
