package cli

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/degen-llm/degen/internal/shared"
)

// TestTokenizeChatMatchesHF renders and encodes conversations with the real
// chat templates and vocabularies of ../shared/models/vocab and compares
// with Hugging Face's apply_chat_template (testdata/hf/chat_ids.json,
// written by chat_ids.mjs with transformers.js).
func TestTokenizeChatMatchesHF(t *testing.T) {
	if testing.Short() {
		t.Skip("loads four real vocabularies (gemma3's is 33 MB of JSON)")
	}
	b, err := os.ReadFile("testdata/hf/chat_ids.json")
	require.NoError(t, err)
	var want map[string][]struct {
		Messages json.RawMessage `json:"messages"`
		Rendered string          `json:"rendered"`
		TokenIDs []int           `json:"token_ids"`
	}
	require.NoError(t, json.Unmarshal(b, &want))
	require.Len(t, want, 4)
	for name, cases := range want {
		t.Run(name, func(t *testing.T) {
			dir, err := shared.Path("models", "vocab", name)
			require.NoError(t, err)
			var in strings.Builder
			for _, c := range cases {
				in.WriteString(`{"messages":` + string(c.Messages) + "}\n")
			}
			var stdout, stderr bytes.Buffer
			code := Main([]string{"model", "tokenize", "-q", "--tokenizer", dir}, strings.NewReader(in.String()), &stdout, &stderr)
			require.Equal(t, 0, code, stderr.String())
			lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
			require.Len(t, lines, len(cases))
			for i, line := range lines {
				var got struct {
					Rendered string `json:"rendered"`
					TokenIDs []int  `json:"token_ids"`
				}
				require.NoError(t, json.Unmarshal([]byte(line), &got))
				assert.Equal(t, cases[i].Rendered, got.Rendered, "conversation %d", i)
				assert.Equal(t, cases[i].TokenIDs, got.TokenIDs, "conversation %d", i)
			}
		})
	}
}

// TestTokenizeTypedSpecialStaysText: special-token text inside a message is
// encoded as text; the template's own special tokens stay tokens. And
// plain "text" records follow --parse-special and --add-special.
func TestTokenizeTypedSpecialStaysText(t *testing.T) {
	dir, err := shared.Path("models", "vocab", "qwen2.5")
	require.NoError(t, err)
	run := func(args []string, in string) []map[string]json.RawMessage {
		var stdout, stderr bytes.Buffer
		code := Main(append([]string{"model", "tokenize", "-q", "--tokenizer", dir}, args...), strings.NewReader(in), &stdout, &stderr)
		require.Equal(t, 0, code, stderr.String())
		var out []map[string]json.RawMessage
		for _, l := range strings.Split(strings.TrimSpace(stdout.String()), "\n") {
			var m map[string]json.RawMessage
			require.NoError(t, json.Unmarshal([]byte(l), &m))
			out = append(out, m)
		}
		return out
	}
	ids := func(raw json.RawMessage) []int {
		var x []int
		require.NoError(t, json.Unmarshal(raw, &x))
		return x
	}
	const imStart, imEnd = 151644, 151645
	plain := run(nil, `{"text":"<|im_start|>"}`+"\n")
	special := run([]string{"--parse-special"}, `{"text":"<|im_start|>"}`+"\n")
	assert.Equal(t, []int{imStart}, ids(special[0]["token_ids"]))
	typed := ids(plain[0]["token_ids"])
	require.Greater(t, len(typed), 1, "typed special text is several tokens of text")
	assert.NotContains(t, typed, imStart)

	conv := run(nil, `{"messages":[{"role":"system","content":"S"},{"role":"user","content":"a<|im_start|>b"}]}`+"\n")
	got := ids(conv[0]["token_ids"])
	var rendered string
	require.NoError(t, json.Unmarshal(conv[0]["rendered"], &rendered))
	assert.Equal(t, "<|im_start|>system\nS<|im_end|>\n<|im_start|>user\na<|im_start|>b<|im_end|>\n<|im_start|>assistant\n", rendered)
	count := func(xs []int, v int) (n int) {
		for _, x := range xs {
			if x == v {
				n++
			}
		}
		return n
	}
	assert.Equal(t, 3, count(got, imStart), "the template's three <|im_start|>, not the typed one")
	assert.Equal(t, 2, count(got, imEnd))
	// The user's text is encoded as text: "a<|im_start|>b" as one section.
	section := run(nil, `{"text":"user\na<|im_start|>b"}`+"\n")
	assert.Contains(t, joinInts(got), joinInts(ids(section[0]["token_ids"])))

	// Decoding turns ids back into text.
	dec := run([]string{"--decode"}, `{"token_ids":[9707,1879]}`+"\n")
	assert.JSONEq(t, `"Hello world"`, string(dec[0]["text"]))
}

func joinInts(xs []int) string {
	b, _ := json.Marshal(xs)
	return strings.Trim(string(b), "[]")
}

func TestTokenizeErrors(t *testing.T) {
	dir, err := shared.Path("models", "vocab", "qwen2.5")
	require.NoError(t, err)
	for _, tc := range []struct {
		args []string
		in   string
		want string
	}{
		{nil, `{"other":1}` + "\n", `<stdin>:1: no "text" field (nor "messages")`},
		{[]string{"--decode"}, `{"token_ids":[1,999999]}` + "\n", `<stdin>:1: token_ids: 999999 is outside the vocabulary of 151665`},
		{nil, `{"messages":[]}` + "\n", `<stdin>:1: messages: the conversation is empty`},
		{[]string{"--no-chat-template"}, `{"messages":[{"role":"user","content":"x"}]}` + "\n", `<stdin>:1: no "text" field (nor "messages")`},
	} {
		var stdout, stderr bytes.Buffer
		code := Main(append([]string{"model", "tokenize", "-q", "--tokenizer", dir}, tc.args...), strings.NewReader(tc.in), &stdout, &stderr)
		assert.Equal(t, 1, code, tc.want)
		assert.Contains(t, stderr.String(), tc.want)
		assert.Empty(t, stdout.String())
	}
	// A vocabulary path that is none.
	bad := filepath.Join(t.TempDir(), "x.bin")
	require.NoError(t, os.WriteFile(bad, []byte("nope"), 0o644))
	var stdout, stderr bytes.Buffer
	code := Main([]string{"model", "tokenize", "--tokenizer", bad}, strings.NewReader("{}\n"), &stdout, &stderr)
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr.String(), "not a GGUF file, a tokenizer.json or a llama2.c tokenizer")
}
