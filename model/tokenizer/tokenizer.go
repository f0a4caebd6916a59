package tokenizer

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"unicode/utf8"
)

// Tokenizer encodes text to token ids and decodes them back with one
// vocabulary. Build it with New; it is safe for concurrent use.
type Tokenizer struct {
	v     *Vocab
	space string // the vocabulary's space marker, SpaceGGUF or SpaceLlama2C

	// match maps the pieces that text may be split into (normal and
	// user-defined ones, in the vocabulary's own spelling) to their ids.
	// Control, unknown, unused and byte pieces are left out, as in
	// SentencePiece: the text "<0x41>" is six characters, not byte 0x41.
	match map[string]int32
	ids   map[string]int // every piece, for ID

	// Tables that let encoding skip most map lookups and cut the text into
	// independent segments (see encode). pairs maps every two-character
	// substring of a matchable piece to the id of that two-character piece,
	// or to noPiece when it only occurs inside longer pieces. asciiID and
	// asciiPair are the same for ASCII characters, with noMatch for absent.
	// split is false when some piece is not valid UTF-8, which makes the
	// two-character argument unsound, so segments are not cut.
	pairs     map[string]int32
	asciiID   [128]int32
	asciiPair [128 * 128]int32
	split     bool

	byteID [256]int32 // id of the byte token of each byte, -1 when missing

	// Tokens cut out of the text before encoding (see added.go): added
	// holds the user-defined ones, addedSpecial those and the control ones.
	// nil when there are none.
	added, addedSpecial *addedMatcher

	// Merging by rank (bpe.go), for gpt2 vocabularies and SentencePiece
	// ones with merges: merges maps a pair of ids, left<<32|right, to the
	// merge's rank<<32|merged id. For gpt2, byteTok is the id of each byte's
	// byte-level character (-1 when missing), pre the pre-tokenizer, and
	// whole the ids of normal pieces by their decoded text (ignore_merges).
	merges  map[uint64]uint64
	byteTok [256]int32
	pre     *preTokenizer
	whole   map[string]int32
	nfc     bool

	text    []string // (vocab) what each token decodes to
	lead    []bool   // (vocab) the token's text starts with the dummy-prefix space
	control []bool   // (vocab) control-like: decodes to nothing

	states sync.Pool // *encodeState scratch buffers
}

// New checks v and builds the lookup tables of a Tokenizer: a
// SentencePiece one for Model "llama" (or ""), a byte-level BPE one for
// "gpt2". The Tokenizer keeps v; do not change it afterwards.
func New(v *Vocab) (*Tokenizer, error) {
	if v == nil {
		return nil, errors.New("tokenizer: no vocabulary")
	}
	n := len(v.Pieces)
	bpe := v.Model == ModelBPE
	switch {
	case v.Model != "" && v.Model != ModelSPM && !bpe:
		return nil, fmt.Errorf("tokenizer: model %q is not supported (only %q, SentencePiece, and %q, byte-level BPE)", v.Model, ModelSPM, ModelBPE)
	case n == 0:
		return nil, errors.New("tokenizer: empty vocabulary")
	case n > 1<<30:
		return nil, fmt.Errorf("tokenizer: %d tokens is too many", n)
	case len(v.Scores) != n && !(bpe && v.Scores == nil):
		return nil, fmt.Errorf("tokenizer: %d pieces but %d scores", n, len(v.Scores))
	case v.Types != nil && len(v.Types) != n:
		return nil, fmt.Errorf("tokenizer: %d pieces but %d token types", n, len(v.Types))
	case bpe && len(v.Merges) == 0:
		return nil, errors.New("tokenizer: a gpt2 vocabulary needs merges")
	}
	if err := checkNormalizer(v.Normalizer); err != nil {
		return nil, err
	}
	for _, special := range []struct {
		name string
		id   int
	}{{"bos", v.BOS}, {"eos", v.EOS}, {"unk", v.UNK}} {
		if (special.id < 0 || special.id >= n) && !(bpe && special.id == NoToken) {
			return nil, fmt.Errorf("tokenizer: %s id %d is outside the vocabulary of %d", special.name, special.id, n)
		}
	}
	t := &Tokenizer{
		v:       v,
		space:   v.SpaceMarker(),
		match:   make(map[string]int32, n),
		ids:     make(map[string]int, n),
		text:    make([]string, n),
		lead:    make([]bool, n),
		control: make([]bool, n),
		nfc:     v.Normalizer == NormalizerNFC,
	}
	if bpe {
		t.space = " "
	}
	for i := range t.byteID {
		t.byteID[i] = -1
	}
	for id, p := range v.Pieces {
		typ := t.v.TokenType(id)
		if _, dup := t.ids[p]; !dup {
			t.ids[p] = id
		}
		switch typ {
		case TypeControl, TypeUnknown, TypeUnused:
			t.control[id] = true
		case TypeByte:
			if bpe {
				t.text[id] = byteLevelDecode(p)
				break
			}
			b, ok := parseByteToken(p)
			if !ok {
				return nil, fmt.Errorf("tokenizer: token %d has the byte type but its piece is %q", id, p)
			}
			if t.byteID[b] < 0 {
				t.byteID[b] = int32(id)
			}
			t.text[id] = string([]byte{b})
		default: // normal, user defined, and undefined (0) or unknown types
			if _, dup := t.match[p]; !dup && p != "" && !bpe {
				t.match[p] = int32(id)
			}
			s := p
			switch {
			case bpe && typ != TypeUserDefined:
				s = byteLevelDecode(p)
			case bpe:
			case typ != TypeUserDefined && t.space != " " || len(v.Merges) > 0:
				// Hugging Face decodes added tokens like the others, so
				// Gemma's "▁▁" reads as two spaces.
				s = strings.ReplaceAll(p, t.space, " ")
			}
			t.text[id] = s
			t.lead[id] = !bpe && v.AddSpacePrefix && strings.HasPrefix(s, " ")
		}
	}
	if err := t.buildAdded(); err != nil {
		return nil, err
	}
	if bpe || len(v.Merges) > 0 {
		if err := t.buildMerges(); err != nil {
			return nil, err
		}
	}
	if !bpe {
		set := t.match
		if len(v.Merges) > 0 {
			set = t.mergeResults()
		}
		t.buildPairs(set)
	}
	t.states.New = func() any {
		st := new(encodeState)
		st.emit = func(word string) { t.bpeWord(st, word) }
		return st
	}
	return t, nil
}

