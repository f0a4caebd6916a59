package chat

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Message is one turn of a conversation, as in OpenAI's chat format.
type Message struct {
	Role string
	// Content is what the template sees as message.content: a string, a
	// []Part (OpenAI's list of content parts), or any other value Render
	// accepts (see Options.Vars). nil means the message has no content
	// key (undefined in the template); Null means content is None.
	Content any
	// ReasoningContent, ToolCalls and Name are passed through when not
	// nil/empty: reasoning_content (Qwen3's thinking), tool_calls (a list
	// of {"type": "function", "function": {"name", "arguments"}}; use
	// json.RawMessage to keep the key order of arguments), name.
	ReasoningContent any
	ToolCalls        any
	Name             string
	// Extra holds any other keys of the message (tool_call_id, ...).
	Extra map[string]any

	// order is the key order of a message read from JSON, so the template
	// sees the message as it was written.
	order []string
}

// Part is one element of a list content: {"type": "text", "text": ...},
// or another type such as "image" (Text empty).
type Part struct {
	Type string
	Text string
}

type nullValue struct{}

// Null is JSON null / Python None, for a field that is present but empty,
// as "content": null is in an OpenAI tool-call message.
var Null any = nullValue{}

func (p Part) value() value {
	d := newDict(2)
	d.set("type", p.Type)
	if p.Type == "text" || p.Text != "" {
		d.set("text", p.Text)
	}
	return d
}

// value builds the dict the template sees.
func (m Message) value() (value, error) {
	d := newDict(4 + len(m.Extra))
	fields := map[string]any{"role": m.Role}
	if m.Content != nil {
		fields["content"] = m.Content
	}
	if m.ReasoningContent != nil {
		fields["reasoning_content"] = m.ReasoningContent
	}
	if m.ToolCalls != nil {
		fields["tool_calls"] = m.ToolCalls
	}
	if m.Name != "" {
		fields["name"] = m.Name
	}
	for k, v := range m.Extra {
		if _, dup := fields[k]; !dup {
			fields[k] = v
		}
	}
	keys := slices.Clone(m.order)
	for _, k := range []string{"role", "content", "reasoning_content", "tool_calls", "name"} {
		if _, ok := fields[k]; ok && !slices.Contains(keys, k) {
			keys = append(keys, k)
		}
	}
	var extra []string
	for k := range m.Extra {
		if !slices.Contains(keys, k) {
			extra = append(extra, k)
		}
	}
	slices.Sort(extra)
	keys = append(keys, extra...)
	for _, k := range keys {
		f, ok := fields[k]
		if !ok {
			continue
		}
		v, err := fromGo(f, 1)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", k, err)
		}
		d.set(k, v)
	}
	return d, nil
}

// UnmarshalJSON reads an OpenAI-style message. Every key is kept, in
// order; content that is a string becomes a string, null becomes Null,
// anything else (a list of parts) stays JSON so the template sees it as
// written. tool_calls and other values stay json.RawMessage.
func (m *Message) UnmarshalJSON(data []byte) error {
	d := json.NewDecoder(bytes.NewReader(data))
	tok, err := d.Token()
	if err != nil {
		return err
	}
	if tok != json.Delim('{') {
		return errors.New("chat: a message must be a JSON object")
	}
	*m = Message{}
	for d.More() {
		kt, err := d.Token()
		if err != nil {
			return err
		}
		k := kt.(string)
		var raw json.RawMessage
		if err := d.Decode(&raw); err != nil {
			return fmt.Errorf("chat: message key %q: %w", k, err)
		}
		if !slices.Contains(m.order, k) {
			m.order = append(m.order, k)
		}
		isNull := string(raw) == "null"
		var v any = raw
		if isNull {
			v = Null
		} else if raw[0] == '"' {
			var s string
			if err := json.Unmarshal(raw, &s); err != nil {
				return err
			}
			v = s
		}
		switch k {
		case "role":
			s, ok := v.(string)
			if !ok {
				return errors.New("chat: message role must be a string")
			}
			m.Role = s
		case "content":
			m.Content = v
		case "reasoning_content":
			m.ReasoningContent = v
		case "tool_calls":
			m.ToolCalls = v
		case "name":
			if s, ok := v.(string); ok {
				m.Name = s
				break
			}
			fallthrough
		default:
			if m.Extra == nil {
				m.Extra = map[string]any{}
			}
			m.Extra[k] = v
		}
	}
	_, err = d.Token()
	return err
}

