package gguf

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/degen-llm/degen/internal/shared"
)

// everyType holds one key per scalar type, one array per element type,
// nested arrays and an empty array.
var everyType = []KV{
	{"u8", uint8(200)},
	{"i8", int8(-100)},
	{"u16", uint16(60000)},
	{"i16", int16(-30000)},
	{"u32", uint32(4000000000)},
	{"i32", int32(-2000000000)},
	{"f32", float32(3.25)},
	{"bool.true", true},
	{"bool.false", false},
	{"str", "héllo ▁wörld"},
	{"str.empty", ""},
	{"u64", uint64(1) << 63},
	{"i64", int64(-1) << 62},
	{"f64", math.Pi},
	{"a.u8", Array{TypeUint8, []uint8{1, 2, 255}}},
	{"a.i8", Array{TypeInt8, []int8{-128, 0, 127}}},
	{"a.u16", Array{TypeUint16, []uint16{1, 65535}}},
	{"a.i16", Array{TypeInt16, []int16{-32768, 32767}}},
	{"a.u32", Array{TypeUint32, []uint32{7, 1 << 31}}},
	{"a.i32", Array{TypeInt32, []int32{-1, 1, 2}}},
	{"a.f32", Array{TypeFloat32, []float32{0.5, -1e-30, float32(math.Inf(1))}}},
	{"a.bool", Array{TypeBool, []bool{true, false, true}}},
	{"a.str", Array{TypeString, []string{"a", "", "▁b"}}},
	{"a.u64", Array{TypeUint64, []uint64{math.MaxUint64}}},
	{"a.i64", Array{TypeInt64, []int64{math.MinInt64, 5}}},
	{"a.f64", Array{TypeFloat64, []float64{1e300, -0.0}}},
	{"a.empty", Array{TypeString, []string{}}},
	{"a.nested", Array{TypeArray, []Array{
		{TypeInt32, []int32{1, 2}},
		{TypeString, []string{"x"}},
		{TypeArray, []Array{{TypeUint8, []uint8{9}}}},
	}}},
}

// writeFile writes metadata and tensors with the Writer.
func writeFile(t *testing.T, kvs []KV, tensors ...testTensor) []byte {
	t.Helper()
	w := NewWriter()
	for _, kv := range kvs {
		require.NoError(t, w.Set(kv.Key, kv.Value))
	}
	for _, tt := range tensors {
		require.NoError(t, w.AddTensorBytes(tt.name, tt.typ, tt.dims, tt.data))
	}
	var buf bytes.Buffer
	n, err := w.WriteTo(&buf)
	require.NoError(t, err)
	require.Equal(t, int64(buf.Len()), n)
	return buf.Bytes()
}

type testTensor struct {
	name string
	typ  TensorType
	dims []uint64
	data []byte
}

func seq(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7 + 3)
	}
	return b
}

var testTensors = []testTensor{
	{"f32.matrix", F32, []uint64{3, 2}, seq(24)},
	{"f16.vector", F16, []uint64{5}, seq(10)},
	{"q8.matrix", Q8_0, []uint64{64, 3}, seq(3 * 2 * 34)},
	{"scalar", F32, nil, seq(4)},
	{"empty", F32, []uint64{0, 4}, nil},
	{"four.dims", I8, []uint64{2, 3, 1, 2}, seq(12)},
}

func TestRoundTrip(t *testing.T) {
	for _, align := range []uint32{0, 1, 64} {
		t.Run("align="+strconv.Itoa(int(align)), func(t *testing.T) {
			kvs := everyType
			wantAlign := uint64(DefaultAlignment)
			if align != 0 {
				kvs = append([]KV{{"general.alignment", align}}, everyType...)
				wantAlign = uint64(align)
			}
			data := writeFile(t, kvs, testTensors...)
			f, err := Parse(data)
			require.NoError(t, err)
			assert.Equal(t, uint32(3), f.Version)
			assert.Equal(t, wantAlign, f.Alignment)
			assert.Zero(t, f.DataOffset%wantAlign)
			assert.Equal(t, kvs, f.KV.All())
			require.Len(t, f.Tensors, len(testTensors))
			for i, tt := range testTensors {
				ti := &f.Tensors[i]
				assert.Equal(t, tt.name, ti.Name)
				assert.Equal(t, tt.typ, ti.Type)
				assert.Equal(t, len(tt.dims), len(ti.Dims))
				assert.Zero(t, ti.Offset%wantAlign, ti.Name)
				got, err := f.TensorData(ti)
				require.NoError(t, err)
				assert.Equal(t, len(tt.data), len(got))
				assert.True(t, bytes.Equal(tt.data, got), ti.Name)
				byName, ok := f.Tensor(tt.name)
				require.True(t, ok)
				assert.Same(t, ti, byName)
			}
			_, ok := f.Tensor("nope")
			assert.False(t, ok)
			// The file ends padded to the alignment after the last tensor.
			assert.Zero(t, uint64(len(data))%wantAlign)
		})
	}
}

