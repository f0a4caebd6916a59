// Package gguf reads and writes GGUF files, the single-file model format of
// llama.cpp and ggml (versions 2 and 3, little-endian).
//
// A GGUF file is a header (magic "GGUF", version, tensor count, key/value
// count), typed metadata key/values, tensor infos (name, dims, type, offset)
// and, after padding to the file's alignment, the tensor data:
//
//	"GGUF" u32 version | u64 n_tensors | u64 n_kv
//	n_kv     × (string key, u32 value type, value)
//	n_tensors× (string name, u32 n_dims, u64 ne[n_dims], u32 type, u64 offset)
//	padding to general.alignment (default 32)
//	tensor data, each tensor at its offset from here, itself aligned
//
// Strings are a u64 byte length then the bytes; arrays are a u32 element
// type, a u64 count and the elements. Dims are innermost first (ggml's ne),
// so a tensor with ne = [cols, rows] is a row-major (rows, cols) matrix.
//
// [Parse] works on the whole file in memory (usually a memory mapping) and
// never copies tensor data: [File.TensorData] returns sub-slices. Every
// count, length and offset read from the file is checked against the bytes
// left before anything is allocated, so a corrupted or hostile file is an
// error, never a panic or a huge allocation. [Writer] writes version 3.
package gguf

import (
	"errors"
	"fmt"
)

// Magic is the first four bytes of every GGUF file.
const Magic = "GGUF"

// DefaultAlignment is the alignment of tensor data when the file has no
// general.alignment key.
const DefaultAlignment = 32

// MaxDims is the most dimensions a tensor may have (ggml's GGML_MAX_DIMS).
const MaxDims = 4

// maxNesting bounds how deeply arrays may nest, so that a file of nested
// array headers cannot recurse without end.
const maxNesting = 16

// ValueType is the type of a metadata value.
type ValueType uint32

// The metadata value types, numbered as in the GGUF specification.
const (
	TypeUint8   ValueType = 0
	TypeInt8    ValueType = 1
	TypeUint16  ValueType = 2
	TypeInt16   ValueType = 3
	TypeUint32  ValueType = 4
	TypeInt32   ValueType = 5
	TypeFloat32 ValueType = 6
	TypeBool    ValueType = 7
	TypeString  ValueType = 8
	TypeArray   ValueType = 9
	TypeUint64  ValueType = 10
	TypeInt64   ValueType = 11
	TypeFloat64 ValueType = 12
)

var valueTypeNames = [...]string{"uint8", "int8", "uint16", "int16", "uint32", "int32", "float32", "bool", "string", "array", "uint64", "int64", "float64"}

func (t ValueType) String() string {
	if int(t) < len(valueTypeNames) {
		return valueTypeNames[t]
	}
	return fmt.Sprintf("ValueType(%d)", uint32(t))
}

// size is the encoded size of a fixed-size value, 0 for strings and arrays.
func (t ValueType) size() int {
	switch t {
	case TypeUint8, TypeInt8, TypeBool:
		return 1
	case TypeUint16, TypeInt16:
		return 2
	case TypeUint32, TypeInt32, TypeFloat32:
		return 4
	case TypeUint64, TypeInt64, TypeFloat64:
		return 8
	}
	return 0
}

// minSize is the fewest bytes a value of type t takes in a file: what a
// claimed element count is checked against before allocating.
func (t ValueType) minSize() int {
	switch t {
	case TypeString:
		return 8 // the length
	case TypeArray:
		return 4 + 8 // element type and count
	}
	return t.size()
}

// Array is an array value. Values is a slice of the element type's Go type
// ([]uint8, []int8, []uint16, []int16, []uint32, []int32, []float32, []bool,
// []string, []uint64, []int64, []float64), or []Array for nested arrays.
type Array struct {
	Type   ValueType
	Values any
}

// Len is the number of elements.
func (a Array) Len() int {
	switch v := a.Values.(type) {
	case []uint8:
		return len(v)
	case []int8:
		return len(v)
	case []uint16:
		return len(v)
	case []int16:
		return len(v)
	case []uint32:
		return len(v)
	case []int32:
		return len(v)
	case []float32:
		return len(v)
	case []bool:
		return len(v)
	case []string:
		return len(v)
	case []uint64:
		return len(v)
	case []int64:
		return len(v)
	case []float64:
		return len(v)
	case []Array:
		return len(v)
	}
	return 0
}

// KV is one metadata key/value. Value has the Go type of its ValueType:
// uint8, int8, uint16, int16, uint32, int32, float32, bool, string, Array,
// uint64, int64 or float64.
type KV struct {
	Key   string
	Value any
}

// typeOf is the GGUF type of a Go value, false when it has none.
func typeOf(v any) (ValueType, bool) {
	switch v.(type) {
	case uint8:
		return TypeUint8, true
	case int8:
		return TypeInt8, true
	case uint16:
		return TypeUint16, true
	case int16:
		return TypeInt16, true
	case uint32:
		return TypeUint32, true
	case int32:
		return TypeInt32, true
	case float32:
		return TypeFloat32, true
	case bool:
		return TypeBool, true
	case string:
		return TypeString, true
	case Array:
		return TypeArray, true
	case uint64:
		return TypeUint64, true
	case int64:
		return TypeInt64, true
	case float64:
		return TypeFloat64, true
	}
	return 0, false
}

