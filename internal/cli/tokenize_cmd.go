package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	stdio "io"

	"github.com/degen-llm/degen/internal/jsonl"
	"github.com/degen-llm/degen/model"
	"github.com/degen-llm/degen/model/tokenizer"
)

// ModelTokenizeCmd encodes and decodes records with a vocabulary.
type ModelTokenizeCmd struct {
	InputFlags
	ChatFlags

	Tokenizer    string `help:"Vocabulary to use: a GGUF model, a Hugging Face tokenizer.json or its folder, or a llama2.c tokenizer file (default: the model of --model / $DEGEN_MODEL / stories260K)." type:"path"`
	Model        string `short:"m" env:"DEGEN_MODEL" help:"Model whose vocabulary to use when --tokenizer is not given."`
	TextField    string `default:"text" help:"Field holding the text to encode (or to write the decoded text into with --decode)."`
	AddSpecial   bool   `help:"Add BOS and EOS as the vocabulary does for a document (its add_bos_token and add_eos_token)."`
	ParseSpecial bool   `help:"Encode special-token text in the text field (<|im_start|>, ...) as those tokens instead of as text."`
	Decode       bool   `help:"Turn each record's \"token_ids\" back into text (written to the text field) instead of encoding."`
}

// Help shows examples.
func (c *ModelTokenizeCmd) Help() string {
	return `A record with a text field gets "token_ids" (no BOS or EOS unless --add-special;
special-token text stays text unless --parse-special). A record with "messages"
(OpenAI style) gets "rendered", the conversation as the chat template renders it
with the generation prompt, and its "token_ids" (special tokens where the template
wrote them). With --decode, "token_ids" become text.

Examples:
  echo '{"text":"Hello world"}' | degen model tokenize --tokenizer ../shared/models/vocab/qwen2.5
  echo '{"messages":[{"role":"user","content":"Hi"}]}' | degen model tokenize --tokenizer model.gguf
  degen model tokenize --tokenizer model.gguf --decode < ids.jsonl`
}

// Run tokenizes.
func (c *ModelTokenizeCmd) Run(g *Globals, io *IO) error {
	var m *model.Model
	if c.Tokenizer != "" {
		vf, err := model.LoadVocab(c.Tokenizer)
		if err != nil {
			return err
		}
		// A model without weights carries the vocabulary and template.
		m = &model.Model{Vocab: vf.Vocab, Chat: vf.Chat, ChatErr: vf.ChatErr, Config: model.Config{VocabSize: len(vf.Vocab.Pieces)}}
	} else {
		path, err := resolveModel(c.Model)
		if err != nil {
			return err
		}
		if m, _, err = loadModel(path, ""); err != nil {
			return err
		}
		defer m.Close()
	}
	tok, err := tokenizer.New(m.Vocab)
	if err != nil {
		return err
	}
	chatter, err := c.ChatFlags.renderer(m, tok)
	if err != nil {
		return err
	}
	s, err := c.InputFlags.open(io)
	if err != nil {
		return err
	}
	bar := newRecordBar(g, io, s, "tokenize")
	n := len(m.Vocab.Pieces)
	err = func() error {
		for {
			rec, err := s.next()
			if errors.Is(err, stdio.EOF) {
				return nil
			}
			if err != nil {
				return err
			}
			bar.Add(1)
			if err := c.apply(rec, tok, chatter, n); err != nil {
				if err := s.failed(rec, s.in.LineErr(err)); err != nil {
					return err
				}
				continue
			}
			if err := s.write(rec); err != nil {
				return err
			}
		}
	}()
	bar.Finish()
	if ferr := s.finish(g, io, "tokenize", err); err == nil {
		err = ferr
	}
	return err
}

// apply adds this command's keys to rec.
func (c *ModelTokenizeCmd) apply(rec *jsonl.Record, tok *tokenizer.Tokenizer, chatter *chatRenderer, n int) error {
	if c.Decode {
		raw, ok := rec.Get("token_ids")
		if !ok {
			return errors.New(`no "token_ids" field`)
		}
		var ids []int
		if err := json.Unmarshal(raw, &ids); err != nil {
			return fmt.Errorf("token_ids: %w", err)
		}
		for _, id := range ids {
			if id < 0 || id >= n {
				return fmt.Errorf("token_ids: %d is outside the vocabulary of %d", id, n)
			}
		}
		return rec.SetValue(c.TextField, tok.DecodeAll(ids))
	}
	if msgs, ok := rec.Get(c.MessagesField); ok && !c.NoChatTemplate {
		text, ids, err := chatter.render(msgs)
		if err != nil {
			return err
		}
		if err := rec.SetValue("rendered", text); err != nil {
			return err
		}
		return rec.SetValue("token_ids", ids)
	}
	text, ok, err := rec.GetString(c.TextField)
	if err != nil {
		return fmt.Errorf("%s: %w", c.TextField, err)
	}
	if !ok {
		return fmt.Errorf("no %q field (nor %q)", c.TextField, c.MessagesField)
	}
	ids := tok.EncodeWith(nil, text, tokenizer.EncodeOptions{AddBOS: c.AddSpecial && tok.AddBOS(), AddEOS: c.AddSpecial && tok.AddEOS(), Special: c.ParseSpecial})
	if ids == nil {
		ids = []int{}
	}
	return rec.SetValue("token_ids", ids)
}