// buildAdded makes the matchers of the tokens cut out of text whole: the
// user-defined ones always, with the control and unknown ones when asked.
func (t *Tokenizer) buildAdded() error {
	plain, special := newAddedMatcher(), newAddedMatcher()
	for id, p := range t.v.Pieces {
		switch t.v.TokenType(id) {
		case TypeUserDefined:
			plain.add(p, id)
			special.add(p, id)
		case TypeControl, TypeUnknown:
			special.add(p, id)
		}
	}
	if !plain.empty() {
		t.added = plain
	}
	if !special.empty() {
		t.addedSpecial = special
	}
	return nil
}

// Vocab is the vocabulary the Tokenizer was built from.
func (t *Tokenizer) Vocab() *Vocab { return t.v }

// VocabSize is the number of tokens.
func (t *Tokenizer) VocabSize() int { return len(t.v.Pieces) }

// BOS is the beginning-of-sequence id.
func (t *Tokenizer) BOS() int { return t.v.BOS }

// EOS is the end-of-sequence id.
func (t *Tokenizer) EOS() int { return t.v.EOS }

// AddBOS reports whether the vocabulary wants prompts to start with BOS.
func (t *Tokenizer) AddBOS() bool { return t.v.AddBOS }

// AddEOS reports whether the vocabulary wants encoded texts to end with EOS.
func (t *Tokenizer) AddEOS() bool { return t.v.AddEOS }

// Piece is the piece of id as the vocabulary stores it ("▁the" in GGUF
// vocabularies, " the" in llama2.c ones, "Ġthe" in byte-level ones), or ""
// when id is out of range. Decode is the text it stands for.
func (t *Tokenizer) Piece(id int) string {
	if id < 0 || id >= len(t.v.Pieces) {
		return ""
	}
	return t.v.Pieces[id]
}

// IsControl reports whether id is a control-like token (BOS, EOS, unknown,
// unused) that stands for no text. Out-of-range ids are not control tokens.
func (t *Tokenizer) IsControl(id int) bool {
	return id >= 0 && id < len(t.control) && t.control[id]
}

// ID is the id of a piece, spelled as the vocabulary stores it (see Piece).
func (t *Tokenizer) ID(piece string) (int, bool) {
	id, ok := t.ids[piece]
	return id, ok
}

// Values of pairs, asciiID and asciiPair besides piece ids.
const (
	noMatch = -2 // no piece, nor part of one
	noPiece = -1 // part of a longer piece only
)

// buildPairs fills the tables of two-character substrings of the pieces
// that merging can make (set) and of the ASCII characters.
func (t *Tokenizer) buildPairs(set map[string]int32) {
	for i := range t.asciiID {
		t.asciiID[i] = noMatch
		if id, ok := t.match[string(rune(i))]; ok {
			t.asciiID[i] = id
		}
	}
	for i := range t.asciiPair {
		t.asciiPair[i] = noMatch
	}
	t.pairs = make(map[string]int32)
	t.split = true
	for p := range set {
		if !utf8.ValidString(p) {
			t.split = false
		}
		prev := -1 // byte offset of the previous character
		for i := 0; i < len(p); {
			_, n := utf8.DecodeRuneInString(p[i:])
			if prev >= 0 {
				if _, seen := t.pairs[p[prev:i+n]]; !seen {
					t.pairs[p[prev:i+n]] = noPiece
				}
			}
			prev = i
			i += n
		}
	}
	for pair := range t.pairs {
		if id, ok := set[pair]; ok {
			t.pairs[pair] = id
		}
		if len(pair) == 2 && pair[0] < utf8.RuneSelf && pair[1] < utf8.RuneSelf {
			t.asciiPair[int(pair[0])<<7|int(pair[1])] = t.pairs[pair]
		}
	}
}
