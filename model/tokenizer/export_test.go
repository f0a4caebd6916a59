package tokenizer

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
