package tokenizer

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"os"
)

// maxLlama2CFile bounds the size of a llama2.c tokenizer file read into
// memory. The 32000-token Llama 2 file is 434 kB; even a 256k-token
// vocabulary with long pieces stays far below this.
const maxLlama2CFile = 256 << 20

// LoadLlama2C reads a llama2.c tokenizer file (tokenizer.bin, tok512.bin):
// an int32 max_token_length, then for each of the vocabSize tokens a
// float32 score, an int32 byte length and the piece's bytes, all little
// endian. vocabSize is the model's (llama2.c takes it from the checkpoint
// header); 0 reads tokens up to the end of the file.
//
// llama2.c files write spaces as real spaces, keep the byte tokens
// "<0xNN>", and give ids 0, 1 and 2 to <unk>, <s> and </s>; the vocabulary
// is marked so (BOS 1, EOS 2, UNK 0, AddBOS and AddSpacePrefix set).
func LoadLlama2C(path string, vocabSize int) (*Vocab, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("llama2.c tokenizer: %w", err)
	}
	if fi.Size() > maxLlama2CFile {
		return nil, fmt.Errorf("llama2.c tokenizer %s: %d bytes is too large for a tokenizer file", path, fi.Size())
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("llama2.c tokenizer: %w", err)
	}
	v, err := ParseLlama2C(data, vocabSize)
	if err != nil {
		return nil, fmt.Errorf("llama2.c tokenizer %s: %w", path, err)
	}
	return v, nil
}

// ParseLlama2C decodes the contents of a llama2.c tokenizer file; see
// LoadLlama2C. Every length is checked against the bytes left, so corrupt
// data is an error, never a panic or a huge allocation.
func ParseLlama2C(data []byte, vocabSize int) (*Vocab, error) {
	const header, entryMin = 4, 8 // max_token_length; score + length
	if len(data) < header {
		return nil, fmt.Errorf("truncated header: %d bytes", len(data))
	}
	if maxLen := int32(binary.LittleEndian.Uint32(data)); maxLen < 0 {
		return nil, fmt.Errorf("negative max_token_length %d", maxLen)
	}
	body := len(data) - header
	switch {
	case vocabSize < 0:
		return nil, fmt.Errorf("negative vocab size %d", vocabSize)
	case vocabSize > body/entryMin:
		// Checked before allocating: each token takes at least 8 bytes.
		return nil, fmt.Errorf("vocab size %d needs at least %d bytes of tokens, the file has %d", vocabSize, vocabSize*entryMin, body)
	}
	capacity := vocabSize
	if capacity == 0 {
		capacity = body / entryMin
	}
	v := &Vocab{
		Pieces:         make([]string, 0, capacity),
		Scores:         make([]float32, 0, capacity),
		BOS:            1,
		EOS:            2,
		UNK:            0,
		AddBOS:         true,
		AddSpacePrefix: true,
		Space:          SpaceLlama2C,
	}
	off := header
	for vocabSize == 0 && off < len(data) || len(v.Pieces) < vocabSize {
		id := len(v.Pieces)
		if len(data)-off < entryMin {
			return nil, fmt.Errorf("token %d: truncated at byte %d", id, off)
		}
		score := math.Float32frombits(binary.LittleEndian.Uint32(data[off:]))
		n := int64(int32(binary.LittleEndian.Uint32(data[off+4:])))
		off += entryMin
		if n < 0 || n > int64(len(data)-off) {
			return nil, fmt.Errorf("token %d: length %d at byte %d, but %d bytes are left", id, n, off-4, len(data)-off)
		}
		v.Pieces = append(v.Pieces, string(data[off:off+int(n)]))
		v.Scores = append(v.Scores, score)
		off += int(n)
	}
	if off != len(data) {
		return nil, fmt.Errorf("%d bytes left after %d tokens: the vocab size does not match the file", len(data)-off, len(v.Pieces))
	}
	if len(v.Pieces) <= v.EOS {
		return nil, errors.New("fewer than 3 tokens: <unk>, <s> and </s> are missing")
	}
	types := make([]int32, len(v.Pieces))
	for id := range types {
		types[id] = v.TokenType(id) // inferred: a llama2.c file has no types
	}
	v.Types = types
	return v, nil
}

// parseByteToken recognises SentencePiece's byte pieces "<0xNN>".
func parseByteToken(p string) (byte, bool) {
	if len(p) != 6 || p[:3] != "<0x" || p[5] != '>' {
		return 0, false
	}
	hi, ok1 := hexDigit(p[3])
	lo, ok2 := hexDigit(p[4])
	return hi<<4 | lo, ok1 && ok2
}

func hexDigit(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	}
	return 0, false
}
