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

	text    []string // (vocab) what each token decodes to
	lead    []bool   // (vocab) the token's text starts with the dummy-prefix space
	control []bool   // (vocab) control-like: decodes to nothing

	states sync.Pool // *encodeState scratch buffers
}

// New checks v and builds the lookup tables of a Tokenizer. The Tokenizer
// keeps v; do not change it afterwards.
func New(v *Vocab) (*Tokenizer, error) {
	if v == nil {
		return nil, errors.New("tokenizer: no vocabulary")
	}
	n := len(v.Pieces)
	switch {
	case n == 0:
		return nil, errors.New("tokenizer: empty vocabulary")
	case n > 1<<30:
		return nil, fmt.Errorf("tokenizer: %d tokens is too many", n)
	case len(v.Scores) != n:
		return nil, fmt.Errorf("tokenizer: %d pieces but %d scores", n, len(v.Scores))
	case v.Types != nil && len(v.Types) != n:
		return nil, fmt.Errorf("tokenizer: %d pieces but %d token types", n, len(v.Types))
	}
	for _, special := range []struct {
		name string
		id   int
	}{{"bos", v.BOS}, {"eos", v.EOS}, {"unk", v.UNK}} {
		if special.id < 0 || special.id >= n {
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
			b, ok := parseByteToken(p)
			if !ok {
				return nil, fmt.Errorf("tokenizer: token %d has the byte type but its piece is %q", id, p)
			}
			if t.byteID[b] < 0 {
				t.byteID[b] = int32(id)
			}
			t.text[id] = string([]byte{b})
		default: // normal, user defined, and undefined (0) or unknown types
			if _, dup := t.match[p]; !dup && p != "" {
				t.match[p] = int32(id)
			}
			s := p
			if typ != TypeUserDefined && t.space != " " {
				s = strings.ReplaceAll(p, t.space, " ")
			}
			t.text[id] = s
			t.lead[id] = strings.HasPrefix(s, " ")
		}
	}
	t.buildPairs()
	t.states.New = func() any { return new(encodeState) }
	return t, nil
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

// Piece is the piece of id as the vocabulary stores it ("▁the" in GGUF
// vocabularies, " the" in llama2.c ones), or "" when id is out of range.
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

// buildPairs fills the tables of two-character substrings of the matchable
// pieces and of the ASCII characters.
func (t *Tokenizer) buildPairs() {
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
	for p := range t.match {
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
		if id, ok := t.match[pair]; ok {
			t.pairs[pair] = id
		}
		if len(pair) == 2 && pair[0] < utf8.RuneSelf && pair[1] < utf8.RuneSelf {
			t.asciiPair[int(pair[0])<<7|int(pair[1])] = t.pairs[pair]
		}
	}
}
