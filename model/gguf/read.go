package gguf

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/bits"
	"unicode/utf8"
)

// File is a parsed GGUF file. Tensor data stays in the byte slice given to
// Parse; File keeps a reference to it.
type File struct {
	Version    uint32
	KV         Metadata
	Tensors    []TensorInfo
	Alignment  uint64 // of tensor data, general.alignment or 32
	DataOffset uint64 // where the data section starts in the file

	data    []byte // the whole file
	tensors map[string]int
}

// Parse reads the header, metadata and tensor infos of a GGUF file held
// whole in data, and checks that every tensor of a known type lies inside
// the file. It does not copy tensor data.
func Parse(data []byte) (*File, error) {
	r := reader{b: data}
	magic, err := r.bytes(4)
	if err != nil {
		return nil, fmt.Errorf("reading magic: %w", err)
	}
	if string(magic) != Magic {
		return nil, fmt.Errorf("not a GGUF file: magic %q", magic)
	}
	f := &File{data: data, Alignment: DefaultAlignment}
	if f.Version, err = r.u32(); err != nil {
		return nil, fmt.Errorf("reading version: %w", err)
	}
	switch {
	case f.Version == 2 || f.Version == 3:
	case f.Version == 1:
		return nil, errors.New("GGUF version 1 is not supported (only 2 and 3)")
	case f.Version&0xffff == 0 && bits.ReverseBytes32(f.Version) <= 3:
		return nil, errors.New("big-endian GGUF files are not supported")
	default:
		return nil, fmt.Errorf("GGUF version %d is not supported (only 2 and 3)", f.Version)
	}
	nTensors, err := r.u64()
	if err != nil {
		return nil, fmt.Errorf("reading tensor count: %w", err)
	}
	nKV, err := r.u64()
	if err != nil {
		return nil, fmt.Errorf("reading metadata count: %w", err)
	}
	// Each key/value takes at least 13 bytes (key length, type, one-byte
	// value) and each tensor info 24; check the counts before allocating.
	if err := r.fits(nKV, 8+4+1); err != nil {
		return nil, fmt.Errorf("metadata count %d: %w", nKV, err)
	}
	f.KV.kvs = make([]KV, 0, nKV)
	f.KV.index = make(map[string]int, nKV)
	for i := uint64(0); i < nKV; i++ {
		key, err := r.str()
		if err != nil {
			return nil, fmt.Errorf("metadata %d: reading key: %w", i, err)
		}
		if _, dup := f.KV.index[key]; dup {
			return nil, fmt.Errorf("metadata %d: duplicate key %q", i, key)
		}
		t, err := r.u32()
		if err != nil {
			return nil, fmt.Errorf("metadata %s: reading type: %w", key, err)
		}
		v, err := r.value(ValueType(t), 0)
		if err != nil {
			return nil, fmt.Errorf("metadata %s: %w", key, err)
		}
		f.KV.index[key] = len(f.KV.kvs)
		f.KV.kvs = append(f.KV.kvs, KV{Key: key, Value: v})
	}
	if v, ok := f.KV.Get("general.alignment"); ok {
		a, ok := v.(uint32)
		if !ok {
			return nil, &TypeError{Key: "general.alignment", Want: "uint32", Got: describe(v)}
		}
		if a == 0 || a&(a-1) != 0 {
			return nil, fmt.Errorf("general.alignment %d is not a power of two", a)
		}
		f.Alignment = uint64(a)
	}

	if err := r.fits(nTensors, 8+4+4+8); err != nil {
		return nil, fmt.Errorf("tensor count %d: %w", nTensors, err)
	}
	f.Tensors = make([]TensorInfo, 0, nTensors)
	f.tensors = make(map[string]int, nTensors)
	for i := uint64(0); i < nTensors; i++ {
		ti, err := r.tensorInfo()
		if err != nil {
			return nil, fmt.Errorf("tensor info %d: %w", i, err)
		}
		if _, dup := f.tensors[ti.Name]; dup {
			return nil, fmt.Errorf("tensor info %d: duplicate tensor name %q", i, ti.Name)
		}
		f.tensors[ti.Name] = len(f.Tensors)
		f.Tensors = append(f.Tensors, ti)
	}
	f.DataOffset = alignUp(uint64(r.off), f.Alignment)

	for i := range f.Tensors {
		ti := &f.Tensors[i]
		if ti.Offset%f.Alignment != 0 {
			return nil, fmt.Errorf("tensor %s: offset %d is not a multiple of the alignment %d", ti.Name, ti.Offset, f.Alignment)
		}
		size, known := ti.Size()
		if !known {
			continue // cannot be checked; TensorData refuses it
		}
		if _, err := f.span(ti, size); err != nil {
			return nil, err
		}
	}
	return f, nil
}

