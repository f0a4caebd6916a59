package tokenizer

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/text/unicode/norm"

	"github.com/degen-llm/degen/internal/shared"
)

// hfVocabs are the Hugging Face tokenizer folders of ../shared/models/vocab
// with reference ids in testdata/hf.
var hfVocabs = []string{"qwen2.5", "qwen3", "llama3", "gemma3"}

// hfFixture is what testdata/hf/gen.mjs wrote for one folder.
type hfFixture struct {
	Vocab        string
	Transformers string
	Prefix       []int
	Suffix       []int
	Cases        []struct {
		Special []int
		Plain   []int
		Decoded *string
	}
}

func readCorpus(t testing.TB) []string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "hf", "corpus.json"))
	require.NoError(t, err)
	var texts []string
	require.NoError(t, json.Unmarshal(data, &texts))
	return texts
}

func readFixture(t testing.TB, name string) *hfFixture {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "hf", name+".json"))
	require.NoError(t, err)
	var f hfFixture
	require.NoError(t, json.Unmarshal(data, &f))
	return &f
}

func hfDir(t testing.TB, name string) string {
	t.Helper()
	d, err := shared.Path("models", "vocab", name)
	require.NoError(t, err)
	return d
}

type loadedHF struct {
	tok *Tokenizer
	cfg *HFConfig
	err error
}

var (
	hfMu    sync.Mutex
	hfCache = map[string]*loadedHF{}
)

// loadHF builds the Tokenizer of a shared Hugging Face folder, once per
// test binary (Gemma 3's tokenizer.json is 33 MB).
func loadHF(t testing.TB, name string) (*Tokenizer, *HFConfig) {
	t.Helper()
	hfMu.Lock()
	defer hfMu.Unlock()
	l, ok := hfCache[name]
	if !ok {
		l = &loadedHF{}
		var v *Vocab
		v, l.cfg, l.err = LoadHF(hfDir(t, name))
		if l.err == nil {
			l.tok, l.err = New(v)
		}
		hfCache[name] = l
	}
	require.NoError(t, l.err)
	return l.tok, l.cfg
}

// TestHFCorpus compares the ids of our corpus with those of Hugging Face
// (transformers.js, see testdata/hf/README.md), with special tokens parsed
// (EncodeSpecial) and as text (Encode), the BOS/EOS that encoding adds, and
// decoding back.
func TestHFCorpus(t *testing.T) {
	texts := readCorpus(t)
	for _, name := range hfVocabs {
		t.Run(name, func(t *testing.T) {
			tok, _ := loadHF(t, name)
			fix := readFixture(t, name)
			require.Len(t, fix.Cases, len(texts))
			var bos, eos []int
			if tok.AddBOS() {
				bos = []int{tok.BOS()}
			}
			if tok.AddEOS() {
				eos = []int{tok.EOS()}
			}
			assert.Equal(t, fix.Prefix, append([]int{}, bos...), "BOS added")
			assert.Equal(t, fix.Suffix, append([]int{}, eos...), "EOS added")
			match := 0
			for i, c := range fix.Cases {
				text := texts[i]
				plain := c.Plain
				if plain == nil {
					plain = c.Special
				}
				gotSpecial := tok.EncodeWith([]int{}, text, EncodeOptions{Special: true})
				gotPlain := tok.EncodeWith([]int{}, text, EncodeOptions{})
				want := text
				if c.Decoded != nil {
					want = *c.Decoded
				}
				ok := assert.Equal(t, c.Special, gotSpecial, "EncodeSpecial %d %q", i, text)
				ok = assert.Equal(t, plain, gotPlain, "Encode %d %q", i, text) && ok
				ok = assert.Equal(t, want, tok.DecodeAll(gotPlain), "decode %d %q", i, text) && ok
				if ok {
					match++
				}
			}
			t.Logf("%s: %d of %d texts match Hugging Face (transformers.js %s)", name, match, len(texts), fix.Transformers)
		})
	}
}

// TestHFRoundTrip: decoding what Encode gives is the normalised text.
func TestHFRoundTrip(t *testing.T) {
	texts := readCorpus(t)
	for _, name := range hfVocabs {
		t.Run(name, func(t *testing.T) {
			tok, _ := loadHF(t, name)
			for i, text := range texts {
				want := text
				if tok.v.Normalizer == NormalizerNFC {
					want = norm.NFC.String(text)
				}
				ids := tok.Encode(text, false)
				require.Equal(t, want, tok.DecodeAll(ids), "text %d", i)
				d := tok.NewStreamDecoder()
				var got string
				for _, id := range ids {
					got += d.Add(id)
				}
				require.Equal(t, want, got+d.Flush(), "stream %d", i)
			}
		})
	}
}

