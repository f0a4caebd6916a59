package tokenizer

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/degen-llm/degen/internal/shared"
)

// modelPath is a file of the shared models folder.
func modelPath(t testing.TB, elem ...string) string {
	t.Helper()
	d, err := shared.Models()
	require.NoError(t, err)
	return filepath.Join(append([]string{d}, elem...)...)
}

// loadLlama2C builds a Tokenizer from a llama2.c tokenizer file of the
// shared models folder.
func loadLlama2C(t testing.TB, name string, vocabSize int) *Tokenizer {
	t.Helper()
	v, err := LoadLlama2C(modelPath(t, name), vocabSize)
	require.NoError(t, err)
	tok, err := New(v)
	require.NoError(t, err)
	return tok
}

type vector struct {
	text string
	ids  []int
}

// readVectors reads llama.cpp's tokenizer test vectors the way its
// test-tokenizer-0 does: the .inp file is split on the separator, each case
// running up to the next separator (the file ends with one, so no case
// includes the file's last newline and there is no empty case after it),
// and each line of the .out file, trimmed, is the ids of one case.
func readVectors(t testing.TB) []vector {
	t.Helper()
	return readVectorFiles(t, modelPath(t, "tokenizer-tests", "ggml-vocab-llama-spm.gguf"))
}

// readVectorFiles reads the vectors of base+".inp" and base+".out".
func readVectorFiles(t testing.TB, base string) []vector {
	t.Helper()
	inp, err := os.ReadFile(base + ".inp")
	require.NoError(t, err)
	out, err := os.ReadFile(base + ".out")
	require.NoError(t, err)

	const sep = "\n__ggml_vocab_test__\n"
	var texts []string
	for rest := string(inp); rest != ""; {
		text, after, found := strings.Cut(rest, sep)
		texts = append(texts, text)
		if !found {
			break
		}
		rest = after
	}
	lines := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
	require.Len(t, lines, len(texts), "input and output cases differ in number")

	vs := make([]vector, len(texts))
	for i, line := range lines {
		vs[i].text = texts[i]
		vs[i].ids = []int{} // empty, not nil, so that assert.Equal matches Encode("")
		for _, f := range strings.Fields(line) {
			id, err := strconv.Atoi(f)
			require.NoError(t, err)
			vs[i].ids = append(vs[i].ids, id)
		}
	}
	return vs
}

func TestLlamaCppVectorsLlama2C(t *testing.T) {
	tok := loadLlama2C(t, "tokenizer.bin", 32000)
	vs := readVectors(t)
	require.Len(t, vs, 46)
	checkVectors(t, tok, vs)
}

func checkVectors(t *testing.T, tok *Tokenizer, vs []vector) {
	for i, v := range vs {
		t.Run(strconv.Itoa(i), func(t *testing.T) {
			got := tok.EncodeInto([]int{}, v.text, false)
			assert.Equal(t, v.ids, got, "encode %q", v.text)
			assert.Equal(t, v.text, tok.DecodeAll(got), "decode of %q", v.text)
		})
	}
}

// readIDs parses the "name: id id ..." line of the reference ids file.
func readIDs(t *testing.T, name string) []int {
	t.Helper()
	data, err := os.ReadFile(modelPath(t, "reference", "stories260K_greedy_ids.txt"))
	require.NoError(t, err)
	for line := range strings.Lines(string(data)) {
		rest, ok := strings.CutPrefix(line, name+":")
		if !ok {
			continue
		}
		var ids []int
		for _, f := range strings.Fields(rest) {
			id, err := strconv.Atoi(f)
			require.NoError(t, err)
			ids = append(ids, id)
		}
		return ids
	}
	require.FailNow(t, "no such line", name)
	return nil
}

func TestTok512Reference(t *testing.T) {
	tok := loadLlama2C(t, "tok512.bin", 512)
	require.Equal(t, 512, tok.VocabSize())

	prompt := readIDs(t, "prompt_ids")
	require.Equal(t, []int{1, 403, 407, 261, 378}, prompt)
	assert.Equal(t, prompt, tok.Encode("Once upon a time", true))

	want, err := os.ReadFile(modelPath(t, "reference", "stories260K_greedy_llama2c.txt"))
	require.NoError(t, err)
	ids := readIDs(t, "ids") // the tokens after BOS: the prompt's, then the generated ones
	require.Equal(t, prompt[1:], ids[:len(prompt)-1])

	// run.c prints each token with decode(prev, token), starting after BOS,
	// then a final newline.
	var b strings.Builder
	prev := tok.BOS()
	for _, id := range ids {
		b.WriteString(tok.DecodePiece(prev, id))
		prev = id
	}
	assert.Equal(t, string(want), b.String()+"\n", "DecodePiece")
	assert.Equal(t, string(want), tok.DecodeAll(ids)+"\n", "DecodeAll")
	assert.Equal(t, string(want), tok.DecodeAll(append([]int{tok.BOS()}, ids...))+"\n", "DecodeAll after BOS")
}