// Tensor returns the info of the named tensor.
func (f *File) Tensor(name string) (*TensorInfo, bool) {
	i, ok := f.tensors[name]
	if !ok {
		return nil, false
	}
	return &f.Tensors[i], true
}

// TensorData returns the bytes of a tensor, a sub-slice of the data given
// to Parse.
func (f *File) TensorData(ti *TensorInfo) ([]byte, error) {
	size, known := ti.Size()
	if !known {
		return nil, fmt.Errorf("tensor %s has type %s, whose size is unknown", ti.Name, ti.Type)
	}
	return f.span(ti, size)
}

// span bounds-checks a tensor's data against the file.
func (f *File) span(ti *TensorInfo, size uint64) ([]byte, error) {
	n := uint64(len(f.data))
	if f.DataOffset > n || ti.Offset > n-f.DataOffset {
		return nil, fmt.Errorf("tensor %s: data offset %d is past the end of the file (%d bytes): truncated", ti.Name, ti.Offset, n)
	}
	start := f.DataOffset + ti.Offset
	if size > n-start {
		return nil, fmt.Errorf("tensor %s: data [%d, %d) runs past the end of the file (%d bytes): truncated", ti.Name, start, start+size, n)
	}
	return f.data[start : start+size : start+size], nil
}

func alignUp(n, a uint64) uint64 { return (n + a - 1) / a * a }

// Metadata is the ordered key/values of a file, with typed getters.
type Metadata struct {
	kvs   []KV
	index map[string]int
}

// All returns the key/values in file order. The slice must not be changed.
func (m *Metadata) All() []KV { return m.kvs }

// Len is the number of key/values.
func (m *Metadata) Len() int { return len(m.kvs) }

// Get returns the value of key.
func (m *Metadata) Get(key string) (any, bool) {
	i, ok := m.index[key]
	if !ok {
		return nil, false
	}
	return m.kvs[i].Value, true
}

// Has reports whether key is present.
func (m *Metadata) Has(key string) bool { _, ok := m.index[key]; return ok }

func (m *Metadata) lookup(key string) (any, error) {
	v, ok := m.Get(key)
	if !ok {
		return nil, fmt.Errorf("metadata key %s: %w", key, ErrMissingKey)
	}
	return v, nil
}

// String returns a string value.
func (m *Metadata) String(key string) (string, error) {
	v, err := m.lookup(key)
	if err != nil {
		return "", err
	}
	s, ok := v.(string)
	if !ok {
		return "", &TypeError{Key: key, Want: "string", Got: describe(v)}
	}
	return s, nil
}

// Uint returns a non-negative integer value of any integer type.
func (m *Metadata) Uint(key string) (uint64, error) {
	v, err := m.lookup(key)
	if err != nil {
		return 0, err
	}
	u, ok := toUint(v)
	if !ok {
		return 0, &TypeError{Key: key, Want: "unsigned integer", Got: describeInt(v)}
	}
	return u, nil
}

// Int returns an integer value of any integer type that fits an int64.
func (m *Metadata) Int(key string) (int64, error) {
	v, err := m.lookup(key)
	if err != nil {
		return 0, err
	}
	i, ok := toInt(v)
	if !ok {
		return 0, &TypeError{Key: key, Want: "integer", Got: describeInt(v)}
	}
	return i, nil
}

// Float returns a float32 or float64 value.
func (m *Metadata) Float(key string) (float64, error) {
	v, err := m.lookup(key)
	if err != nil {
		return 0, err
	}
	switch x := v.(type) {
	case float32:
		return float64(x), nil
	case float64:
		return x, nil
	}
	return 0, &TypeError{Key: key, Want: "float", Got: describe(v)}
}

