package gguf

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"math/bits"
)

// Writer builds a GGUF version 3 file: metadata set with Set, tensors added
// with AddTensor, all written by WriteTo. Tensor data is produced while
// writing, so a large model never has to be held in memory.
type Writer struct {
	kvs     []KV
	keys    map[string]int
	tensors []wtensor
	names   map[string]bool
}

type wtensor struct {
	info  TensorInfo
	size  uint64
	write func(io.Writer) error
}

// NewWriter returns an empty Writer.
func NewWriter() *Writer {
	return &Writer{keys: map[string]int{}, names: map[string]bool{}}
}

// Set sets a metadata key, keeping its first position if it was already
// set. The value is one of the Go types listed at KV, or a slice of one of
// the element types (e.g. []string, []float32, []Array), which becomes an
// Array. general.alignment, if set, must be a uint32 power of two.
func (w *Writer) Set(key string, value any) error {
	v, err := normalize(value)
	if err != nil {
		return fmt.Errorf("metadata key %s: %w", key, err)
	}
	if key == "general.alignment" {
		a, ok := v.(uint32)
		if !ok || a == 0 || a&(a-1) != 0 {
			return fmt.Errorf("general.alignment must be a uint32 power of two, got %v (%s)", v, describe(v))
		}
	}
	if i, ok := w.keys[key]; ok {
		w.kvs[i].Value = v
		return nil
	}
	w.keys[key] = len(w.kvs)
	w.kvs = append(w.kvs, KV{Key: key, Value: v})
	return nil
}

// normalize checks that v can be written and turns bare slices into Arrays.
func normalize(v any) (any, error) {
	if t, ok := sliceElemType(v); ok {
		v = Array{Type: t, Values: v}
	}
	if a, ok := v.(Array); ok {
		return a, checkArray(a, 1)
	}
	if _, ok := typeOf(v); !ok {
		return nil, fmt.Errorf("cannot store a %T in GGUF", v)
	}
	return v, nil
}

// checkArray checks that an Array's Values match its Type, down through
// nested arrays; depth is that of a, 1 for a top-level array.
func checkArray(a Array, depth int) error {
	if depth > maxNesting {
		return fmt.Errorf("arrays nested more than %d deep", maxNesting)
	}
	if t, ok := sliceElemType(a.Values); !ok || t != a.Type {
		return fmt.Errorf("array says element type %s but holds %T", a.Type, a.Values)
	}
	if a.Type == TypeArray {
		for i, e := range a.Values.([]Array) {
			if err := checkArray(e, depth+1); err != nil {
				return fmt.Errorf("element %d: %w", i, err)
			}
		}
	}
	return nil
}

// sliceElemType is the GGUF element type of a slice that can be an Array's
// Values.
func sliceElemType(s any) (ValueType, bool) {
	switch s.(type) {
	case []uint8:
		return TypeUint8, true
	case []int8:
		return TypeInt8, true
	case []uint16:
		return TypeUint16, true
	case []int16:
		return TypeInt16, true
	case []uint32:
		return TypeUint32, true
	case []int32:
		return TypeInt32, true
	case []float32:
		return TypeFloat32, true
	case []bool:
		return TypeBool, true
	case []string:
		return TypeString, true
	case []uint64:
		return TypeUint64, true
	case []int64:
		return TypeInt64, true
	case []float64:
		return TypeFloat64, true
	case []Array:
		return TypeArray, true
	}
	return 0, false
}

// AddTensor adds a tensor whose data write produces when the file is
// written; it must write exactly the tensor's size in bytes. Dims are ne,
// innermost first.
func (w *Writer) AddTensor(name string, typ TensorType, dims []uint64, write func(io.Writer) error) error {
	if err := w.checkTensor(name, typ, dims); err != nil {
		return err
	}
	if write == nil {
		return fmt.Errorf("tensor %s: no data writer", name)
	}
	ti := TensorInfo{Name: name, Dims: append([]uint64(nil), dims...), Type: typ}
	size, _ := ti.Size()
	w.names[name] = true
	w.tensors = append(w.tensors, wtensor{info: ti, size: size, write: write})
	return nil
}