// TestLoadHF checks what each folder's files say (read off tokenizer.json
// and tokenizer_config.json by hand).
func TestLoadHF(t *testing.T) {
	tests := []struct {
		name, pre, norm  string
		n, bos, eos, unk int
		addBOS, ignore   bool
		eog              []Token
		bosText, eosText string
		template, pad    string
		padID            int
	}{
		{"qwen2.5", "qwen2", "nfc", 151665, NoToken, 151645, NoToken, false, false,
			[]Token{{151645, "<|im_end|>", "eos"}, {151643, "<|endoftext|>", "text"}}, "", "<|im_end|>", "<|im_start|>", "<|endoftext|>", 151643},
		{"qwen3", "qwen2", "nfc", 151669, NoToken, 151645, NoToken, false, false,
			[]Token{{151645, "<|im_end|>", "eos"}, {151643, "<|endoftext|>", "text"}}, "", "<|im_end|>", "<think>", "<|endoftext|>", 151643},
		{"llama3", "llama-bpe", "", 128256, 128000, 128001, NoToken, false, true,
			[]Token{{128001, "<|end_of_text|>", "eos"}, {128009, "<|eot_id|>", "text"}}, "<|begin_of_text|>", "<|end_of_text|>", "<|start_header_id|>", "", 0},
		{"gemma3", "", "", 262145, 2, 106, 3, true, false,
			[]Token{{106, "<end_of_turn>", "eos"}, {1, "<eos>", "text"}}, "<bos>", "<end_of_turn>", "<start_of_turn>", "<pad>", 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tok, cfg := loadHF(t, tc.name)
			v := tok.Vocab()
			assert.Equal(t, tc.pre, v.Pre)
			assert.Equal(t, tc.norm, v.Normalizer)
			assert.Len(t, v.Pieces, tc.n)
			assert.Equal(t, []int{tc.bos, tc.eos, tc.unk}, []int{v.BOS, v.EOS, v.UNK})
			assert.Equal(t, tc.addBOS, v.AddBOS)
			assert.False(t, v.AddEOS)
			assert.Equal(t, tc.ignore, v.IgnoreMerges)
			assert.Equal(t, tc.eog, v.EOG)
			assert.Equal(t, tc.bosText, cfg.BOSToken)
			assert.Equal(t, tc.eosText, cfg.EOSToken)
			assert.Contains(t, cfg.ChatTemplate, tc.template)
			if tc.pad != "" {
				assert.Equal(t, map[string]int{"pad": tc.padID}, v.Roles)
			}
			assert.Equal(t, []KV{{"tokenizer.chat_template", cfg.ChatTemplate}}, cfg.GGUFMetadata())
		})
	}
	t.Run("types", func(t *testing.T) {
		tok, _ := loadHF(t, "qwen2.5")
		assert.Equal(t, int32(TypeControl), tok.v.Types[151644], "<|im_start|> is special")
		assert.Equal(t, int32(TypeUserDefined), tok.v.Types[151657], "<tool_call> is not")
		assert.Equal(t, int32(TypeNormal), tok.v.Types[0])
		assert.Equal(t, "!", tok.Piece(0))
		assert.Equal(t, " the", tok.Decode(279))
		g, _ := loadHF(t, "gemma3")
		assert.Equal(t, int32(TypeUnknown), g.v.Types[3])
		assert.Equal(t, int32(TypeByte), g.v.Types[238], "<0x00>")
		assert.Equal(t, "<0x00>", g.Piece(238))
		assert.Equal(t, "  ", g.Decode(138), "the added ▁▁ reads as two spaces")
	})
}

func writeHF(t *testing.T, tokenizerJSON, config string) string {
	t.Helper()
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "tokenizer.json"), []byte(tokenizerJSON), 0o644))
	if config != "" {
		require.NoError(t, os.WriteFile(filepath.Join(dir, "tokenizer_config.json"), []byte(config), 0o644))
	}
	return dir
}

