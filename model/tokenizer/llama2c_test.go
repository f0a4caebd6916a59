package tokenizer

import (
	"encoding/binary"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// llama2cFile builds the bytes of a llama2.c tokenizer file.
type llama2cFile []byte

func newLlama2CFile(maxLen int32) llama2cFile {
	return binary.LittleEndian.AppendUint32(nil, uint32(maxLen))
}

func (f llama2cFile) token(score float32, piece string) llama2cFile {
	return f.raw(score, int32(len(piece)), piece)
}

// raw writes an entry whose length field need not match the piece.
func (f llama2cFile) raw(score float32, n int32, piece string) llama2cFile {
	f = binary.LittleEndian.AppendUint32(f, math.Float32bits(score))
	f = binary.LittleEndian.AppendUint32(f, uint32(n))
	return append(f, piece...)
}

func specials() llama2cFile {
	return newLlama2CFile(6).token(0, "<unk>").token(0, "\n<s>\n").token(0, "\n</s>\n")
}

func TestParseLlama2C(t *testing.T) {
	data := specials().token(0, "<0x41>").token(-1.5, " ").token(-2.5, "a").token(-3, " a").token(0, "<0x4")
	v, err := ParseLlama2C(data, 8)
	require.NoError(t, err)
	assert.Equal(t, []string{"<unk>", "\n<s>\n", "\n</s>\n", "<0x41>", " ", "a", " a", "<0x4"}, v.Pieces)
	assert.Equal(t, []float32{0, 0, 0, 0, -1.5, -2.5, -3, 0}, v.Scores)
	assert.Equal(t, []int32{TypeUnknown, TypeControl, TypeControl, TypeByte, TypeNormal, TypeNormal, TypeNormal, TypeNormal}, v.Types)
	assert.Equal(t, 1, v.BOS)
	assert.Equal(t, 2, v.EOS)
	assert.Equal(t, 0, v.UNK)
	assert.True(t, v.AddBOS)
	assert.True(t, v.AddSpacePrefix)
	assert.Equal(t, SpaceLlama2C, v.Space)

	all, err := ParseLlama2C(data, 0)
	require.NoError(t, err)
	assert.Equal(t, v, all, "vocab size 0 reads to the end")

	tok, err := New(v)
	require.NoError(t, err)
	assert.Equal(t, []int{1, 6, 5}, tok.Encode("aa", true), `" a" then "a"`)
	assert.Equal(t, []int{6, 3}, tok.Encode("aA", false), "A falls back to its byte token")
}

func TestParseLlama2CErrors(t *testing.T) {
	good := specials().token(-1, "a")
	tests := []struct {
		name      string
		data      []byte
		vocabSize int
		msg       string
	}{
		{"empty", nil, 4, "truncated header"},
		{"short header", []byte{1, 0}, 4, "truncated header"},
		{"negative max length", newLlama2CFile(-1), 0, "negative max_token_length"},
		{"negative vocab size", good, -1, "negative vocab size"},
		{"vocab size too large for the file", good, 1 << 40, "needs at least"},
		{"vocab size one too many", good, 5, "truncated at byte"},
		{"vocab size too small", good, 3, "bytes left after 3 tokens"},
		{"negative length", specials().raw(0, -1, "x"), 4, "length -1"},
		{"length past the end", specials().raw(0, 1<<30, "xyz"), 4, "length 1073741824"},
		{"length one past the end", specials().raw(0, 4, "xyz"), 4, "but 3 bytes are left"},
		{"truncated entry", append(specials(), 0, 0, 0), 0, "token 3: truncated"},
		{"too few tokens", newLlama2CFile(6).token(0, "<unk>").token(0, "<s>"), 0, "fewer than 3 tokens"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v, err := ParseLlama2C(tc.data, tc.vocabSize)
			require.Error(t, err)
			assert.Nil(t, v)
			assert.Contains(t, err.Error(), tc.msg)
		})
	}
}

func TestLoadLlama2C(t *testing.T) {
	t.Run("tokenizer.bin", func(t *testing.T) {
		v, err := LoadLlama2C(modelPath(t, "tokenizer.bin"), 32000)
		require.NoError(t, err)
		require.Len(t, v.Pieces, 32000)
		// Spot checks against the Llama 2 vocabulary: byte tokens at 3..258,
		// then the merges, the first being "▁▁" and "▁t"; "▁the" is 278.
		assert.Equal(t, "<0x00>", v.Pieces[3])
		assert.Equal(t, "<0xFF>", v.Pieces[258])
		assert.Equal(t, "  ", v.Pieces[259])
		assert.Equal(t, " t", v.Pieces[260])
		assert.Equal(t, " the", v.Pieces[278])
		for id := 3; id <= 258; id++ {
			require.EqualValues(t, TypeByte, v.Types[id], "id %d", id)
		}
		assert.EqualValues(t, TypeNormal, v.Types[259])
	})
	t.Run("wrong vocab size names the file", func(t *testing.T) {
		path := modelPath(t, "tok512.bin")
		_, err := LoadLlama2C(path, 32000)
		require.Error(t, err)
		assert.Contains(t, err.Error(), path)
	})
	t.Run("missing file", func(t *testing.T) {
		_, err := LoadLlama2C(filepath.Join(t.TempDir(), "nope.bin"), 512)
		require.Error(t, err)
		assert.Contains(t, err.Error(), "nope.bin")
	})
	t.Run("corrupt file names the file", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "bad.bin")
		require.NoError(t, os.WriteFile(path, specials().raw(0, 99, "x"), 0o644))
		_, err := LoadLlama2C(path, 4)
		require.Error(t, err)
		assert.Contains(t, err.Error(), path)
		assert.Contains(t, err.Error(), "token 3")
	})
}

func TestNewErrors(t *testing.T) {
	base := func() *Vocab {
		v, err := ParseLlama2C(specials().token(-1, "a"), 4)
		require.NoError(t, err)
		return v
	}
	tests := []struct {
		name  string
		spoil func(v *Vocab) *Vocab
		msg   string
	}{
		{"nil", func(*Vocab) *Vocab { return nil }, "no vocabulary"},
		{"empty", func(*Vocab) *Vocab { return &Vocab{} }, "empty vocabulary"},
		{"scores", func(v *Vocab) *Vocab { v.Scores = v.Scores[:3]; return v }, "4 pieces but 3 scores"},
		{"types", func(v *Vocab) *Vocab { v.Types = v.Types[:1]; return v }, "4 pieces but 1 token types"},
		{"bos", func(v *Vocab) *Vocab { v.BOS = 4; return v }, "bos id 4"},
		{"eos", func(v *Vocab) *Vocab { v.EOS = -1; return v }, "eos id -1"},
		{"unk", func(v *Vocab) *Vocab { v.UNK = 99; return v }, "unk id 99"},
		{"byte type", func(v *Vocab) *Vocab { v.Types[3] = TypeByte; return v }, `its piece is "a"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tok, err := New(tc.spoil(base()))
			require.Error(t, err)
			assert.Nil(t, tok)
			assert.Contains(t, err.Error(), tc.msg)
		})
	}
}