func (w *Writer) checkTensor(name string, typ TensorType, dims []uint64) error {
	if w.names[name] {
		return fmt.Errorf("tensor %s added twice", name)
	}
	tr, ok := traits[typ]
	if !ok {
		return fmt.Errorf("tensor %s: unknown tensor type %d", name, uint32(typ))
	}
	if len(dims) > MaxDims {
		return fmt.Errorf("tensor %s: %d dimensions, at most %d allowed", name, len(dims), MaxDims)
	}
	if len(dims) > 0 && dims[0]%tr.blockSize != 0 {
		return fmt.Errorf("tensor %s: type %s needs rows of a multiple of %d elements, has %d", name, typ, tr.blockSize, dims[0])
	}
	total := uint64(1)
	for _, d := range dims {
		hi, lo := bits.Mul64(total, d)
		if hi != 0 || lo > 1<<56 { // the reader's bound
			return fmt.Errorf("tensor %s: dims %v have too many elements", name, dims)
		}
		total = lo
	}
	return nil
}

// AddTensorBytes adds a tensor from its encoded bytes, which are kept (not
// copied) until WriteTo.
func (w *Writer) AddTensorBytes(name string, typ TensorType, dims []uint64, data []byte) error {
	if err := w.checkTensor(name, typ, dims); err != nil {
		return err
	}
	ti := TensorInfo{Dims: dims, Type: typ}
	if size, ok := ti.Size(); ok && size != uint64(len(data)) {
		return fmt.Errorf("tensor %s: %s %v takes %d bytes, got %d", name, typ, dims, size, len(data))
	}
	return w.AddTensor(name, typ, dims, func(out io.Writer) error {
		_, err := out.Write(data)
		return err
	})
}

// AddTensorF32 adds an F32 tensor.
func (w *Writer) AddTensorF32(name string, dims []uint64, data []float32) error {
	ti := TensorInfo{Dims: dims}
	if ti.Elements() != uint64(len(data)) {
		return fmt.Errorf("tensor %s: dims %v hold %d elements, got %d", name, dims, ti.Elements(), len(data))
	}
	return w.AddTensor(name, F32, dims, func(out io.Writer) error { return WriteF32(out, data) })
}

// WriteF32 writes float32 values little-endian.
func WriteF32(out io.Writer, data []float32) error {
	var buf [4096]byte
	for len(data) > 0 {
		n := min(len(data), len(buf)/4)
		for i, x := range data[:n] {
			binary.LittleEndian.PutUint32(buf[4*i:], math.Float32bits(x))
		}
		if _, err := out.Write(buf[:4*n]); err != nil {
			return err
		}
		data = data[n:]
	}
	return nil
}

// alignment is the file's tensor alignment.
func (w *Writer) alignment() uint64 {
	if i, ok := w.keys["general.alignment"]; ok {
		return uint64(w.kvs[i].Value.(uint32))
	}
	return DefaultAlignment
}

