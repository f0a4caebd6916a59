package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/degen-llm/degen/model"
	"github.com/degen-llm/degen/model/chat"
	"github.com/degen-llm/degen/model/tokenizer"
)

// ChatFlags choose how records with "messages" become prompts.
type ChatFlags struct {
	MessagesField  string   `default:"messages" help:"Field of a record that holds an OpenAI-style conversation, [{\"role\":...,\"content\":...}], rendered with the chat template (a record without it uses its prompt field)."`
	ChatTemplate   string   `placeholder:"FILE" help:"Jinja chat template to use instead of the model's tokenizer.chat_template." type:"existingfile"`
	NoChatTemplate bool     `help:"Never render conversations: records must carry a raw prompt."`
	ChatVar        []string `sep:"none" placeholder:"KEY=JSON" help:"Extra template variable (repeatable), e.g. enable_thinking=false for Qwen3, or tools=[...]."`
}

// chatRenderer renders conversations with one template and encodes the
// result with the special tokens the template wrote parsed as tokens.
type chatRenderer struct {
	tmpl   *chat.Template
	opts   chat.Options
	tok    *tokenizer.Tokenizer
	broken error // why the model's template could not be read

	specials *[256][]string // the vocabulary's control-token texts by first byte, found once
}

// renderer builds the renderer of the flags for model m, or nil when
// conversations are not to be rendered (--no-chat-template). A model
// without a template is not an error until a record has messages.
func (f *ChatFlags) renderer(m *model.Model, tok *tokenizer.Tokenizer) (*chatRenderer, error) {
	if f.NoChatTemplate {
		return nil, nil
	}
	r := &chatRenderer{tok: tok}
	vars, err := parseChatVars(f.ChatVar)
	if err != nil {
		return nil, err
	}
	if m.Chat != nil {
		r.opts = m.Chat.Options()
		r.tmpl = m.Chat.Template
	}
	if f.ChatTemplate != "" {
		src, err := os.ReadFile(f.ChatTemplate)
		if err != nil {
			return nil, err
		}
		if r.tmpl, err = chat.Parse(string(src)); err != nil {
			return nil, fmt.Errorf("--chat-template %s: %w", f.ChatTemplate, err)
		}
	} else if m.ChatErr != nil {
		r.broken = m.ChatErr // reported when a record needs the template
	}
	if r.opts.BOS == "" && m.Vocab != nil && m.Vocab.BOS >= 0 {
		r.opts.BOS = m.Vocab.Pieces[m.Vocab.BOS]
	}
	if r.opts.EOS == "" && m.Vocab != nil && m.Vocab.EOS >= 0 {
		r.opts.EOS = m.Vocab.Pieces[m.Vocab.EOS]
	}
	r.opts.Vars = vars
	r.opts.AddGenerationPrompt = true
	return r, nil
}

func parseChatVars(specs []string) (map[string]any, error) {
	vars := map[string]any{}
	for _, s := range specs {
		k, v, ok := strings.Cut(s, "=")
		if !ok || k == "" {
			return nil, usagef("--chat-var %q: want KEY=JSON, e.g. enable_thinking=false", s)
		}
		var x any
		if err := json.Unmarshal([]byte(v), &x); err != nil {
			x = v // a bare word is a string
		}
		vars[k] = x
	}
	return vars, nil
}

// render applies the template to the conversation in raw (a JSON array of
// messages) with the generation prompt, and returns the text and its ids.
func (r *chatRenderer) render(raw json.RawMessage) (string, []int, error) {
	if r == nil {
		return "", nil, errors.New("the record has messages but --no-chat-template is set: give a raw prompt")
	}
	if r.broken != nil {
		return "", nil, fmt.Errorf("the record has messages but the model's chat template cannot be used (%v): name one with --chat-template", r.broken)
	}
	if r.tmpl == nil {
		return "", nil, errors.New("the record has messages but the model has no chat template: name one with --chat-template")
	}
	var msgs []chat.Message
	if err := json.Unmarshal(raw, &msgs); err != nil {
		return "", nil, fmt.Errorf("messages: %w", err)
	}
	if len(msgs) == 0 {
		return "", nil, errors.New("messages: the conversation is empty")
	}
	// Special-token text that a user typed into a message stays text: it
	// is marked before rendering and encoded as text after. Only what the
	// template itself writes becomes special tokens.
	marked := false
	for i := range msgs {
		if c, ok := msgs[i].Content.(string); ok {
			if m, changed := r.markSpecials(c); changed {
				msgs[i].Content, marked = m, true
			}
		}
	}
	text, err := r.tmpl.Render(msgs, r.opts)
	if err != nil {
		return "", nil, fmt.Errorf("chat template: %w", err)
	}
	var literal [][2]int
	if marked {
		text, literal = unmark(text)
	}
	// The template writes BOS itself where the model wants it (Hugging
	// Face's apply_chat_template adds no special tokens of its own).
	return text, r.tok.EncodeWith(nil, text, tokenizer.EncodeOptions{Special: true, Literal: literal}), nil
}

// Marks around special-token text from a message: Unicode noncharacters,
// which no text exchanged between programs carries.
const (
	markOpen  = "\uFDD0"
	markClose = "\uFDD1"
)

// markSpecials wraps every special-token text in s with the marks.
func (r *chatRenderer) markSpecials(s string) (string, bool) {
	if r.specials == nil {
		r.specials = new([256][]string)
		v := r.tok.Vocab()
		for id, p := range v.Pieces {
			if v.TokenType(id) == tokenizer.TypeControl && p != "" {
				r.specials[p[0]] = append(r.specials[p[0]], p)
			}
		}
	}
	var b strings.Builder
	changed := false
	for i := 0; i < len(s); {
		best := ""
		for _, sp := range r.specials[s[i]] {
			if len(sp) > len(best) && strings.HasPrefix(s[i:], sp) {
				best = sp
			}
		}
		if best == "" {
			b.WriteByte(s[i])
			i++
			continue
		}
		b.WriteString(markOpen + best + markClose)
		i += len(best)
		changed = true
	}
	return b.String(), changed
}

// unmark removes the marks and returns where the marked text now is.
func unmark(s string) (string, [][2]int) {
	var b strings.Builder
	var ranges [][2]int
	for {
		i := strings.Index(s, markOpen)
		if i < 0 {
			break
		}
		j := strings.Index(s[i:], markClose)
		if j < 0 {
			break
		}
		b.WriteString(s[:i])
		start := b.Len()
		b.WriteString(s[i+len(markOpen) : i+j])
		ranges = append(ranges, [2]int{start, b.Len()})
		s = s[i+j+len(markClose):]
	}
	b.WriteString(s)
	return b.String(), ranges
}
