package tokenizer

import (
	"errors"
	"fmt"
	"slices"
)

// Metadata is what FromGGUF reads: the typed getters of a GGUF file's
// key/values, as *gguf.Metadata (gguf.File.KV) has them. A getter's error
// for an absent key does not matter: FromGGUF asks Has first.
type Metadata interface {
	Has(key string) bool
	String(key string) (string, error)
	Uint(key string) (uint64, error)
	Bool(key string) (bool, error)
	Strings(key string) ([]string, error)
	Float32s(key string) ([]float32, error)
	Int32s(key string) ([]int32, error)
}

// ErrNoVocabulary is returned by FromGGUF for a file without
// tokenizer.ggml.model (a model without its vocabulary).
var ErrNoVocabulary = errors.New("tokenizer: the file has no vocabulary (no tokenizer.ggml.model)")

// GGUF keys of the vocabulary.
const (
	keyModel          = "tokenizer.ggml.model"
	keyPre            = "tokenizer.ggml.pre"
	keyTokens         = "tokenizer.ggml.tokens"
	keyScores         = "tokenizer.ggml.scores"
	keyTypes          = "tokenizer.ggml.token_type"
	keyMerges         = "tokenizer.ggml.merges"
	keyAddBOS         = "tokenizer.ggml.add_bos_token"
	keyAddEOS         = "tokenizer.ggml.add_eos_token"
	keyAddSpacePrefix = "tokenizer.ggml.add_space_prefix"
	keyChatTemplate   = "tokenizer.chat_template"
)

// specialKey is the GGUF key of a special token role.
func specialKey(role string) string { return "tokenizer.ggml." + role + "_token_id" }

// roleNames are the roles besides bos, eos and unknown that GGUF files
// name (llama.cpp's LLM_KV_TOKENIZER_*_ID keys).
var roleNames = []string{"eot", "eom", "pad", "sep", "mask", "fim_pre", "fim_suf", "fim_mid", "fim_pad", "fim_rep", "fim_sep"}

// FromGGUF reads the vocabulary from the tokenizer.ggml.* metadata of a
// GGUF file, as llama.cpp's loader reads it:
//
//   - "llama" (SentencePiece): pieces, scores (zero when absent), token
//     types; BOS 1, EOS 2, UNK 0, add_bos_token true and add_space_prefix
//     true unless the file says otherwise. If the file also has merges
//     (written from a tokenizer.json that had them, like Gemma 3's), they
//     are kept and merging goes by their rank, as Hugging Face does; llama.cpp
//     ignores them and merges by score.
//   - "gpt2" (byte-level BPE): pieces, token types, merges, the
//     pre-tokenizer name (llama.cpp's "default" when absent), and the
//     special ids that the file names (the others are NoToken).
//     add_bos_token and ignore_merges default as llama.cpp defaults them
//     for the pre-tokenizer (true for llama-bpe); the normaliser is the one
//     the pre-tokenizer's models use in tokenizer.json (NFC for qwen2),
//     which llama.cpp does not apply.
//
// Special-token ids are checked against the vocabulary. Roles and EOG are
// filled in from the other tokenizer.ggml.*_token_id keys and the pieces.
func FromGGUF(kv Metadata) (*Vocab, error) {
	if !kv.Has(keyModel) {
		return nil, ErrNoVocabulary
	}
	kind, err := kv.String(keyModel)
	if err != nil {
		return nil, err
	}
	if kind != ModelSPM && kind != ModelBPE {
		return nil, fmt.Errorf("tokenizer model %q is not supported (only %q, SentencePiece, and %q, byte-level BPE)", kind, ModelSPM, ModelBPE)
	}
	pieces, err := kv.Strings(keyTokens)
	if err != nil {
		return nil, err
	}
	n := len(pieces)
	v := &Vocab{Model: kind, Pieces: pieces}
	if kv.Has(keyTypes) {
		if v.Types, err = kv.Int32s(keyTypes); err != nil {
			return nil, err
		}
	}
	if kv.Has(keyScores) {
		if v.Scores, err = kv.Float32s(keyScores); err != nil {
			return nil, err
		}
	}
	if kv.Has(keyMerges) {
		if v.Merges, err = kv.Strings(keyMerges); err != nil {
			return nil, err
		}
	}
	if kind == ModelSPM {
		v.BOS, v.EOS, v.UNK = 1, 2, 0
		v.AddBOS, v.AddSpacePrefix, v.Space = true, true, SpaceGGUF
		if v.Scores == nil {
			v.Scores = make([]float32, n)
		}
	} else {
		v.BOS, v.EOS, v.UNK = NoToken, NoToken, NoToken
		v.Pre = "default"
		if kv.Has(keyPre) {
			if v.Pre, err = kv.String(keyPre); err != nil {
				return nil, err
			}
		}
		spec, err := lookupPre(v.Pre)
		if err != nil {
			return nil, err
		}
		v.AddBOS, v.IgnoreMerges, v.Normalizer = spec.addBOS, spec.ignoreMerges, spec.normalizer
		if len(v.Merges) == 0 {
			return nil, fmt.Errorf("metadata key %s: a gpt2 vocabulary needs merges", keyMerges)
		}
	}
	if v.Scores != nil && len(v.Scores) != n || v.Types != nil && len(v.Types) != n {
		return nil, fmt.Errorf("tokenizer has %d tokens but %d scores and %d types", n, len(v.Scores), len(v.Types))
	}
	for _, k := range []struct {
		role string
		dst  *int
	}{{"bos", &v.BOS}, {"eos", &v.EOS}, {"unknown", &v.UNK}} {
		if _, err := ggufTokenID(kv, specialKey(k.role), n, k.dst); err != nil {
			return nil, err
		}
	}
	for _, role := range roleNames {
		id := NoToken
		ok, err := ggufTokenID(kv, specialKey(role), n, &id)
		if err != nil {
			return nil, err
		}
		if ok {
			if v.Roles == nil {
				v.Roles = map[string]int{}
			}
			v.Roles[role] = id
		}
	}
	for _, f := range []struct {
		key string
		dst *bool
	}{{keyAddBOS, &v.AddBOS}, {keyAddEOS, &v.AddEOS}, {keyAddSpacePrefix, &v.AddSpacePrefix}} {
		if f.key == keyAddSpacePrefix && kind != ModelSPM {
			continue
		}
		if kv.Has(f.key) {
			if *f.dst, err = kv.Bool(f.key); err != nil {
				return nil, err
			}
		}
	}
	v.EOG = FindEOG(v)
	return v, nil
}