func TestWriterSetReplacesAndWraps(t *testing.T) {
	w := NewWriter()
	require.NoError(t, w.Set("a", uint32(1)))
	require.NoError(t, w.Set("b", []string{"x", "y"}))
	require.NoError(t, w.Set("c", []Array{{TypeFloat32, []float32{1}}}))
	require.NoError(t, w.Set("a", "now a string"))
	var buf bytes.Buffer
	_, err := w.WriteTo(&buf)
	require.NoError(t, err)
	f, err := Parse(buf.Bytes())
	require.NoError(t, err)
	assert.Equal(t, []KV{
		{"a", "now a string"},
		{"b", Array{TypeString, []string{"x", "y"}}},
		{"c", Array{TypeArray, []Array{{TypeFloat32, []float32{1}}}}},
	}, f.KV.All())
}

func TestWriterRejects(t *testing.T) {
	w := NewWriter()
	deep := Array{TypeUint8, []uint8{1}}
	for range maxNesting {
		deep = Array{TypeArray, []Array{deep}}
	}
	for _, tc := range []struct {
		name string
		err  error
		want string
	}{
		{"int", w.Set("k", 5), "metadata key k: cannot store a int in GGUF"},
		{"mismatched array", w.Set("k", Array{TypeInt32, []uint8{1}}), "metadata key k: array says element type int32 but holds []uint8"},
		{"too deep", w.Set("k", deep), "arrays nested more than 16 deep"},
		{"alignment type", w.Set("general.alignment", uint64(32)), "general.alignment must be a uint32 power of two"},
		{"alignment value", w.Set("general.alignment", uint32(24)), "general.alignment must be a uint32 power of two"},
		{"block rows", w.AddTensorBytes("q", Q8_0, []uint64{20, 2}, nil), "tensor q: type Q8_0 needs rows of a multiple of 32 elements, has 20"},
		{"size", w.AddTensorBytes("f", F32, []uint64{4}, seq(15)), "tensor f: F32 [4] takes 16 bytes, got 15"},
		{"dims", w.AddTensorBytes("d", F32, []uint64{1, 1, 1, 1, 1}, seq(4)), "tensor d: 5 dimensions, at most 4 allowed"},
		{"type", w.AddTensor("u", TensorType(99), []uint64{1}, nil), "tensor u: unknown tensor type 99"},
		{"nil writer", w.AddTensor("n", F32, []uint64{1}, nil), "tensor n: no data writer"},
		{"overflow", w.AddTensor("o", F32, []uint64{1 << 32, 1 << 32}, nil), "tensor o: dims [4294967296 4294967296] have too many elements"},
		{"f32 count", w.AddTensorF32("g", []uint64{2, 2}, []float32{1}), "tensor g: dims [2 2] hold 4 elements, got 1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			require.Error(t, tc.err)
			assert.Contains(t, tc.err.Error(), tc.want)
		})
	}
	require.NoError(t, w.AddTensorF32("x", []uint64{1}, []float32{1}))
	assert.EqualError(t, w.AddTensorF32("x", []uint64{1}, []float32{1}), "tensor x added twice")

	// A tensor writer that writes the wrong number of bytes is caught.
	w = NewWriter()
	require.NoError(t, w.AddTensor("short", F32, []uint64{4}, func(out io.Writer) error {
		_, err := out.Write(seq(12))
		return err
	}))
	_, err := w.WriteTo(io.Discard)
	assert.EqualError(t, err, "writing tensor short: wrote 12 bytes, its size is 16")
}