// Text returns the message's content as text: the string itself, or the
// text parts of a list joined with sep (images and other parts dropped).
func (m Message) Text(sep string) (string, bool) {
	switch c := m.Content.(type) {
	case string:
		return c, true
	case []Part:
		var texts []string
		for _, p := range c {
			if p.Type == "text" {
				texts = append(texts, p.Text)
			}
		}
		return strings.Join(texts, sep), true
	case json.RawMessage:
		var parts []struct {
			Type string  `json:"type"`
			Text *string `json:"text"`
		}
		if err := json.Unmarshal(c, &parts); err != nil {
			return "", false
		}
		var texts []string
		for _, p := range parts {
			if p.Type == "text" && p.Text != nil {
				texts = append(texts, *p.Text)
			}
		}
		return strings.Join(texts, sep), true
	}
	return "", false
}

// Flatten returns msgs with every list content replaced by its text parts
// joined with "\n" (as vLLM does), for templates that only take string
// content; see [Template.TakesParts].
func Flatten(msgs []Message) []Message {
	out := slices.Clone(msgs)
	for i, m := range out {
		if _, isStr := m.Content.(string); isStr {
			continue
		}
		if t, ok := m.Text("\n"); ok {
			out[i].Content = t
		}
	}
	return out
}

// Options are the variables of one rendering besides the messages.
type Options struct {
	// AddGenerationPrompt ends the prompt with the assistant's header.
	AddGenerationPrompt bool
	// BOS and EOS are bos_token and eos_token; "" leaves them undefined,
	// as transformers does for a token the tokenizer lacks.
	BOS, EOS string
	// Vars are further variables: tools (a list of OpenAI tool
	// definitions), documents, enable_thinking (Qwen3), date_string
	// (Llama 3.1+), or anything a template reads. Values may be nil
	// (None), bool, integers, floats, strings, json.RawMessage (decoded
	// keeping key order), slices and string-keyed maps (keys sorted), or
	// Message/Part values. tools and documents are None unless set.
	Vars map[string]any
	// Now is the clock of strftime_now; nil means time.Now. Tests fix it.
	Now func() time.Time
}

// Template is a parsed chat template. It is immutable, so one Template may
// render from many goroutines at once.
type Template struct {
	src  string
	body []node
}

// Parse parses a chat template's source (the chat_template of
// tokenizer_config.json, or tokenizer.chat_template of a GGUF file).
func Parse(src string) (*Template, error) {
	if strings.TrimSpace(src) == "" {
		return nil, errors.New("chat template: empty template")
	}
	if len(src) > 1<<20 {
		return nil, fmt.Errorf("chat template: %d bytes is too long for a chat template", len(src))
	}
	toks, err := lex(src)
	if err != nil {
		return nil, err
	}
	body, err := parseTemplate(toks)
	if err != nil {
		return nil, err
	}
	return &Template{src: src, body: body}, nil
}

// Source returns the template's source text.
func (t *Template) Source() string { return t.src }

// Render renders the conversation as transformers' apply_chat_template
// with tokenize=False does.
func (t *Template) Render(msgs []Message, opts Options) (out string, err error) {
	defer func() {
		// The engine returns errors for bad templates and input; this is
		// only a last guard so a bug of ours cannot crash the caller.
		if r := recover(); r != nil {
			out, err = "", fmt.Errorf("chat template: internal error: %v", r)
		}
	}()
	vars := map[string]value{"tools": none{}, "documents": none{}}
	for k, v := range opts.Vars {
		ev, err := fromGo(v, 0)
		if err != nil {
			return "", fmt.Errorf("chat template: variable %s: %w", k, err)
		}
		vars[k] = ev
	}
	ml, err := fromGo(msgs, 0)
	if err != nil {
		return "", fmt.Errorf("chat template: %w", err)
	}
	vars["messages"] = ml
	vars["add_generation_prompt"] = opts.AddGenerationPrompt
	if opts.BOS != "" {
		vars["bos_token"] = opts.BOS
	}
	if opts.EOS != "" {
		vars["eos_token"] = opts.EOS
	}
	ev := &evaluator{now: opts.Now}
	if ev.now == nil {
		ev.now = time.Now
	}
	top := &scope{vars: vars}
	if err := ev.execBody(&ev.out, t.body, &scope{parent: top}); err != nil {
		if err == errBreak || err == errContinue {
			return "", fmt.Errorf("chat template: %v", err)
		}
		return "", err
	}
	return ev.out.String(), nil
}

// TakesParts reports whether the template renders list content (OpenAI's
// content parts) as text. Templates that only concatenate
// message.content, like Qwen2.5's, fail or print the list's repr on it;
// give those [Flatten]ed messages.
func (t *Template) TakesParts() bool {
	const probe = "⟦part-probe⟧"
	msgs := []Message{{Role: "user", Content: []Part{{Type: "text", Text: probe}}}}
	out, err := t.Render(msgs, Options{AddGenerationPrompt: true, Now: func() time.Time { return time.Unix(0, 0).UTC() }})
	return err == nil && strings.Contains(out, probe) && !strings.Contains(out, "'type'") && !strings.Contains(out, `"type"`)
}
