package model

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/degen-llm/degen/model/chat"
	"github.com/degen-llm/degen/model/gguf"
	"github.com/degen-llm/degen/model/tokenizer"
)

// VocabFile is a vocabulary read on its own, without weights: what `degen
// model tokenize` and --tokenizer read.
type VocabFile struct {
	Vocab *tokenizer.Vocab
	// Chat is the chat template the file carries, nil when none; ChatErr
	// says why it could not be read when it is there but broken (a model
	// still runs raw prompts without it).
	Chat    *chat.Config
	ChatErr error
	Format  string // "gguf", "llama2c" or "hf"
}

// LoadVocab reads the vocabulary of path: a GGUF file (its tokenizer.*
// metadata; the weights are not read), a Hugging Face tokenizer.json file
// or a folder holding one (with tokenizer_config.json and its chat
// template beside it), or a llama2.c tokenizer file (tokenizer.bin,
// tok512.bin).
func LoadVocab(path string) (*VocabFile, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("tokenizer: %w", err)
	}
	if fi.IsDir() || strings.HasSuffix(strings.ToLower(path), ".json") {
		return loadHFVocab(path, fi.IsDir())
	}
	data, release, err := openData(path, false)
	if err != nil {
		return nil, fmt.Errorf("tokenizer %s: %w", path, err)
	}
	defer release()
	if len(data) >= 4 && string(data[:4]) == gguf.Magic {
		f, err := gguf.Parse(data)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		v, err := tokenizer.FromGGUF(&f.KV)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		// The metadata may point into the mapping: copy what is kept.
		v = cloneVocab(v)
		vf := &VocabFile{Vocab: v, Format: FormatGGUF}
		vf.Chat, vf.ChatErr = ggufChat(f)
		return vf, nil
	}
	v, err := tokenizer.LoadLlama2C(path, 0)
	if err != nil {
		return nil, fmt.Errorf("%s: not a GGUF file, a tokenizer.json or a llama2.c tokenizer: %w", path, err)
	}
	return &VocabFile{Vocab: v, Format: "llama2c"}, nil
}

func loadHFVocab(path string, isDir bool) (*VocabFile, error) {
	v, _, err := tokenizer.LoadHF(path)
	if err != nil {
		return nil, err
	}
	vf := &VocabFile{Vocab: v, Format: "hf"}
	dir := path
	if !isDir {
		dir = filepath.Dir(path)
	}
	b, err := os.ReadFile(filepath.Join(dir, "tokenizer_config.json"))
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		vf.ChatErr = err
	default:
		vf.Chat, vf.ChatErr = chat.FromConfig(b)
		if vf.ChatErr != nil && strings.Contains(vf.ChatErr.Error(), "no chat_template") {
			vf.ChatErr = nil
		}
	}
	return vf, nil
}

// ggufChat reads a GGUF file's chat template: nil, nil when it has none.
func ggufChat(f *gguf.File) (*chat.Config, error) {
	if !f.KV.Has("tokenizer.chat_template") {
		return nil, nil
	}
	c, err := chat.FromGGUF(&f.KV)
	if err != nil {
		return nil, fmt.Errorf("the file's chat template: %w", err)
	}
	return c, nil
}

// cloneVocab copies the strings of v out of a mapping that is about to be
// released.
func cloneVocab(v *tokenizer.Vocab) *tokenizer.Vocab {
	c := *v
	c.Pieces = cloneStrings(v.Pieces)
	c.Merges = cloneStrings(v.Merges)
	c.Scores = append([]float32(nil), v.Scores...)
	c.Types = append([]int32(nil), v.Types...)
	c.EOG = append([]tokenizer.Token(nil), v.EOG...)
	for i := range c.EOG {
		c.EOG[i].Text = strings.Clone(c.EOG[i].Text)
	}
	c.Pre = strings.Clone(v.Pre)
	return &c
}

func cloneStrings(s []string) []string {
	if s == nil {
		return nil
	}
	out := make([]string, len(s))
	for i, x := range s {
		out[i] = strings.Clone(x)
	}
	return out
}

// UseVocab replaces m's vocabulary (and chat template, when vf has one)
// with vf's, as --tokenizer does for a model whose own is missing or is to
// be overridden by a tokenizer.json beside it. A vocabulary smaller than
// the embedding is padded with unused pieces; a larger one is an error.
func (m *Model) UseVocab(vf *VocabFile) error {
	v := vf.Vocab
	if n := len(v.Pieces); n > m.Config.VocabSize {
		return fmt.Errorf("the tokenizer has %d tokens, more than the model's %d", n, m.Config.VocabSize)
	}
	v.PadTo(m.Config.VocabSize)
	m.Vocab = v
	if vf.Format != "llama2c" { // a llama2.c model keeps its own rule (BOS ends a story)
		m.EOG = m.EOG[:0]
		for _, t := range v.EOG {
			m.EOG = append(m.EOG, t.ID)
		}
	}
	if vf.Chat != nil || vf.ChatErr != nil {
		m.Chat, m.ChatErr = vf.Chat, vf.ChatErr
	}
	return nil
}