// Bool returns a bool value.
func (m *Metadata) Bool(key string) (bool, error) {
	v, err := m.lookup(key)
	if err != nil {
		return false, err
	}
	b, ok := v.(bool)
	if !ok {
		return false, &TypeError{Key: key, Want: "bool", Got: describe(v)}
	}
	return b, nil
}

// Strings returns an array of strings.
func (m *Metadata) Strings(key string) ([]string, error) {
	v, err := m.lookup(key)
	if err != nil {
		return nil, err
	}
	if a, ok := v.(Array); ok {
		if s, ok := a.Values.([]string); ok {
			return s, nil
		}
	}
	return nil, &TypeError{Key: key, Want: "array of string", Got: describe(v)}
}

// Float32s returns an array of float32.
func (m *Metadata) Float32s(key string) ([]float32, error) {
	v, err := m.lookup(key)
	if err != nil {
		return nil, err
	}
	if a, ok := v.(Array); ok {
		if s, ok := a.Values.([]float32); ok {
			return s, nil
		}
	}
	return nil, &TypeError{Key: key, Want: "array of float32", Got: describe(v)}
}

// Int32s returns an array of integers that all fit an int32, converted
// from whatever integer type the file stores them as.
func (m *Metadata) Int32s(key string) ([]int32, error) {
	v, err := m.lookup(key)
	if err != nil {
		return nil, err
	}
	a, ok := v.(Array)
	if !ok {
		return nil, &TypeError{Key: key, Want: "array of int32", Got: describe(v)}
	}
	if s, ok := a.Values.([]int32); ok {
		return s, nil
	}
	out := make([]int32, 0, a.Len())
	conv := func(i int64, ok bool) bool {
		if !ok || i < math.MinInt32 || i > math.MaxInt32 {
			return false
		}
		out = append(out, int32(i))
		return true
	}
	good := true
	switch s := a.Values.(type) {
	case []uint8:
		for _, x := range s {
			good = good && conv(int64(x), true)
		}
	case []int8:
		for _, x := range s {
			good = good && conv(int64(x), true)
		}
	case []uint16:
		for _, x := range s {
			good = good && conv(int64(x), true)
		}
	case []int16:
		for _, x := range s {
			good = good && conv(int64(x), true)
		}
	case []uint32:
		for _, x := range s {
			good = good && conv(int64(x), true)
		}
	case []uint64:
		for _, x := range s {
			good = good && conv(int64(x), x <= math.MaxInt64)
		}
	case []int64:
		for _, x := range s {
			good = good && conv(x, true)
		}
	default:
		good = false
	}
	if !good {
		return nil, &TypeError{Key: key, Want: "array of int32", Got: describe(v) + " (or out of range)"}
	}
	return out, nil
}

func toUint(v any) (uint64, bool) {
	switch x := v.(type) {
	case uint8:
		return uint64(x), true
	case uint16:
		return uint64(x), true
	case uint32:
		return uint64(x), true
	case uint64:
		return x, true
	}
	i, ok := toInt(v)
	if !ok || i < 0 {
		return 0, false
	}
	return uint64(i), true
}

func toInt(v any) (int64, bool) {
	switch x := v.(type) {
	case int8:
		return int64(x), true
	case int16:
		return int64(x), true
	case int32:
		return int64(x), true
	case int64:
		return x, true
	case uint8:
		return int64(x), true
	case uint16:
		return int64(x), true
	case uint32:
		return int64(x), true
	case uint64:
		if x <= math.MaxInt64 {
			return int64(x), true
		}
	}
	return 0, false
}

func describeInt(v any) string {
	if i, ok := toInt(v); ok && i < 0 {
		return "negative " + describe(v)
	}
	if u, ok := v.(uint64); ok && u > math.MaxInt64 {
		return "out-of-range uint64"
	}
	return describe(v)
}

// reader is a bounds-checked little-endian cursor over the file.
type reader struct {
	b   []byte
	off int
}

// errTruncated is wrapped by every read past the end of the file.
var errTruncated = errors.New("unexpected end of file")

func (r *reader) left() uint64 { return uint64(len(r.b) - r.off) }

// fits checks that n items of at least min bytes each can still be in the
// file, without overflowing.
func (r *reader) fits(n uint64, min int) error {
	if n > r.left()/uint64(min) {
		return fmt.Errorf("needs at least %d bytes per item but only %d bytes are left: %w", min, r.left(), errTruncated)
	}
	return nil
}

