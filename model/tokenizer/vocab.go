package tokenizer

import (
	"strconv"
	"strings"
)

// Vocab is a vocabulary as stored in a model file: the pieces with their
// merge scores or merges and types, the special token ids, and how text is
// prepared before merging. It mirrors GGUF's tokenizer.ggml.* keys. The
// loaders of llama2.c tokenizer files (LoadLlama2C), of GGUF metadata
// (FromGGUF) and of Hugging Face tokenizer.json folders (LoadHF) fill it in;
// New builds a Tokenizer from it.
//
// Two kinds of tokenizer share it, told apart by Model: SentencePiece BPE
// ("llama", Llama 2, Gemma) and byte-level BPE ("gpt2", Llama 3, Qwen,
// SmolLM, GPT-2). Special and added tokens are the pieces typed
// TypeControl (special: split out of text only when asked, see
// EncodeOptions.Special) and TypeUserDefined (always split out, as Hugging
// Face and llama.cpp do with added tokens that are not special).
type Vocab struct {
	// Model is the kind of tokenizer, as tokenizer.ggml.model names it:
	// ModelSPM ("llama", and "" for it) or ModelBPE ("gpt2").
	Model  string
	Pieces []string  // (vocab) token text: "▁" (U+2581) marks a space in SentencePiece GGUF vocabularies, " " in llama2.c ones; byte-level spelling ("Ġthe") in gpt2 ones
	Scores []float32 // (vocab) SentencePiece merge priority, higher merges first; may be nil in a gpt2 vocabulary
	Types  []int32   // (vocab) GGUF token types (1 normal, 2 unknown, 3 control, 4 user defined, 5 unused, 6 byte); nil when unknown
	// Merges are the BPE merges in rank order, the first merging first,
	// each the two pieces joined by one space ("Ġ t") as
	// tokenizer.ggml.merges stores them; the split is at the first space
	// after the first byte. A gpt2 vocabulary needs them. A SentencePiece
	// vocabulary with merges (Gemma 3's tokenizer.json) merges by their
	// rank, as Hugging Face does, instead of by Scores.
	Merges []string
	// Pre names the pre-tokenizer of a gpt2 vocabulary as
	// tokenizer.ggml.pre does ("llama-bpe", "qwen2", "gpt-2", ...); see
	// PreTokenizers. Ignored for SentencePiece.
	Pre string
	// Normalizer is applied to text before pre-tokenization: "" (none) or
	// "nfc" (Qwen's tokenizer.json). GGUF has no key for it: FromGGUF
	// derives it from Pre.
	Normalizer string
	// IgnoreMerges takes a pre-token that is a piece whole, without
	// merging (tokenizer.json's ignore_merges, which Llama 3 sets; llama.cpp
	// sets it for the llama-bpe family). FromGGUF derives it from Pre.
	IgnoreMerges bool

	BOS    int  // beginning of sequence, usually 1; NoToken when the vocabulary has none (gpt2 only)
	EOS    int  // end of sequence, usually 2; NoToken when none (gpt2 only)
	UNK    int  // unknown, usually 0; NoToken when none (gpt2 only)
	AddBOS bool // whether encoding a prompt starts with BOS
	AddEOS bool // whether an encoded text ends with EOS (EncodeOptions.AddEOS)
	// Roles are the ids of the other special tokens GGUF names, keyed by
	// the role of tokenizer.ggml.<role>_token_id: "eot", "eom", "pad",
	// "sep", "mask", "fim_pre", ... (never "bos", "eos" or "unknown").
	Roles map[string]int
	// EOG lists the tokens that may end a generation: EOS, the eot and eom
	// roles, and control tokens whose text is a known end of turn ("<|eot_id|>", "<|im_end|>", "<end_of_turn>",
	// "<|endoftext|>", ...). The loaders fill it in (see FindEOG); it is
	// data for the caller, which decides what stops.
	EOG []Token
	// AddSpacePrefix is SentencePiece's dummy prefix: a space is put before
	// the text, so "Hello" encodes like " Hello".
	AddSpacePrefix bool
	// Space is the piece text that stands for a space: "▁" in GGUF (and
	// SentencePiece) vocabularies, " " in llama2.c tokenizer files. Empty
	// means New detects it: "▁" if any piece contains it, else " ".
	Space string
}

// Token is one token of a vocabulary.
type Token struct {
	ID   int
	Text string // the piece as the vocabulary spells it
	// Why an EOG token is listed: "eos", "eot", "eom" (the vocabulary's
	// special id of that role) or "text" (its text is a known end of turn).
	Why string
}

// NoToken stands for an absent special token.
const NoToken = -1

// Model kinds of tokenizer.ggml.model.
const (
	ModelSPM = "llama" // SentencePiece BPE
	ModelBPE = "gpt2"  // byte-level BPE
)

// IsBPE reports whether the vocabulary is a byte-level BPE one.
func (v *Vocab) IsBPE() bool { return v.Model == ModelBPE }

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
// control for BOS and EOS, byte for "<0xNN>" pieces, normal for the rest
// (a gpt2 vocabulary has no byte pieces and no unknown type).
func (v *Vocab) TokenType(id int) int32 {
	if v.Types != nil {
		return v.Types[id]
	}
	switch _, isByte := parseByteToken(v.Pieces[id]); {
	case v.IsBPE():
		if id == v.BOS || id == v.EOS || id == v.UNK {
			return TypeControl
		}
		return TypeNormal
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

// PadTo extends the vocabulary to n tokens with unused pieces "[PADi]", as
// llama.cpp's converter does when a model's embedding has more rows than
// its tokenizer has tokens (Qwen2.5's 151936 for 151665 tokens). A
// vocabulary of n tokens or more is left as it is.
func (v *Vocab) PadTo(n int) {
	if len(v.Pieces) >= n {
		return
	}
	if v.Types == nil {
		v.Types = make([]int32, len(v.Pieces), n)
		for id := range v.Types {
			v.Types[id] = v.TokenType(id)
		}
	}
	low := float32(0)
	for _, s := range v.Scores {
		low = min(low, s)
	}
	for id := len(v.Pieces); id < n; id++ {
		v.Pieces = append(v.Pieces, "[PAD"+strconv.Itoa(id)+"]")
		v.Types = append(v.Types, TypeUnused)
		if v.Scores != nil {
			v.Scores = append(v.Scores, low)
		}
	}
}
