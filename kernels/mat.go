package kernels

import "math"

// Mat is a row-major (Rows, Cols) weight matrix. For F32 the elements are
// in F32; for every other type the raw little-endian bytes, ggml's block
// layout for the quantised types (see DType), are in Raw. Both usually
// alias a memory-mapped model file: a Mat never owns a copy.
type Mat struct {
	Type       DType
	Rows, Cols int
	F32        []float32 // (Rows, Cols) when Type == F32
	Raw        []byte    // (Rows, RowBytes(Cols)) for every other type
}

// NewF32 wraps a float32 slice of rows*cols elements as a Mat.
func NewF32(data []float32, rows, cols int) Mat {
	if len(data) != rows*cols {
		panic("kernels: NewF32 size mismatch")
	}
	return Mat{Type: F32, Rows: rows, Cols: cols, F32: data}
}

// NewRaw wraps rows of raw bytes of type t (not F32) as a Mat; cols must
// be a whole number of t's blocks and raw exactly rows*RowBytes(cols) long.
func NewRaw(t DType, raw []byte, rows, cols int) Mat {
	if t == F32 || len(raw) != rows*t.RowBytes(cols) {
		panic("kernels: NewRaw size mismatch")
	}
	return Mat{Type: t, Rows: rows, Cols: cols, Raw: raw}
}

// Bytes is the number of bytes of weights the matrix holds, which is what a
// matrix-vector product reads from memory.
func (m *Mat) Bytes() int64 { return int64(m.Rows) * int64(m.Type.RowBytes(m.Cols)) }

// rawRow is the bytes of row i (not for F32).
func (m *Mat) rawRow(i int) []byte {
	rb := m.Type.RowBytes(m.Cols)
	return m.Raw[i*rb : (i+1)*rb]
}

// Row writes row i of m, converted to float32, into dst (len Cols), with
// the arithmetic of ggml's dequantize_row_* (see dequantRow).
func (m *Mat) Row(dst []float32, i int) {
	if len(dst) != m.Cols || i < 0 || i >= m.Rows {
		panic("kernels: Row out of range")
	}
	if m.Type == F32 {
		copy(dst, m.F32[i*m.Cols:(i+1)*m.Cols])
		return
	}
	dequantRow(m.Type, dst, m.rawRow(i))
}

// F16ToF32 converts an IEEE half (as its bits) to float32, exactly.
func F16ToF32(h uint16) float32 {
	sign := uint32(h>>15) << 31
	exp := uint32(h>>10) & 0x1f
	mant := uint32(h) & 0x3ff
	switch {
	case exp == 0 && mant == 0:
		return math.Float32frombits(sign)
	case exp == 0: // subnormal: normalise
		e := uint32(127 - 15 + 1)
		for mant&0x400 == 0 {
			mant <<= 1
			e--
		}
		mant &= 0x3ff
		return math.Float32frombits(sign | e<<23 | mant<<13)
	case exp == 0x1f: // inf or NaN
		return math.Float32frombits(sign | 0xff<<23 | mant<<13)
	}
	return math.Float32frombits(sign | (exp+127-15)<<23 | mant<<13)
}

// F32ToF16 converts a float32 to the nearest IEEE half (round to nearest
// even), saturating to infinity.
func F32ToF16(f float32) uint16 {
	b := math.Float32bits(f)
	sign := uint16(b>>16) & 0x8000
	exp := int32(b>>23) & 0xff
	mant := b & 0x7fffff
	if exp == 0xff { // inf or NaN
		if mant != 0 {
			return sign | 0x7e00
		}
		return sign | 0x7c00
	}
	e := exp - 127 + 15
	if e >= 0x1f {
		return sign | 0x7c00
	}
	if e <= 0 { // subnormal half or zero
		if e < -10 {
			return sign
		}
		mant |= 0x800000
		shift := uint32(14 - e)
		half := mant >> shift
		rem := mant & (1<<shift - 1)
		mid := uint32(1) << (shift - 1)
		if rem > mid || (rem == mid && half&1 == 1) {
			half++
		}
		return sign | uint16(half)
	}
	half := uint32(e)<<10 | mant>>13
	rem := mant & 0x1fff
	if rem > 0x1000 || (rem == 0x1000 && half&1 == 1) {
		half++ // may carry into the exponent, which is the right rounding
	}
	return sign | uint16(half)
}
