package tokenizer

import "testing"

// Test helpers shared with the external test package tokenizer_test, which
// exists so that its tests may import packages (model/gguf) that could in
// turn import this one.

type Vector = vector

var (
	ReadVectors  = readVectors
	CheckVectors = checkVectors
	ModelPath    = modelPath
)

// Text and IDs expose a vector's fields.
func (v vector) Text() string { return v.text }
func (v vector) IDs() []int   { return v.ids }

// Hugging Face fixtures for the external tests.
var (
	HFVocabs    = hfVocabs
	ReadCorpus  = readCorpus
	LoadHFTest  = loadHF
	HFDir       = hfDir
	ReadHFCases = func(t testing.TB, name string) (prefix, suffix []int, special, plain [][]int) {
		f := readFixture(t, name)
		for _, c := range f.Cases {
			p := c.Plain
			if p == nil {
				p = c.Special
			}
			special, plain = append(special, c.Special), append(plain, p)
		}
		return f.Prefix, f.Suffix, special, plain
	}
	ReadVectorFiles = readVectorFiles
)
