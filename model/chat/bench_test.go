package chat

import (
	"fmt"
	"testing"
)

// BenchmarkRender renders a 20-turn conversation with each real template.
func BenchmarkRender(b *testing.B) {
	var msgs []Message
	msgs = append(msgs, Message{Role: "system", Content: "You are terse."})
	for i := range 10 {
		msgs = append(msgs, Message{Role: "user", Content: fmt.Sprintf("question %d", i)}, Message{Role: "assistant", Content: fmt.Sprintf("answer %d", i)})
	}
	for _, name := range []string{"qwen2.5", "qwen3", "llama3", "gemma3"} {
		b.Run(name, func(b *testing.B) {
			c := vocabConfig(b, name)
			o := c.Options()
			o.AddGenerationPrompt = true
			for b.Loop() {
				if _, err := c.Template.Render(msgs, o); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
