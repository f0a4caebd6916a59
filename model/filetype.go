package model

import (
	"fmt"
	"strings"

	"github.com/degen-llm/degen/kernels"
)

// FileType is a llama.cpp file type (general.file_type): the weight type
// of most of a file's matrices, and for the K-quant "mixes" (Q4_K_M and
// the like) the rule that gives some matrices more bits. degen applies
// llama.cpp's rules (llama-quantize, without an importance matrix), so
// that `degen model quantize --type q4_k_m` writes the tensor types
// llama-quantize writes from the same F32 weights.
type FileType struct {
	Name string        // "q4_k_m", as llama-quantize names it (lower case)
	ID   int           // general.file_type (llama.h's LLAMA_FTYPE_*)
	Base kernels.DType // the type of the matrices no rule changes
}

// FileTypes are the file types degen writes.
var FileTypes = []FileType{
	{"f32", 0, kernels.F32}, {"f16", 1, kernels.F16}, {"bf16", 32, kernels.BF16},
	{"q4_0", 2, kernels.Q4_0}, {"q4_1", 3, kernels.Q4_1}, {"q5_0", 8, kernels.Q5_0}, {"q5_1", 9, kernels.Q5_1}, {"q8_0", 7, kernels.Q8_0},
	{"q2_k", 10, kernels.Q2_K}, {"q3_k_s", 11, kernels.Q3_K}, {"q3_k_m", 12, kernels.Q3_K}, {"q3_k_l", 13, kernels.Q3_K},
	{"q4_k_s", 14, kernels.Q4_K}, {"q4_k_m", 15, kernels.Q4_K}, {"q5_k_s", 16, kernels.Q5_K}, {"q5_k_m", 17, kernels.Q5_K},
	{"q6_k", 18, kernels.Q6_K},
}

// ParseFileType reads a file type by name ("q4_k_m", "Q8_0", ...). A bare
// K-quant type ("q4_k") is its _M mix, as llama-quantize's Q4_K alias is.
func ParseFileType(name string) (FileType, error) {
	n := strings.ToLower(name)
	switch n {
	case "q3_k", "q4_k", "q5_k":
		n += "_m"
	}
	var names []string
	for _, ft := range FileTypes {
		if ft.Name == n {
			return ft, nil
		}
		names = append(names, ft.Name)
	}
	return FileType{}, fmt.Errorf("unknown file type %q (%s)", name, strings.Join(names, ", "))
}

// tensorCategory is what llama-quantize's rules look at.
type tensorCategory int

const (
	catOther tensorCategory = iota
	catTokenEmbd
	catOutput
	catAttnQ
	catAttnK
	catAttnV
	catAttnOutput
	catFFNGate
	catFFNUp
	catFFNDown
)

func categoryOf(name string) tensorCategory {
	switch name {
	case tokEmbName:
		return catTokenEmbd
	case outputName:
		return catOutput
	}
	for suffix, c := range map[string]tensorCategory{
		".attn_q.weight": catAttnQ, ".attn_k.weight": catAttnK, ".attn_v.weight": catAttnV, ".attn_output.weight": catAttnOutput,
		".ffn_gate.weight": catFFNGate, ".ffn_up.weight": catFFNUp, ".ffn_down.weight": catFFNDown,
	} {
		if strings.HasSuffix(name, suffix) {
			return c
		}
	}
	return catOther
}

// useMoreBits is llama.cpp's choice of the layers that get more bits in
// the _M mixes: the first and last eighth, and every third one between.
func useMoreBits(layer, n int) bool {
	return layer < n/8 || layer >= 7*n/8 || (layer-n/8)%3 == 2
}

// TypeOf is the type a weight matrix of shape (rows, cols) named name (its
// GGUF name) gets in a file of type ft, for a model of config c whose
// classifier is tied to the token embedding when tied. layer is the
// matrix's block (-1 for the embedding and classifier).
func (ft FileType) TypeOf(name string, layer int, cols int, c Config, tied bool) kernels.DType {
	t := ft.Base
	if t == kernels.F32 || t == kernels.F16 || t == kernels.BF16 {
		return t // no rules for unquantised files
	}
	cat := categoryOf(name)
	n := c.NLayers
	gqa := c.NHeads / max(1, c.NKVHeads)
	switch {
	case cat == catOutput || (tied && cat == catTokenEmbd):
		// The classifier gets Q6_K (Q8_0 where the base type's blocks do
		// not fit its rows, or when the base is Q8_0).
		if cols%t.BlockSize() != 0 || t == kernels.Q8_0 {
			t = kernels.Q8_0
		} else {
			t = kernels.Q6_K
		}
	case cat == catAttnV:
		switch ft.Name {
		case "q2_k":
			t = kernels.Q3_K
			if gqa >= 4 {
				t = kernels.Q4_K
			}
		case "q3_k_m":
			t = kernels.Q4_K
			if layer < 2 {
				t = kernels.Q5_K
			}
		case "q3_k_l":
			t = kernels.Q5_K
		case "q4_k_m", "q5_k_m":
			if useMoreBits(layer, n) {
				t = kernels.Q6_K
			}
		case "q4_k_s":
			if layer < 4 {
				t = kernels.Q5_K
			}
		}
	case cat == catFFNDown:
		switch ft.Name {
		case "q2_k":
			t = kernels.Q3_K
		case "q3_k_m":
			t = kernels.Q4_K
			if layer < n/16 {
				t = kernels.Q5_K
			}
		case "q3_k_l":
			t = kernels.Q5_K
		case "q4_k_m", "q5_k_m":
			if useMoreBits(layer, n) {
				t = kernels.Q6_K
			}
		case "q4_k_s":
			if layer < n/8 {
				t = kernels.Q5_K
			}
		}
	case cat == catAttnOutput:
		switch ft.Name {
		case "q2_k":
			t = kernels.Q3_K
		case "q3_k_m":
			t = kernels.Q4_K
		case "q3_k_l":
			t = kernels.Q5_K
		}
	}
	return fallbackType(t, cols)
}

// fallbackType is llama-quantize's replacement for a type whose blocks do
// not divide the rows: a 32-value type of about as many bits, else F16.
func fallbackType(t kernels.DType, cols int) kernels.DType {
	if cols%t.BlockSize() == 0 {
		return t
	}
	switch t {
	case kernels.Q2_K, kernels.Q3_K:
		t = kernels.Q4_0
	case kernels.Q4_K:
		t = kernels.Q5_0
	case kernels.Q5_K:
		t = kernels.Q5_1
	case kernels.Q6_K:
		t = kernels.Q8_0
	}
	if cols%t.BlockSize() != 0 {
		t = kernels.F16
	}
	return t
}

// FileTypeNames lists the file types, for help and errors.
func FileTypeNames() string {
	var names []string
	for _, ft := range FileTypes {
		names = append(names, ft.Name)
	}
	return strings.Join(names, ", ")
}