func (r *reader) bytes(n uint64) ([]byte, error) {
	if n > r.left() {
		return nil, fmt.Errorf("need %d bytes at offset %d, %d left: %w", n, r.off, r.left(), errTruncated)
	}
	b := r.b[r.off : r.off+int(n)]
	r.off += int(n)
	return b, nil
}

func (r *reader) u8() (uint8, error) {
	b, err := r.bytes(1)
	if err != nil {
		return 0, err
	}
	return b[0], nil
}

func (r *reader) u16() (uint16, error) {
	b, err := r.bytes(2)
	if err != nil {
		return 0, err
	}
	return binary.LittleEndian.Uint16(b), nil
}

func (r *reader) u32() (uint32, error) {
	b, err := r.bytes(4)
	if err != nil {
		return 0, err
	}
	return binary.LittleEndian.Uint32(b), nil
}

func (r *reader) u64() (uint64, error) {
	b, err := r.bytes(8)
	if err != nil {
		return 0, err
	}
	return binary.LittleEndian.Uint64(b), nil
}

func (r *reader) str() (string, error) {
	n, err := r.u64()
	if err != nil {
		return "", fmt.Errorf("string length: %w", err)
	}
	if n > r.left() {
		return "", fmt.Errorf("string length %d exceeds the %d bytes left: %w", n, r.left(), errTruncated)
	}
	b, _ := r.bytes(n)
	return string(b), nil
}

// value reads one value of type t; depth counts enclosing arrays.
func (r *reader) value(t ValueType, depth int) (any, error) {
	switch t {
	case TypeUint8:
		return r.u8()
	case TypeInt8:
		v, err := r.u8()
		return int8(v), err
	case TypeUint16:
		return r.u16()
	case TypeInt16:
		v, err := r.u16()
		return int16(v), err
	case TypeUint32:
		return r.u32()
	case TypeInt32:
		v, err := r.u32()
		return int32(v), err
	case TypeFloat32:
		v, err := r.u32()
		return math.Float32frombits(v), err
	case TypeBool:
		v, err := r.u8()
		if err == nil && v > 1 {
			return nil, fmt.Errorf("bool value %d is neither 0 nor 1", v)
		}
		return v == 1, err
	case TypeString:
		return r.str()
	case TypeUint64:
		return r.u64()
	case TypeInt64:
		v, err := r.u64()
		return int64(v), err
	case TypeFloat64:
		v, err := r.u64()
		return math.Float64frombits(v), err
	case TypeArray:
		return r.array(depth + 1)
	}
	return nil, fmt.Errorf("unknown value type %d", uint32(t))
}

func (r *reader) array(depth int) (Array, error) {
	if depth > maxNesting {
		return Array{}, fmt.Errorf("arrays nested more than %d deep", maxNesting)
	}
	et, err := r.u32()
	if err != nil {
		return Array{}, fmt.Errorf("array element type: %w", err)
	}
	t := ValueType(et)
	if t > TypeFloat64 {
		return Array{}, fmt.Errorf("array of unknown value type %d", et)
	}
	n, err := r.u64()
	if err != nil {
		return Array{}, fmt.Errorf("array length: %w", err)
	}
	if err := r.fits(n, t.minSize()); err != nil {
		return Array{}, fmt.Errorf("array of %d %s: %w", n, t, err)
	}
	a := Array{Type: t}
	// Fixed-size elements are decoded in one pass over their bytes.
	if sz := t.size(); sz > 0 {
		b, _ := r.bytes(n * uint64(sz))
		a.Values, err = decodeFixed(t, b, int(n))
		return a, err
	}
	switch t {
	case TypeString:
		s := make([]string, n)
		for i := range s {
			if s[i], err = r.str(); err != nil {
				return Array{}, fmt.Errorf("element %d: %w", i, err)
			}
		}
		a.Values = s
	case TypeArray:
		s := make([]Array, n)
		for i := range s {
			if s[i], err = r.array(depth + 1); err != nil {
				return Array{}, fmt.Errorf("element %d: %w", i, err)
			}
		}
		a.Values = s
	}
	return a, nil
}