// ggufTokenID reads an optional token id key into dst, checking it against
// the vocabulary size n; false when the key is absent.
func ggufTokenID(kv Metadata, key string, n int, dst *int) (bool, error) {
	if !kv.Has(key) {
		return false, nil
	}
	u, err := kv.Uint(key)
	if err != nil {
		return false, err
	}
	if u >= uint64(n) {
		return false, fmt.Errorf("metadata key %s: token %d is outside the vocabulary of %d", key, u, n)
	}
	*dst = int(u)
	return true, nil
}

// KV is one GGUF metadata key and value, of a Go type that gguf.Writer.Set
// takes (string, bool, uint32, []string, []float32, []int32).
type KV struct {
	Key   string
	Value any
}

// GGUFMetadata is the tokenizer.ggml.* key/values that store v in a GGUF
// file so that llama.cpp reads it as v says (and FromGGUF reads v back):
// model, pre (gpt2), tokens, scores (when v has them), token_type (inferred
// when v has none), merges (when v has them), the special ids v has, and
// add_bos_token and add_eos_token always, since llama.cpp's defaults
// depend on the pre-tokenizer (add_space_prefix too for SentencePiece).
// Normalizer and IgnoreMerges have no key: llama.cpp and FromGGUF take
// them from pre.
func (v *Vocab) GGUFMetadata() []KV {
	model := v.Model
	if model == "" {
		model = ModelSPM
	}
	types := v.Types
	if types == nil {
		types = make([]int32, len(v.Pieces))
		for id := range types {
			types[id] = v.TokenType(id)
		}
	}
	kvs := []KV{{keyModel, model}}
	if model == ModelBPE {
		kvs = append(kvs, KV{keyPre, v.Pre})
	}
	kvs = append(kvs, KV{keyTokens, v.Pieces})
	if v.Scores != nil {
		kvs = append(kvs, KV{keyScores, v.Scores})
	}
	kvs = append(kvs, KV{keyTypes, types})
	if len(v.Merges) > 0 {
		kvs = append(kvs, KV{keyMerges, v.Merges})
	}
	for _, s := range []struct {
		role string
		id   int
	}{{"bos", v.BOS}, {"eos", v.EOS}, {"unknown", v.UNK}} {
		if s.id >= 0 {
			kvs = append(kvs, KV{specialKey(s.role), uint32(s.id)})
		}
	}
	for _, role := range roleNames {
		if id, ok := v.Roles[role]; ok && id >= 0 {
			kvs = append(kvs, KV{specialKey(role), uint32(id)})
		}
	}
	kvs = append(kvs, KV{keyAddBOS, v.AddBOS}, KV{keyAddEOS, v.AddEOS})
	if model == ModelSPM {
		kvs = append(kvs, KV{keyAddSpacePrefix, v.AddSpacePrefix})
	}
	return kvs
}

// eogTexts are the pieces that end a turn in the chat formats of common
// models (llama.cpp keeps the same list to find its end-of-generation set).
var eogTexts = []string{
	"<|eot_id|>", "<|eom_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>", "<|endoftext|>",
	"<|end_of_text|>", "<EOT>", "_<EOT>", "<｜end▁of▁sentence｜>", "<end_of_utterance>",
	"<|return|>", "<|call|>", "<eos>", "</s>",
}

// FindEOG lists the tokens of v that may end a generation, each once: EOS,
// the eot and eom roles, then the control tokens whose text is in a list of
// known ends of turn ("<|eot_id|>", "<|im_end|>", "<end_of_turn>",
// "<|endoftext|>", ...), in id order. Only control tokens count by text, so
// Gemma's user-defined HTML tag "</s>" is not one.
func FindEOG(v *Vocab) []Token {
	var out []Token
	add := func(id int, why string) {
		if id < 0 || id >= len(v.Pieces) || slices.ContainsFunc(out, func(t Token) bool { return t.ID == id }) {
			return
		}
		out = append(out, Token{ID: id, Text: v.Pieces[id], Why: why})
	}
	add(v.EOS, "eos")
	for _, role := range []string{"eot", "eom"} {
		if id, ok := v.Roles[role]; ok {
			add(id, role)
		}
	}
	for id, p := range v.Pieces {
		if v.TokenType(id) == TypeControl && slices.Contains(eogTexts, p) {
			add(id, "text")
		}
	}
	return out
}
