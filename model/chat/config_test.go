package chat

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/degen-llm/degen/model/gguf"
)

func TestFromConfigForms(t *testing.T) {
	c, err := FromConfig([]byte(`{"chat_template": "{{ bos_token }}{{ messages[0].content }}", "bos_token": {"__type": "AddedToken", "content": "<s>"}, "eos_token": "</s>"}`))
	require.NoError(t, err)
	assert.Equal(t, "<s>", c.BOS)
	assert.Equal(t, "</s>", c.EOS)
	assert.Nil(t, c.Named)
	got, err := c.Template.Render([]Message{{Role: "user", Content: "x"}}, c.Options())
	require.NoError(t, err)
	assert.Equal(t, "<s>x", got)

	c, err = FromConfig([]byte(`{"chat_template": [{"name": "default", "template": "D{{ messages|length }}"}, {"name": "tool_use", "template": "T{{ tools|length }}"}, {"name": "rag", "template": "R"}], "bos_token": null}`))
	require.NoError(t, err)
	assert.Equal(t, []string{"default", "rag", "tool_use"}, c.Names())
	assert.Equal(t, "", c.BOS)
	got, err = c.Template.Render(nil, Options{})
	require.NoError(t, err)
	assert.Equal(t, "D0", got)
	tool, err := c.For("", true)
	require.NoError(t, err)
	got, err = tool.Render(nil, Options{Vars: map[string]any{"tools": []any{1, 2}}})
	require.NoError(t, err)
	assert.Equal(t, "T2", got)
	rag, err := c.For("rag", false)
	require.NoError(t, err)
	assert.Equal(t, "R", rag.Source())
	_, err = c.For("nope", false)
	assert.ErrorContains(t, err, `"nope" not found`)
}

func TestFromConfigErrors(t *testing.T) {
	for name, cfg := range map[string]string{
		"not json":       `{`,
		"no template":    `{"bos_token": "<s>"}`,
		"null template":  `{"chat_template": null}`,
		"empty template": `{"chat_template": ""}`,
		"bad type":       `{"chat_template": 3}`,
		"malformed":      `{"chat_template": "{% for m in messages %}{{ m.content }}"}`,
		"no default":     `{"chat_template": [{"name": "rag", "template": "x"}]}`,
		"bad named":      `{"chat_template": [{"name": "default", "template": "x"}, {"name": "tool_use", "template": "{% if %}"}]}`,
		"bad token":      `{"chat_template": "x", "bos_token": 5}`,
		"bad list":       `{"chat_template": [1, 2]}`,
	} {
		_, err := FromConfig([]byte(cfg))
		assert.Error(t, err, name)
	}
	_, err := FromConfig([]byte(`{"chat_template": "{% for m in messages %}{{ m.content }}"}`))
	assert.ErrorContains(t, err, "chat template: line 1: unexpected end of template, expected 'endfor'")
}

func TestFromGGUF(t *testing.T) {
	build := func(kv map[string]any) *gguf.Metadata {
		w := gguf.NewWriter()
		for k, v := range kv {
			require.NoError(t, w.Set(k, v))
		}
		var buf bytes.Buffer
		_, err := w.WriteTo(&buf)
		require.NoError(t, err)
		f, err := gguf.Parse(buf.Bytes())
		require.NoError(t, err)
		return &f.KV
	}
	// The Qwen3 template, as a GGUF converter stores it.
	cfg := vocabConfig(t, "qwen3")
	md := build(map[string]any{
		"tokenizer.chat_template":          cfg.Template.Source(),
		"tokenizer.chat_template.tool_use": "T",
		"tokenizer.ggml.tokens":            []string{"<unk>", "<s>", "</s>"},
		"tokenizer.ggml.bos_token_id":      uint32(1),
		"tokenizer.ggml.eos_token_id":      uint32(2),
	})
	c, err := FromGGUF(md)
	require.NoError(t, err)
	assert.Equal(t, "<s>", c.BOS)
	assert.Equal(t, "</s>", c.EOS)
	assert.Equal(t, []string{"default", "tool_use"}, c.Names())
	o := c.Options()
	o.AddGenerationPrompt = true
	got, err := c.Template.Render([]Message{{Role: "user", Content: "hi"}}, o)
	require.NoError(t, err)
	assert.Equal(t, "<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n", got)

	_, err = FromGGUF(build(map[string]any{"general.name": "x"}))
	assert.ErrorContains(t, err, "no tokenizer.chat_template")
	_, err = FromGGUF(build(map[string]any{"tokenizer.chat_template": "{{ x"}))
	assert.Error(t, err)
	_, err = FromGGUF(build(map[string]any{"tokenizer.chat_template": uint32(3)}))
	assert.Error(t, err)
	_, err = FromGGUF(build(map[string]any{"tokenizer.chat_template": "x", "tokenizer.ggml.tokens": []string{"a"}, "tokenizer.ggml.bos_token_id": uint32(9)}))
	assert.ErrorContains(t, err, "not a token id")
}