func decodeFixed(t ValueType, b []byte, n int) (any, error) {
	le := binary.LittleEndian
	switch t {
	case TypeUint8:
		return append([]uint8(nil), b...), nil
	case TypeInt8:
		s := make([]int8, n)
		for i := range s {
			s[i] = int8(b[i])
		}
		return s, nil
	case TypeBool:
		s := make([]bool, n)
		for i := range s {
			if b[i] > 1 {
				return nil, fmt.Errorf("element %d: bool value %d is neither 0 nor 1", i, b[i])
			}
			s[i] = b[i] == 1
		}
		return s, nil
	case TypeUint16:
		s := make([]uint16, n)
		for i := range s {
			s[i] = le.Uint16(b[2*i:])
		}
		return s, nil
	case TypeInt16:
		s := make([]int16, n)
		for i := range s {
			s[i] = int16(le.Uint16(b[2*i:]))
		}
		return s, nil
	case TypeUint32:
		s := make([]uint32, n)
		for i := range s {
			s[i] = le.Uint32(b[4*i:])
		}
		return s, nil
	case TypeInt32:
		s := make([]int32, n)
		for i := range s {
			s[i] = int32(le.Uint32(b[4*i:]))
		}
		return s, nil
	case TypeFloat32:
		s := make([]float32, n)
		for i := range s {
			s[i] = math.Float32frombits(le.Uint32(b[4*i:]))
		}
		return s, nil
	case TypeUint64:
		s := make([]uint64, n)
		for i := range s {
			s[i] = le.Uint64(b[8*i:])
		}
		return s, nil
	case TypeInt64:
		s := make([]int64, n)
		for i := range s {
			s[i] = int64(le.Uint64(b[8*i:]))
		}
		return s, nil
	case TypeFloat64:
		s := make([]float64, n)
		for i := range s {
			s[i] = math.Float64frombits(le.Uint64(b[8*i:]))
		}
		return s, nil
	}
	return nil, fmt.Errorf("value type %s is not fixed-size", t)
}

func (r *reader) tensorInfo() (TensorInfo, error) {
	var ti TensorInfo
	var err error
	if ti.Name, err = r.str(); err != nil {
		return ti, fmt.Errorf("reading name: %w", err)
	}
	if !utf8.ValidString(ti.Name) {
		return ti, fmt.Errorf("tensor name %q is not UTF-8", ti.Name)
	}
	nd, err := r.u32()
	if err != nil {
		return ti, fmt.Errorf("tensor %s: reading n_dims: %w", ti.Name, err)
	}
	if nd > MaxDims {
		return ti, fmt.Errorf("tensor %s: %d dimensions, at most %d allowed", ti.Name, nd, MaxDims)
	}
	ti.Dims = make([]uint64, nd)
	// No file holds 2^56 elements; bounding the product here keeps
	// Elements and Size (at most 8 bytes per element) free of overflow.
	total := uint64(1)
	for i := range ti.Dims {
		if ti.Dims[i], err = r.u64(); err != nil {
			return ti, fmt.Errorf("tensor %s: reading dims: %w", ti.Name, err)
		}
		hi, lo := bits.Mul64(total, ti.Dims[i])
		if hi != 0 || lo > 1<<56 {
			return ti, fmt.Errorf("tensor %s: dims %v have too many elements", ti.Name, ti.Dims[:i+1])
		}
		total = lo
	}
	t, err := r.u32()
	if err != nil {
		return ti, fmt.Errorf("tensor %s: reading type: %w", ti.Name, err)
	}
	ti.Type = TensorType(t)
	if tr, ok := traits[ti.Type]; ok {
		if len(ti.Dims) > 0 && ti.Dims[0]%tr.blockSize != 0 {
			return ti, fmt.Errorf("tensor %s: type %s needs rows of a multiple of %d elements, has %d", ti.Name, ti.Type, tr.blockSize, ti.Dims[0])
		}
		if len(ti.Dims) == 0 && tr.blockSize != 1 {
			return ti, fmt.Errorf("tensor %s: a scalar cannot have the block type %s", ti.Name, ti.Type)
		}
	}
	if ti.Offset, err = r.u64(); err != nil {
		return ti, fmt.Errorf("tensor %s: reading offset: %w", ti.Name, err)
	}
	return ti, nil
}