func TestGetters(t *testing.T) {
	f, err := Parse(writeFile(t, everyType))
	require.NoError(t, err)
	m := &f.KV

	s, err := m.String("str")
	require.NoError(t, err)
	assert.Equal(t, "héllo ▁wörld", s)
	for key, want := range map[string]uint64{"u8": 200, "u16": 60000, "u32": 4000000000, "u64": 1 << 63} {
		u, err := m.Uint(key)
		require.NoError(t, err)
		assert.Equal(t, want, u, key)
	}
	i, err := m.Int("i64")
	require.NoError(t, err)
	assert.Equal(t, int64(-1)<<62, i)
	x, err := m.Float("f32")
	require.NoError(t, err)
	assert.Equal(t, 3.25, x)
	x, err = m.Float("f64")
	require.NoError(t, err)
	assert.Equal(t, math.Pi, x)
	b, err := m.Bool("bool.true")
	require.NoError(t, err)
	assert.True(t, b)
	ss, err := m.Strings("a.str")
	require.NoError(t, err)
	assert.Equal(t, []string{"a", "", "▁b"}, ss)
	fs, err := m.Float32s("a.f32")
	require.NoError(t, err)
	assert.Equal(t, []float32{0.5, -1e-30, float32(math.Inf(1))}, fs)
	is, err := m.Int32s("a.i32")
	require.NoError(t, err)
	assert.Equal(t, []int32{-1, 1, 2}, is)
	is, err = m.Int32s("a.i16") // converted from another integer type
	require.NoError(t, err)
	assert.Equal(t, []int32{-32768, 32767}, is)
	assert.True(t, m.Has("a.nested"))
	assert.Equal(t, len(everyType), m.Len())

	for _, tc := range []struct {
		name string
		err  error
		want string // TypeError text; "" for a missing key
	}{
		{"missing", second(m.String("nope")), ""},
		{"missing uint", second(m.Uint("nope")), ""},
		{"string of int", second(m.String("u32")), "metadata key u32: want string, file has uint32"},
		{"uint of negative", second(m.Uint("i8")), "metadata key i8: want unsigned integer, file has negative int8"},
		{"uint of float", second(m.Uint("f32")), "metadata key f32: want unsigned integer, file has float32"},
		{"int of huge", second(m.Int("u64")), "metadata key u64: want integer, file has out-of-range uint64"},
		{"float of int", second(m.Float("i32")), "metadata key i32: want float, file has int32"},
		{"bool of string", second(m.Bool("str")), "metadata key str: want bool, file has string"},
		{"strings of ints", second(m.Strings("a.i32")), "metadata key a.i32: want array of string, file has array of int32"},
		{"float32s of scalar", second(m.Float32s("f32")), "metadata key f32: want array of float32, file has float32"},
		{"int32s out of range", second(m.Int32s("a.u64")), "metadata key a.u64: want array of int32, file has array of uint64 (or out of range)"},
		{"int32s of strings", second(m.Int32s("a.str")), "metadata key a.str: want array of int32, file has array of string (or out of range)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			require.Error(t, tc.err)
			if tc.want == "" {
				assert.ErrorIs(t, tc.err, ErrMissingKey)
				assert.Contains(t, tc.err.Error(), "nope")
				return
			}
			var te *TypeError
			require.ErrorAs(t, tc.err, &te)
			assert.EqualError(t, tc.err, tc.want)
		})
	}
}

func second[T any](_ T, err error) error { return err }

// enc builds hand-made (possibly invalid) GGUF bytes.
type enc struct{ bytes.Buffer }

func (e *enc) u32(v uint32) *enc { _ = binary.Write(e, binary.LittleEndian, v); return e }
func (e *enc) u64(v uint64) *enc { _ = binary.Write(e, binary.LittleEndian, v); return e }
func (e *enc) str(s string) *enc { e.u64(uint64(len(s))); e.WriteString(s); return e }
func (e *enc) raw(b ...byte) *enc {
	e.Write(b)
	return e
}

// header starts a v3 file with the given counts.
func header(nTensors, nKV uint64) *enc {
	e := &enc{}
	e.WriteString("GGUF")
	return e.u32(3).u64(nTensors).u64(nKV)
}

