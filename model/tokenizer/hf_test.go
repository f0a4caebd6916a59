package tokenizer

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
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
				_ = strconv.Itoa
			}
		})
	}
}