func TestLoadHFSmall(t *testing.T) {
	const vocab = `"vocab": {"Ġ": 0, "a": 1, "b": 2, "ab": 3}, "merges": [["a", "b"]]`
	byteLevel := func(pre string) string {
		return `{"added_tokens": [{"id": 4, "content": "<|im_start|>", "special": true}, {"id": 6, "content": "<x>", "special": false}],
			"normalizer": null, "pre_tokenizer": ` + pre + `, "decoder": {"type": "ByteLevel"},
			"model": {"type": "BPE", ` + vocab + `}}`
	}
	t.Run("gpt-2 and templates", func(t *testing.T) {
		dir := writeHF(t, byteLevel(`{"type": "ByteLevel", "add_prefix_space": false}`),
			`{"eos_token": {"content": "<|im_start|>"}, "add_eos_token": true, "chat_template": [{"name": "default", "template": "D"}, {"name": "tool_use", "template": "T"}]}`)
		v, cfg, err := LoadHF(filepath.Join(dir, "tokenizer.json"))
		require.NoError(t, err)
		assert.Equal(t, "gpt-2", v.Pre)
		assert.Equal(t, []string{"Ġ", "a", "b", "ab", "<|im_start|>", "[PAD5]", "<x>"}, v.Pieces)
		assert.Equal(t, []int32{1, 1, 1, 1, TypeControl, TypeUnused, TypeUserDefined}, v.Types)
		assert.Equal(t, []string{"a b"}, v.Merges)
		assert.Equal(t, 4, v.EOS)
		assert.True(t, v.AddEOS)
		assert.Equal(t, "D", cfg.ChatTemplate)
		assert.Equal(t, map[string]string{"default": "D", "tool_use": "T"}, cfg.ChatTemplates)
		assert.Equal(t, []KV{{"tokenizer.chat_template", "D"}, {"tokenizer.chat_template.tool_use", "T"}}, cfg.GGUFMetadata())
	})
	t.Run("smollm", func(t *testing.T) {
		dir := writeHF(t, byteLevel(`{"type": "Sequence", "pretokenizers": [{"type": "Digits", "individual_digits": true}, {"type": "ByteLevel", "add_prefix_space": false, "use_regex": true}]}`), "")
		v, _, err := LoadHF(dir)
		require.NoError(t, err)
		assert.Equal(t, "smollm", v.Pre, "the vocabulary has <|im_start|>")
	})
	t.Run("template processing", func(t *testing.T) {
		js := strings.Replace(byteLevel(`{"type": "ByteLevel"}`), `"normalizer": null`, `"normalizer": null,
			"post_processor": {"type": "Sequence", "processors": [{"type": "ByteLevel"}, {"type": "TemplateProcessing",
				"single": [{"SpecialToken": {"id": "<|im_start|>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
				"special_tokens": {"<|im_start|>": {"id": "<|im_start|>", "ids": [4], "tokens": ["<|im_start|>"]}}}]}`, 1)
		v, _, err := LoadHF(writeHF(t, js, `{"add_bos_token": false}`))
		require.NoError(t, err)
		assert.True(t, v.AddBOS, "the post-processor decides")
		assert.Equal(t, 4, v.BOS)
	})
	for _, tc := range []struct{ name, js, msg string }{
		{"unigram", `{"model": {"type": "Unigram", "vocab": {}}}`, `model type "Unigram" is not supported`},
		{"regex", byteLevel(`{"type": "Sequence", "pretokenizers": [{"type": "Split", "pattern": {"Regex": "\\w+"}, "behavior": "Isolated"}, {"type": "ByteLevel", "use_regex": false}]}`), `pre-tokenizer expression "\\w+" is not supported`},
		{"prefix space", byteLevel(`{"type": "ByteLevel", "add_prefix_space": true}`), "add_prefix_space is not supported"},
		{"normalizer", strings.Replace(byteLevel(`{"type": "ByteLevel"}`), `"normalizer": null`, `"normalizer": {"type": "NFKC"}`, 1), "normalizer [NFKC] is not supported"},
		{"bad json", `{`, "unexpected end of JSON"},
		{"lstrip", strings.Replace(byteLevel(`{"type": "ByteLevel"}`), `"special": false`, `"special": false, "lstrip": true`, 1), "lstrip, rstrip and single_word are not supported"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := LoadHF(writeHF(t, tc.js, ""))
			assert.ErrorContains(t, err, tc.msg)
		})
	}
	_, _, err := LoadHF(filepath.Join(t.TempDir(), "missing"))
	assert.ErrorIs(t, err, os.ErrNotExist)
}
