package kernels

import (
	"fmt"
	"strings"
)

// DType is the storage type of a weight matrix. Apart from F32, F16 and
// BF16 every type is one of ggml's block formats, stored byte for byte as
// in a GGUF file (see ggml-common.h of llama.cpp for the C structs):
//
//	type  block  bytes  layout (little-endian, in this order)
//	Q4_0    32     18   d f16, 16 bytes of nibbles: q[j] low, q[j+16] high; w = d·(q-8)
//	Q4_1    32     20   d f16, m f16, 16 bytes of nibbles;                  w = d·q + m
//	Q5_0    32     22   d f16, qh u32 (bit j = 5th bit of q[j]), 16 bytes of nibbles; w = d·(q-16)
//	Q5_1    32     24   d f16, m f16, qh u32, 16 bytes of nibbles;          w = d·q + m
//	Q8_0    32     34   d f16, 32 int8;                                     w = d·q
//	Q2_K   256     84   16 scale bytes (low nibble scale, high nibble min of each 16),
//	                    64 bytes of 2-bit q, d f16, dmin f16;           w = d·sc·q - dmin·m
//	Q3_K   256    110   32 bytes hmask, 64 bytes of 2-bit q, 12 bytes of 6-bit scales, d f16;
//	                    w = d·(sc-32)·(q - (hmask bit clear ? 4 : 0))
//	Q4_K   256    144   d f16, dmin f16, 12 bytes of 6-bit scales and mins (8 of 32),
//	                    128 bytes of nibbles;                           w = d·sc·q - dmin·m
//	Q5_K   256    176   as Q4_K plus 32 bytes qh of 5th bits before the nibbles
//	Q6_K   256    210   128 bytes low nibbles, 64 bytes high 2 bits, 16 int8 scales, d f16;
//	                    w = d·sc·(q-32)
//
// Rows of a block type must hold a whole number of blocks.
type DType uint8

const (
	F32  DType = iota // 4-byte IEEE float
	F16               // 2-byte IEEE half
	Q8_0              // GGUF Q8_0: blocks of 32 int8 values with one F16 scale (34 bytes)
	Q4_0
	Q4_1
	Q5_0
	Q5_1
	Q2_K
	Q3_K
	Q4_K
	Q5_K
	Q6_K
	BF16 // 2-byte bfloat16: the top half of a float32
	numDTypes
)

// Q8Block is the number of weights in one Q8_0 block and Q8BlockBytes its size.
const (
	Q8Block      = 32
	Q8BlockBytes = 2 + Q8Block
)

// QK is the number of weights in a K-quant super-block (Q2_K .. Q6_K).
const QK = 256

// typeInfo describes one DType: its names, its ggml type id and its block
// layout (block elements stored in bytes bytes).
type typeInfo struct {
	name        string
	ggml        uint32
	block       int
	bytes       int
	fileTypeIDs []string // llama.cpp file-type names that mean this type, lower case
}

// types follows ggml's type_traits table (ggml.c) and GGML_TYPE_* ids.
var types = [numDTypes]typeInfo{
	F32:  {"F32", 0, 1, 4, []string{"all_f32"}},
	F16:  {"F16", 1, 1, 2, []string{"mostly_f16"}},
	Q4_0: {"Q4_0", 2, 32, 18, []string{"mostly_q4_0"}},
	Q4_1: {"Q4_1", 3, 32, 20, []string{"mostly_q4_1"}},
	Q5_0: {"Q5_0", 6, 32, 22, []string{"mostly_q5_0"}},
	Q5_1: {"Q5_1", 7, 32, 24, []string{"mostly_q5_1"}},
	Q8_0: {"Q8_0", 8, 32, 34, []string{"mostly_q8_0"}},
	Q2_K: {"Q2_K", 10, 256, 84, []string{"mostly_q2_k", "q2_k_s"}},
	Q3_K: {"Q3_K", 11, 256, 110, []string{"mostly_q3_k_s", "mostly_q3_k_m", "mostly_q3_k_l", "q3_k_s", "q3_k_m", "q3_k_l"}},
	Q4_K: {"Q4_K", 12, 256, 144, []string{"mostly_q4_k_s", "mostly_q4_k_m", "q4_k_s", "q4_k_m"}},
	Q5_K: {"Q5_K", 13, 256, 176, []string{"mostly_q5_k_s", "mostly_q5_k_m", "q5_k_s", "q5_k_m"}},
	Q6_K: {"Q6_K", 14, 256, 210, []string{"mostly_q6_k"}},
	BF16: {"BF16", 30, 1, 2, []string{"mostly_bf16"}},
}

// DTypes lists every weight type, in DType order.
func DTypes() []DType {
	ts := make([]DType, numDTypes)
	for i := range ts {
		ts[i] = DType(i)
	}
	return ts
}

func (t DType) valid() bool { return t < numDTypes }

func (t DType) String() string {
	if t.valid() {
		return types[t].name
	}
	return fmt.Sprintf("DType(%d)", uint8(t))
}

// ParseDType reads a weight type by name, case-insensitively: "f32",
// "f16", "bf16", "q8_0", "q4_k" and so on, and also llama.cpp's file-type
// names, with or without their "mostly_" prefix ("q4_k_m", "mostly_q6_k"),
// which name the type of most of a file's matrices.
func ParseDType(name string) (DType, error) {
	n := strings.ToLower(name)
	for i := range types {
		if n == strings.ToLower(types[i].name) {
			return DType(i), nil
		}
	}
	for i := range types {
		for _, alias := range types[i].fileTypeIDs {
			if n == alias || "mostly_"+n == alias {
				return DType(i), nil
			}
		}
	}
	names := make([]string, len(types))
	for i := range types {
		names[i] = strings.ToLower(types[i].name)
	}
	return 0, fmt.Errorf("unknown weight type %q (%s)", name, strings.Join(names, ", "))
}

// BlockSize is the number of weights in one storage block: 1 for F32, F16
// and BF16, 32 for Q4_0 .. Q8_0, 256 for the K-quants. A row's length must
// be a multiple of it.
func (t DType) BlockSize() int { return types[t].block }

// BlockBytes is the size in bytes of one storage block.
func (t DType) BlockBytes() int { return types[t].bytes }

// RowBytes is the size in bytes of one row of cols elements of type t.
// cols must be a multiple of BlockSize.
func (t DType) RowBytes(cols int) int {
	if !t.valid() {
		panic("kernels: unknown dtype")
	}
	ti := &types[t]
	if cols%ti.block != 0 {
		panic(fmt.Sprintf("kernels: %d columns are not a whole number of %s blocks of %d", cols, ti.name, ti.block))
	}
	return cols / ti.block * ti.bytes
}

// GGMLType is t's ggml type id (GGML_TYPE_*, as stored in GGUF tensor
// infos; model/gguf names them TensorType).
func (t DType) GGMLType() uint32 { return types[t].ggml }

// DTypeFromGGML maps a ggml type id to the DType that stores it.
func DTypeFromGGML(id uint32) (DType, error) {
	for i := range types {
		if types[i].ggml == id {
			return DType(i), nil
		}
	}
	return 0, fmt.Errorf("ggml tensor type %d is not supported", id)
}
