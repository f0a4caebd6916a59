package chat

import (
	"encoding/json"
	"os"
	"testing"
	"time"

	"github.com/degen-llm/degen/internal/shared"
)

// FuzzRender feeds template sources and JSON messages through Parse and
// Render: whatever they are, the result is a value or an error, never a
// panic or a hang. (Render's recover is a last guard, so the fuzz target
// checks for "internal error" too.)
func FuzzRender(f *testing.F) {
	for _, name := range []string{"qwen2.5", "qwen3", "llama3", "gemma3"} {
		if p, err := shared.Path("models", "vocab", name, "tokenizer_config.json"); err == nil {
			if b, err := os.ReadFile(p); err == nil {
				var c struct {
					T string `json:"chat_template"`
				}
				if json.Unmarshal(b, &c) == nil {
					f.Add(c.T, `[{"role":"user","content":"hi"},{"role":"assistant","content":"<think>x</think>y","tool_calls":[{"function":{"name":"f","arguments":{"a":1}}}]}]`)
				}
			}
		}
	}
	f.Add("{% for m in messages %}{{ m.content | trim }}{% endfor %}", `[{"role":"user","content":[{"type":"text","text":"a"}]}]`)
	f.Add("{%- set ns = namespace(a=1) -%}{{ ns.a ~ messages[::-1] | tojson(indent=2) }}", `[{"role":"system","content":null}]`)
	f.Add("{% macro m(x, y=2) %}{{ x * y }}{% endmacro %}{{ m(3) }}{{ m('ab', y=3) }}", `[]`)
	f.Add("{{ raise_exception('no') if messages|length == 0 else 'ok' }}", `[]`)
	f.Fuzz(func(t *testing.T, src, msgsJSON string) {
		tpl, err := Parse(src)
		if err != nil {
			return
		}
		var msgs []Message
		if json.Unmarshal([]byte(msgsJSON), &msgs) != nil {
			msgs = []Message{{Role: "user", Content: msgsJSON}}
		}
		opts := Options{AddGenerationPrompt: true, BOS: "<s>", EOS: "</s>",
			Vars: map[string]any{"enable_thinking": false, "tools": json.RawMessage(`[{"type":"function","function":{"name":"f"}}]`)},
			Now:  func() time.Time { return time.Unix(0, 0).UTC() }}
		_, err = tpl.Render(msgs, opts)
		if err != nil && len(err.Error()) > 0 && containsInternal(err.Error()) {
			t.Fatalf("engine bug on %q: %v", src, err)
		}
	})
}

func containsInternal(s string) bool {
	const p = "chat template: internal error"
	return len(s) >= len(p) && s[:len(p)] == p
}