func TestParseErrors(t *testing.T) {
	// A valid one-tensor file to corrupt after the metadata.
	tensorFile := func(name string, nd uint32, dims []uint64, typ uint32, off uint64, data int) []byte {
		e := header(1, 0).str(name).u32(nd)
		for _, d := range dims {
			e.u64(d)
		}
		e.u32(typ).u64(off)
		for e.Len()%32 != 0 {
			e.raw(0)
		}
		e.Write(make([]byte, data))
		return e.Bytes()
	}
	nested := header(0, 1).str("deep").u32(uint32(TypeArray))
	for range maxNesting + 1 {
		nested.u32(uint32(TypeArray)).u64(1)
	}
	nested.u32(uint32(TypeUint8)).u64(0)

	for _, tc := range []struct {
		name string
		data []byte
		want string
	}{
		{"empty", nil, "reading magic: need 4 bytes at offset 0, 0 left: unexpected end of file"},
		{"magic", []byte("GGML\x03\x00\x00\x00"), `not a GGUF file: magic "GGML"`},
		{"version 1", (&enc{}).raw('G', 'G', 'U', 'F').u32(1).Bytes(), "GGUF version 1 is not supported (only 2 and 3)"},
		{"version 9", (&enc{}).raw('G', 'G', 'U', 'F').u32(9).Bytes(), "GGUF version 9 is not supported (only 2 and 3)"},
		{"big-endian", (&enc{}).raw('G', 'G', 'U', 'F', 0, 0, 0, 3).Bytes(), "big-endian GGUF files are not supported"},
		{"no counts", (&enc{}).raw('G', 'G', 'U', 'F').u32(3).u64(0).Bytes(), "reading metadata count: need 8 bytes at offset 16, 0 left: unexpected end of file"},
		{"kv count 2^60", header(0, 1<<60).Bytes(), "metadata count 1152921504606846976: needs at least 13 bytes per item but only 0 bytes are left"},
		{"tensor count 2^60", header(1<<60, 0).Bytes(), "tensor count 1152921504606846976: needs at least 24 bytes per item but only 0 bytes are left"},
		{"key length 2^60", header(0, 1).u64(1 << 60).raw(make([]byte, 16)...).Bytes(), "metadata 0: reading key: string length 1152921504606846976 exceeds the 16 bytes left"},
		{"key length 2^64-1", header(0, 1).u64(math.MaxUint64).raw(make([]byte, 16)...).Bytes(), "string length 18446744073709551615 exceeds the 16 bytes left"},
		{"string value 2^60", header(0, 1).str("k").u32(uint32(TypeString)).u64(1 << 60).Bytes(), "metadata k: string length 1152921504606846976 exceeds the 0 bytes left"},
		{"array count 2^60", header(0, 1).str("k").u32(uint32(TypeArray)).u32(uint32(TypeUint64)).u64(1 << 60).raw(make([]byte, 64)...).Bytes(), "metadata k: array of 1152921504606846976 uint64: needs at least 8 bytes per item but only 64 bytes are left"},
		{"string array count", header(0, 1).str("k").u32(uint32(TypeArray)).u32(uint32(TypeString)).u64(9).raw(make([]byte, 64)...).Bytes(), "metadata k: array of 9 string: needs at least 8 bytes per item but only 64 bytes are left"},
		{"nested count", header(0, 1).str("k").u32(uint32(TypeArray)).u32(uint32(TypeArray)).u64(6).raw(make([]byte, 64)...).Bytes(), "metadata k: array of 6 array: needs at least 12 bytes per item but only 64 bytes are left"},
		{"too deep", nested.Bytes(), "arrays nested more than 16 deep"},
		{"unknown type", header(0, 1).str("k").u32(13).raw(0).Bytes(), "metadata k: unknown value type 13"},
		{"unknown element type", header(0, 1).str("k").u32(uint32(TypeArray)).u32(77).u64(0).Bytes(), "metadata k: array of unknown value type 77"},
		{"bool 2", header(0, 1).str("k").u32(uint32(TypeBool)).raw(2).Bytes(), "metadata k: bool value 2 is neither 0 nor 1"},
		{"bool array", header(0, 1).str("k").u32(uint32(TypeArray)).u32(uint32(TypeBool)).u64(2).raw(1, 3).Bytes(), "metadata k: element 1: bool value 3 is neither 0 nor 1"},
		{"duplicate key", header(0, 2).str("k").u32(uint32(TypeUint8)).raw(1).str("k").u32(uint32(TypeUint8)).raw(2).Bytes(), `metadata 1: duplicate key "k"`},
		{"alignment type", header(0, 1).str("general.alignment").u32(uint32(TypeUint64)).u64(32).Bytes(), "metadata key general.alignment: want uint32, file has uint64"},
		{"alignment 0", header(0, 1).str("general.alignment").u32(uint32(TypeUint32)).u32(0).Bytes(), "general.alignment 0 is not a power of two"},
		{"alignment 48", header(0, 1).str("general.alignment").u32(uint32(TypeUint32)).u32(48).Bytes(), "general.alignment 48 is not a power of two"},
		{"5 dims", tensorFile("t", 5, []uint64{1, 1, 1, 1, 1}, 0, 0, 32), "tensor info 0: tensor t: 5 dimensions, at most 4 allowed"},
		{"dims overflow", tensorFile("t", 2, []uint64{1 << 40, 1 << 40}, 0, 0, 32), "tensor info 0: tensor t: dims [1099511627776 1099511627776] have too many elements"},
		{"huge tensor", tensorFile("t", 2, []uint64{1 << 28, 1 << 28}, 0, 0, 32), "tensor t: data [96, 288230376151711840) runs past the end of the file (128 bytes): truncated"},
		{"q8 rows", tensorFile("t", 1, []uint64{33}, 8, 0, 64), "tensor info 0: tensor t: type Q8_0 needs rows of a multiple of 32 elements, has 33"},
		{"misaligned", tensorFile("t", 1, []uint64{1}, 0, 4, 64), "tensor t: offset 4 is not a multiple of the alignment 32"},
		{"offset overflow", tensorFile("t", 1, []uint64{1}, 0, math.MaxUint64-31, 64), "tensor t: data offset 18446744073709551584 is past the end of the file (128 bytes): truncated"},
		{"past end", tensorFile("t", 1, []uint64{16}, 0, 0, 60), "tensor t: data [64, 128) runs past the end of the file (124 bytes): truncated"},
		{"bad name", tensorFile("\xff", 1, []uint64{1}, 0, 0, 32), "tensor info 0: tensor name \"\\xff\" is not UTF-8"},
		{"duplicate tensor", func() []byte {
			e := header(2, 0).str("t").u32(1).u64(1).u32(0).u64(0).str("t").u32(1).u64(1).u32(0).u64(32)
			return e.Bytes()
		}(), `tensor info 1: duplicate tensor name "t"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse(tc.data)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}

// Unknown tensor types parse (so `model info` can list them) but their data
// cannot be taken.
func TestUnknownTensorType(t *testing.T) {
	e := header(1, 0).str("t").u32(1).u64(8).u32(200).u64(0)
	f, err := Parse(e.Bytes())
	require.NoError(t, err)
	assert.Equal(t, "type 200", f.Tensors[0].Type.String())
	_, err = f.TensorData(&f.Tensors[0])
	assert.EqualError(t, err, "tensor t has type type 200, whose size is unknown")
	assert.Equal(t, "Q4_K", Q4_K.String())
	assert.Equal(t, uint64(256), Q4_K.BlockSize())
	assert.Equal(t, uint64(144), Q4_K.TypeSize())
}

func TestVersion2(t *testing.T) {
	data := writeFile(t, []KV{{"k", uint32(7)}}, testTensors[0])
	binary.LittleEndian.PutUint32(data[4:], 2) // v2 and v3 share the layout
	f, err := Parse(data)
	require.NoError(t, err)
	assert.Equal(t, uint32(2), f.Version)
	got, err := f.TensorData(&f.Tensors[0])
	require.NoError(t, err)
	assert.Equal(t, testTensors[0].data, got)
}

// Every prefix of a file short of its last tensor's end is an error.
func TestTruncated(t *testing.T) {
	data := writeFile(t, everyType, testTensors...)
	f, err := Parse(data)
	require.NoError(t, err)
	last := f.Tensors[len(f.Tensors)-1]
	size, _ := last.Size()
	end := int(f.DataOffset + last.Offset + size)
	for n := range end {
		_, err := Parse(bytes.Clone(data[:n]))
		require.Error(t, err, "prefix of %d bytes", n)
	}
}

func TestSharedFile(t *testing.T) {
	dir, err := shared.Models()
	require.NoError(t, err)
	data, err := os.ReadFile(filepath.Join(dir, "stories260K-f32.gguf"))
	require.NoError(t, err)
	f, err := Parse(data)
	require.NoError(t, err)
	assert.Equal(t, uint32(3), f.Version)
	assert.Len(t, f.Tensors, 48) // 3 + 9 per layer × 5
	assert.Equal(t, 19, f.KV.Len())
	ti, ok := f.Tensor("blk.4.ffn_down.weight")
	require.True(t, ok)
	assert.Equal(t, []uint64{172, 64}, ti.Dims)
	assert.Equal(t, F32, ti.Type)
	sep, err := f.KV.Uint("tokenizer.ggml.seperator_token_id") // sic
	require.NoError(t, err)
	assert.Equal(t, uint64(math.MaxUint32), sep)
	// The data section runs to the end of the file.
	last := f.Tensors[len(f.Tensors)-1]
	size, _ := last.Size()
	assert.Equal(t, uint64(len(data)), f.DataOffset+last.Offset+size)
	assert.False(t, errors.Is(err, ErrMissingKey))
}