// describe names the type of a value for error messages, e.g. "uint32" or
// "array of string".
func describe(v any) string {
	if a, ok := v.(Array); ok {
		return "array of " + a.Type.String()
	}
	if t, ok := typeOf(v); ok {
		return t.String()
	}
	return fmt.Sprintf("%T", v)
}

// ErrMissingKey is wrapped by the errors of the typed getters when the key
// is absent.
var ErrMissingKey = errors.New("missing key")

// TypeError is returned by the typed getters when the key holds a value of
// another type (or an integer out of the asked range).
type TypeError struct {
	Key  string
	Want string // e.g. "unsigned integer", "array of string"
	Got  string // e.g. "float32", "array of int32", "negative int32"
}

func (e *TypeError) Error() string {
	return fmt.Sprintf("metadata key %s: want %s, file has %s", e.Key, e.Want, e.Got)
}

// TensorType is a ggml tensor type.
type TensorType uint32

// The ggml tensor types degen can load, and a few others it can name.
const (
	F32     TensorType = 0
	F16     TensorType = 1
	Q4_0    TensorType = 2
	Q4_1    TensorType = 3
	Q5_0    TensorType = 6
	Q5_1    TensorType = 7
	Q8_0    TensorType = 8
	Q8_1    TensorType = 9
	Q2_K    TensorType = 10
	Q3_K    TensorType = 11
	Q4_K    TensorType = 12
	Q5_K    TensorType = 13
	Q6_K    TensorType = 14
	Q8_K    TensorType = 15
	IQ2_XXS TensorType = 16
	IQ2_XS  TensorType = 17
	IQ3_XXS TensorType = 18
	IQ1_S   TensorType = 19
	IQ4_NL  TensorType = 20
	IQ3_S   TensorType = 21
	IQ2_S   TensorType = 22
	IQ4_XS  TensorType = 23
	I8      TensorType = 24
	I16     TensorType = 25
	I32     TensorType = 26
	I64     TensorType = 27
	F64     TensorType = 28
	IQ1_M   TensorType = 29
	BF16    TensorType = 30
	TQ1_0   TensorType = 34
	TQ2_0   TensorType = 35
	MXFP4   TensorType = 39
)

// typeTraits is the name of a tensor type and its block layout: blockSize
// elements are stored in typeSize bytes.
type typeTraits struct {
	name                string
	blockSize, typeSize uint64
}

// traits follow ggml's type_traits table (ggml.c); the sizes are those of
// its block structs (ggml-common.h).
var traits = map[TensorType]typeTraits{
	F32:     {"F32", 1, 4},
	F16:     {"F16", 1, 2},
	Q4_0:    {"Q4_0", 32, 18},
	Q4_1:    {"Q4_1", 32, 20},
	Q5_0:    {"Q5_0", 32, 22},
	Q5_1:    {"Q5_1", 32, 24},
	Q8_0:    {"Q8_0", 32, 34},
	Q8_1:    {"Q8_1", 32, 36},
	Q2_K:    {"Q2_K", 256, 84},
	Q3_K:    {"Q3_K", 256, 110},
	Q4_K:    {"Q4_K", 256, 144},
	Q5_K:    {"Q5_K", 256, 176},
	Q6_K:    {"Q6_K", 256, 210},
	Q8_K:    {"Q8_K", 256, 292},
	IQ2_XXS: {"IQ2_XXS", 256, 66},
	IQ2_XS:  {"IQ2_XS", 256, 74},
	IQ3_XXS: {"IQ3_XXS", 256, 98},
	IQ1_S:   {"IQ1_S", 256, 50},
	IQ4_NL:  {"IQ4_NL", 32, 18},
	IQ3_S:   {"IQ3_S", 256, 110},
	IQ2_S:   {"IQ2_S", 256, 82},
	IQ4_XS:  {"IQ4_XS", 256, 136},
	I8:      {"I8", 1, 1},
	I16:     {"I16", 1, 2},
	I32:     {"I32", 1, 4},
	I64:     {"I64", 1, 8},
	F64:     {"F64", 1, 8},
	IQ1_M:   {"IQ1_M", 256, 56},
	BF16:    {"BF16", 1, 2},
	TQ1_0:   {"TQ1_0", 256, 54},
	TQ2_0:   {"TQ2_0", 256, 66},
	MXFP4:   {"MXFP4", 32, 17},
}

func (t TensorType) String() string {
	if tr, ok := traits[t]; ok {
		return tr.name
	}
	return fmt.Sprintf("type %d", uint32(t))
}

// BlockSize is the number of elements per storage block (1 for plain
// types, 32 for Q8_0), 0 for an unknown type.
func (t TensorType) BlockSize() uint64 { return traits[t].blockSize }

// TypeSize is the number of bytes of one block, 0 for an unknown type.
func (t TensorType) TypeSize() uint64 { return traits[t].typeSize }

// TensorInfo describes one tensor of a file.
type TensorInfo struct {
	Name   string
	Dims   []uint64 // ne: innermost (contiguous) dimension first
	Type   TensorType
	Offset uint64 // from the start of the data section
}

// Elements is the number of elements (the product of Dims).
func (ti *TensorInfo) Elements() uint64 {
	n := uint64(1)
	for _, d := range ti.Dims {
		n *= d
	}
	return n
}

// Size is the number of bytes of the tensor's data, and false when the type
// is unknown (the parser has checked that known sizes do not overflow).
func (ti *TensorInfo) Size() (uint64, bool) {
	tr, ok := traits[ti.Type]
	if !ok {
		return 0, false
	}
	return ti.Elements() / tr.blockSize * tr.typeSize, true
}
