package kernels

import (
	"fmt"
	"math"
)

// DType is the storage type of a weight matrix.
type DType uint8

const (
	F32  DType = iota // 4-byte IEEE float
	F16               // 2-byte IEEE half
	Q8_0              // GGUF Q8_0: blocks of 32 int8 values with one F16 scale (34 bytes)
)

// Q8Block is the number of weights in one Q8_0 block and Q8BlockBytes its size.
const (
	Q8Block      = 32
	Q8BlockBytes = 2 + Q8Block
)

func (t DType) String() string {
	switch t {
	case F32:
		return "F32"
	case F16:
		return "F16"
	case Q8_0:
		return "Q8_0"
	}
	return fmt.Sprintf("DType(%d)", uint8(t))
}

// ParseDType reads a weight type by its lower-case name: "f32", "f16" or
// "q8_0" (as the CLI flags and file names spell them).
func ParseDType(name string) (DType, error) {
	switch name {
	case "f32":
		return F32, nil
	case "f16":
		return F16, nil
	case "q8_0":
		return Q8_0, nil
	}
	return 0, fmt.Errorf("unknown weight type %q (f32, f16, q8_0)", name)
}

// RowBytes is the size in bytes of one row of cols elements of type t.
func (t DType) RowBytes(cols int) int {
	switch t {
	case F32:
		return 4 * cols
	case F16:
		return 2 * cols
	case Q8_0:
		return cols / Q8Block * Q8BlockBytes
	}
	panic("kernels: unknown dtype")
}

// Mat is a row-major (Rows, Cols) weight matrix. For F32 the elements are
// in F32; for F16 and Q8_0 the raw little-endian bytes are in Raw. Both
// usually alias a memory-mapped model file: a Mat never owns a copy.
type Mat struct {
	Type       DType
	Rows, Cols int
	F32        []float32 // (Rows, Cols) when Type == F32
	Raw        []byte    // (Rows, RowBytes(Cols)) when Type is F16 or Q8_0
}

// NewF32 wraps a float32 slice of rows*cols elements as a Mat.
func NewF32(data []float32, rows, cols int) Mat {
	if len(data) != rows*cols {
		panic("kernels: NewF32 size mismatch")
	}
	return Mat{Type: F32, Rows: rows, Cols: cols, F32: data}
}

// Bytes is the number of bytes of weights the matrix holds, which is what a
// matrix-vector product reads from memory.
func (m *Mat) Bytes() int64 { return int64(m.Rows) * int64(m.Type.RowBytes(m.Cols)) }

// Row writes row i of m, converted to float32, into dst (len Cols).
func (m *Mat) Row(dst []float32, i int) {
	if len(dst) != m.Cols || i < 0 || i >= m.Rows {
		panic("kernels: Row out of range")
	}
	switch m.Type {
	case F32:
		copy(dst, m.F32[i*m.Cols:(i+1)*m.Cols])
	case F16:
		rb := m.Raw[i*2*m.Cols : (i+1)*2*m.Cols]
		for j := range dst {
			dst[j] = F16ToF32(uint16(rb[2*j]) | uint16(rb[2*j+1])<<8)
		}
	case Q8_0:
		rbytes := m.Type.RowBytes(m.Cols)
		rb := m.Raw[i*rbytes : (i+1)*rbytes]
		for b := 0; b < m.Cols/Q8Block; b++ {
			blk := rb[b*Q8BlockBytes : (b+1)*Q8BlockBytes]
			d := F16ToF32(uint16(blk[0]) | uint16(blk[1])<<8)
			for j := 0; j < Q8Block; j++ {
				dst[b*Q8Block+j] = d * float32(int8(blk[2+j]))
			}
		}
	}
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
