package chat

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/degen-llm/degen/model/gguf"
)

// Config is a model's chat templates and the special tokens they use.
type Config struct {
	// Template is the default template: the lone chat_template string, or
	// the one named "default" in a list of named templates.
	Template *Template
	// Named holds every named template (Hugging Face's list form, or
	// GGUF's tokenizer.chat_template.NAME keys), "default" included. It is
	// nil for a single template.
	Named map[string]*Template
	// BOS and EOS are the bos_token and eos_token strings ("" if unset).
	BOS, EOS string
}

// Options returns Options with the config's BOS and EOS filled in.
func (c *Config) Options() Options { return Options{BOS: c.BOS, EOS: c.EOS} }

// Names lists the named templates, sorted.
func (c *Config) Names() []string {
	var names []string
	for n := range c.Named {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// For returns the template transformers would pick: name if given (an
// error if there is no such template); else "tool_use" when tools are
// used and the config has one; else the default.
func (c *Config) For(name string, tools bool) (*Template, error) {
	if name != "" {
		if t, ok := c.Named[name]; ok {
			return t, nil
		}
		if name == "default" && c.Template != nil {
			return c.Template, nil
		}
		return nil, fmt.Errorf("chat template %q not found (have %s)", name, strings.Join(c.Names(), ", "))
	}
	if t, ok := c.Named["tool_use"]; ok && tools {
		return t, nil
	}
	if c.Template == nil {
		return nil, errors.New("chat template: the model has no default chat template")
	}
	return c.Template, nil
}

// FromConfig reads the chat template(s) and special tokens of a Hugging
// Face tokenizer_config.json. chat_template may be a string or a list of
// {"name", "template"}; a token may be a string or an AddedToken object
// ({"content": ...}).
func FromConfig(data []byte) (*Config, error) {
	var raw struct {
		ChatTemplate json.RawMessage `json:"chat_template"`
		BOS          json.RawMessage `json:"bos_token"`
		EOS          json.RawMessage `json:"eos_token"`
	}
	if err := json.Unmarshal(data, &raw); err != nil {
		return nil, fmt.Errorf("tokenizer_config.json: %w", err)
	}
	c := &Config{}
	var err error
	if c.BOS, err = configToken(raw.BOS); err != nil {
		return nil, fmt.Errorf("tokenizer_config.json: bos_token: %w", err)
	}
	if c.EOS, err = configToken(raw.EOS); err != nil {
		return nil, fmt.Errorf("tokenizer_config.json: eos_token: %w", err)
	}
	ct := strings.TrimSpace(string(raw.ChatTemplate))
	switch {
	case ct == "" || ct == "null":
		return nil, errors.New("tokenizer_config.json: no chat_template")
	case ct[0] == '"':
		var src string
		if err := json.Unmarshal(raw.ChatTemplate, &src); err != nil {
			return nil, fmt.Errorf("tokenizer_config.json: chat_template: %w", err)
		}
		if c.Template, err = Parse(src); err != nil {
			return nil, err
		}
	case ct[0] == '[':
		var list []struct {
			Name     string `json:"name"`
			Template string `json:"template"`
		}
		if err := json.Unmarshal(raw.ChatTemplate, &list); err != nil {
			return nil, fmt.Errorf("tokenizer_config.json: chat_template: %w", err)
		}
		srcs := map[string]string{}
		for _, e := range list {
			srcs[e.Name] = e.Template
		}
		if err := c.setNamed(srcs); err != nil {
			return nil, err
		}
	default:
		return nil, errors.New("tokenizer_config.json: chat_template must be a string or a list of {name, template}")
	}
	return c, nil
}

func (c *Config) setNamed(srcs map[string]string) error {
	c.Named = map[string]*Template{}
	for name, src := range srcs {
		t, err := Parse(src)
		if err != nil {
			return fmt.Errorf("chat template %q: %w", name, err)
		}
		c.Named[name] = t
	}
	c.Template = c.Named["default"]
	if c.Template == nil {
		return fmt.Errorf("chat templates %s: none is named \"default\"", strings.Join(c.Names(), ", "))
	}
	return nil
}

func configToken(raw json.RawMessage) (string, error) {
	s := strings.TrimSpace(string(raw))
	if s == "" || s == "null" {
		return "", nil
	}
	if s[0] == '"' {
		var t string
		err := json.Unmarshal(raw, &t)
		return t, err
	}
	var added struct {
		Content *string `json:"content"`
	}
	if err := json.Unmarshal(raw, &added); err != nil || added.Content == nil {
		return "", errors.New("expected a string or an object with content")
	}
	return *added.Content, nil
}

// FromGGUF reads the chat template(s) of a GGUF file's metadata:
// tokenizer.chat_template, and tokenizer.chat_template.NAME for named
// ones (as llama.cpp's converter writes them). BOS and EOS come from
// tokenizer.ggml.bos_token_id / eos_token_id looked up in
// tokenizer.ggml.tokens.
func FromGGUF(md *gguf.Metadata) (*Config, error) {
	c := &Config{}
	named := map[string]string{}
	for _, kv := range md.All() {
		name, ok := strings.CutPrefix(kv.Key, "tokenizer.chat_template.")
		if !ok || name == "" {
			continue
		}
		s, isStr := kv.Value.(string)
		if !isStr {
			return nil, fmt.Errorf("gguf: %s is not a string", kv.Key)
		}
		named[name] = s
	}
	if md.Has("tokenizer.chat_template") {
		src, err := md.String("tokenizer.chat_template")
		if err != nil {
			return nil, fmt.Errorf("gguf: %w", err)
		}
		if c.Template, err = Parse(src); err != nil {
			return nil, err
		}
		if len(named) > 0 {
			named["default"] = src
		}
	}
	if len(named) > 0 {
		if err := c.setNamed(named); err != nil {
			return nil, err
		}
	}
	if c.Template == nil {
		return nil, errors.New("gguf: no tokenizer.chat_template")
	}
	tokens, err := md.Strings("tokenizer.ggml.tokens")
	if err == nil {
		for _, t := range []struct {
			key string
			dst *string
		}{{"tokenizer.ggml.bos_token_id", &c.BOS}, {"tokenizer.ggml.eos_token_id", &c.EOS}} {
			if !md.Has(t.key) {
				continue
			}
			id, err := md.Uint(t.key)
			if err != nil {
				return nil, fmt.Errorf("gguf: %w", err)
			}
			if id >= uint64(len(tokens)) {
				return nil, fmt.Errorf("gguf: %s %d is not a token id (vocabulary of %d)", t.key, id, len(tokens))
			}
			*t.dst = tokens[id]
		}
	}
	return c, nil
}
