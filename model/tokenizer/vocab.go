package tokenizer

import "strings"

// Vocab is a SentencePiece-style vocabulary as stored in a model file: the
// pieces with their merge scores and types, and the special token ids. The
// loaders of llama2.c tokenizer files and of GGUF metadata fill it in; New
// builds a Tokenizer from it.
type Vocab struct {
	Pieces []string  // (vocab) token text; "▁" (U+2581) marks a space in GGUF vocabularies, " " in llama2.c ones
	Scores []float32 // (vocab) merge priority: higher merges first
	Types  []int32   // (vocab) GGUF token types (1 normal, 2 unknown, 3 control, 4 user defined, 5 unused, 6 byte); nil when unknown
	BOS    int       // beginning of sequence, usually 1
	EOS    int       // end of sequence, usually 2
	UNK    int       // unknown, usually 0
	AddBOS bool      // whether encoding a prompt starts with BOS
	// AddSpacePrefix is SentencePiece's dummy prefix: a space is put before
	// the text, so "Hello" encodes like " Hello".
	AddSpacePrefix bool
	// Space is the piece text that stands for a space: "▁" in GGUF (and
	// SentencePiece) vocabularies, " " in llama2.c tokenizer files. Empty
	// means New detects it: "▁" if any piece contains it, else " ".
	Space string
}

// Space markers of the two vocabulary conventions.
const (
	SpaceGGUF    = "\u2581" // "▁", SentencePiece's escaped space
	SpaceLlama2C = " "
)

// Token types of GGUF's tokenizer.ggml.token_type.
const (
	TypeNormal      = 1
	TypeUnknown     = 2
	TypeControl     = 3
	TypeUserDefined = 4
	TypeUnused      = 5
	TypeByte        = 6
)

// TokenType is the GGUF type of token id: the vocabulary's own when it has
// types, else inferred as SentencePiece assigns them: unknown for UNK,
// control for BOS and EOS, byte for "<0xNN>" pieces, normal for the rest.
func (v *Vocab) TokenType(id int) int32 {
	if v.Types != nil {
		return v.Types[id]
	}
	switch _, isByte := parseByteToken(v.Pieces[id]); {
	case id == v.UNK:
		return TypeUnknown
	case id == v.BOS || id == v.EOS:
		return TypeControl
	case isByte:
		return TypeByte
	}
	return TypeNormal
}

// SpaceMarker is the piece text that stands for a space: Space when set,
// else "▁" if any piece contains it (a GGUF or SentencePiece vocabulary),
// else " " (a llama2.c tokenizer file).
func (v *Vocab) SpaceMarker() string {
	if v.Space != "" {
		return v.Space
	}
	for _, p := range v.Pieces {
		if strings.Contains(p, SpaceGGUF) {
			return SpaceGGUF
		}
	}
	return SpaceLlama2C
}