// WriteTo writes the file: header, metadata, tensor infos, then each
// tensor's data at its aligned offset.
func (w *Writer) WriteTo(out io.Writer) (int64, error) {
	cw := &countWriter{w: out}
	bw := bufio.NewWriterSize(cw, 1<<16)
	e := encoder{w: bw}
	e.raw([]byte(Magic))
	e.u32(3)
	e.u64(uint64(len(w.tensors)))
	e.u64(uint64(len(w.kvs)))
	for _, kv := range w.kvs {
		e.str(kv.Key)
		t, _ := typeOf(kv.Value)
		e.u32(uint32(t))
		e.value(kv.Value)
	}
	align := w.alignment()
	var off uint64
	for i := range w.tensors {
		t := &w.tensors[i]
		t.info.Offset = off
		e.str(t.info.Name)
		e.u32(uint32(len(t.info.Dims)))
		for _, d := range t.info.Dims {
			e.u64(d)
		}
		e.u32(uint32(t.info.Type))
		e.u64(off)
		off = alignUp(off+t.size, align)
	}
	if e.err != nil {
		return cw.n + int64(bw.Buffered()), e.err
	}
	pos := e.n
	e.pad(alignUp(pos, align) - pos)
	for i := range w.tensors {
		t := &w.tensors[i]
		tc := &countWriter{w: bw}
		if err := t.write(tc); err != nil {
			return cw.n, fmt.Errorf("writing tensor %s: %w", t.info.Name, err)
		}
		if uint64(tc.n) != t.size {
			return cw.n, fmt.Errorf("writing tensor %s: wrote %d bytes, its size is %d", t.info.Name, tc.n, t.size)
		}
		// Like llama.cpp, pad after every tensor, the last included.
		e.n += t.size
		e.pad(alignUp(t.size, align) - t.size)
	}
	if e.err != nil {
		return cw.n, e.err
	}
	err := bw.Flush()
	return cw.n, err
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// encoder writes little-endian values, remembering the first error.
type encoder struct {
	w   io.Writer
	n   uint64
	err error
	buf [8]byte
}

func (e *encoder) raw(b []byte) {
	if e.err != nil {
		return
	}
	_, e.err = e.w.Write(b)
	e.n += uint64(len(b))
}

func (e *encoder) pad(n uint64) {
	var zeros [64]byte
	for n > 0 {
		k := min(n, uint64(len(zeros)))
		e.raw(zeros[:k])
		n -= k
	}
}

func (e *encoder) u8(v uint8) { e.buf[0] = v; e.raw(e.buf[:1]) }
func (e *encoder) u16(v uint16) {
	binary.LittleEndian.PutUint16(e.buf[:], v)
	e.raw(e.buf[:2])
}
func (e *encoder) u32(v uint32) {
	binary.LittleEndian.PutUint32(e.buf[:], v)
	e.raw(e.buf[:4])
}
func (e *encoder) u64(v uint64) {
	binary.LittleEndian.PutUint64(e.buf[:], v)
	e.raw(e.buf[:8])
}
func (e *encoder) str(s string) {
	e.u64(uint64(len(s)))
	e.raw([]byte(s))
}

func (e *encoder) value(v any) {
	switch x := v.(type) {
	case uint8:
		e.u8(x)
	case int8:
		e.u8(uint8(x))
	case uint16:
		e.u16(x)
	case int16:
		e.u16(uint16(x))
	case uint32:
		e.u32(x)
	case int32:
		e.u32(uint32(x))
	case float32:
		e.u32(math.Float32bits(x))
	case bool:
		if x {
			e.u8(1)
		} else {
			e.u8(0)
		}
	case string:
		e.str(x)
	case uint64:
		e.u64(x)
	case int64:
		e.u64(uint64(x))
	case float64:
		e.u64(math.Float64bits(x))
	case Array:
		e.u32(uint32(x.Type))
		e.u64(uint64(x.Len()))
		e.elements(x.Values)
	default:
		if e.err == nil {
			e.err = errors.New("gguf: unencodable value") // normalize rules this out
		}
	}
}

func (e *encoder) elements(s any) {
	switch x := s.(type) {
	case []uint8:
		e.raw(x)
	case []int8:
		for _, v := range x {
			e.u8(uint8(v))
		}
	case []uint16:
		for _, v := range x {
			e.u16(v)
		}
	case []int16:
		for _, v := range x {
			e.u16(uint16(v))
		}
	case []uint32:
		for _, v := range x {
			e.u32(v)
		}
	case []int32:
		for _, v := range x {
			e.u32(uint32(v))
		}
	case []float32:
		for _, v := range x {
			e.u32(math.Float32bits(v))
		}
	case []bool:
		for _, v := range x {
			e.value(v)
		}
	case []string:
		for _, v := range x {
			e.str(v)
		}
	case []uint64:
		for _, v := range x {
			e.u64(v)
		}
	case []int64:
		for _, v := range x {
			e.u64(uint64(v))
		}
	case []float64:
		for _, v := range x {
			e.u64(math.Float64bits(v))
		}
	case []Array:
		for _, v := range x {
			e.value(v)
		}
	}
}
