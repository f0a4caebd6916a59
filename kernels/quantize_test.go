package kernels

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// gaussRow is n values of a normal distribution with standard deviation
// 0.02, like a trained layer's weights, with a few outliers.
func gaussRow(seed uint64, n int) []float32 {
	r := newTestRand(seed)
	x := make([]float32, n)
	for i := range x {
		x[i] = float32(r.NormFloat64() * 0.02)
		if r.IntN(500) == 0 {
			x[i] *= 8
		}
	}
	return x
}

// TestQuantizeRoundTrip: dequantising a quantised row gives the values
// back within each type's expected error, as a fraction of the row's RMS.
// The bounds are those of uniform rounding to the type's number of levels
// with some slack (Q2_K has 4 levels per 16 weights).
func TestQuantizeRoundTrip(t *testing.T) {
	bound := map[DType]float64{
		F32: 0, F16: 0.001, BF16: 0.005, Q8_0: 0.01, Q6_K: 0.03, Q5_0: 0.06, Q5_1: 0.06, Q5_K: 0.05,
		Q4_0: 0.12, Q4_1: 0.12, Q4_K: 0.1, Q3_K: 0.25, Q2_K: 0.5,
	}
	for _, dt := range allTypes {
		t.Run(dt.String(), func(t *testing.T) {
			const cols = 4 * 256
			x := gaussRow(uint64(dt)+7, cols)
			raw := make([]byte, dt.RowBytes(cols))
			QuantizeRow(dt, raw, x)
			var y []float32
			if dt == F32 {
				y = make([]float32, cols)
				dequantRow(F32, y, raw)
			} else {
				m := NewRaw(dt, raw, 1, cols)
				y = make([]float32, cols)
				m.Row(y, 0)
			}
			var se, ss float64
			for i := range x {
				e := float64(y[i] - x[i])
				se += e * e
				ss += float64(x[i]) * float64(x[i])
			}
			rel := math.Sqrt(se / ss)
			assert.LessOrEqual(t, rel, bound[dt], "relative RMS error")
			if dt != F32 {
				assert.Greater(t, rel, 0.0, "quantisation loses something")
			}
			// zeros stay zeros
			QuantizeRow(dt, raw, make([]float32, cols))
			z := make([]float32, cols)
			if dt == F32 {
				dequantRow(F32, z, raw)
			} else {
				m := NewRaw(dt, raw, 1, cols)
				m.Row(z, 0)
			}
			assert.Equal(t, make([]float32, cols), z)
		})
	}
}

// TestQuantizeHandComputed checks blocks whose quants follow from ggml's
// reference formulas by hand.
func TestQuantizeHandComputed(t *testing.T) {
	// Q8_0: d = 127/127 = 1, quants x/d rounded half away from zero
	x := make([]float32, 32)
	x[0], x[1], x[2], x[3], x[4] = 127, 0.5, 1.5, 2.5, -2.5
	b := make([]byte, 34)
	QuantizeRow(Q8_0, b, x)
	assert.Equal(t, []byte{0x00, 0x3c, 127, 1, 2, 3, 0xfd, 0}, b[:8])

	// Q4_0: the largest magnitude is -8, so d = -8/-8 = 1 and the quant of
	// x is trunc(x + 8.5) capped at 15
	y := make([]float32, 32)
	copy(y, []float32{-8, 7.9, 0.4, 0.5, -0.5, 3.2})
	y[16] = -7.6 // the high nibble of byte 0
	b = make([]byte, 18)
	QuantizeRow(Q4_0, b, y)
	assert.Equal(t, []byte{0x00, 0x3c}, b[:2], "d = 1")
	// element j in the low nibble of byte j, element j+16 in the high one;
	// the rest are 0 → 8
	assert.Equal(t, []byte{0x00 | 0<<4, 15 | 8<<4, 8 | 8<<4, 9 | 8<<4, 8 | 8<<4, 11 | 8<<4, 8 | 8<<4}, b[2:9])

	// Q4_1: min -1, max 14: d = 1, m = -1, quants trunc(x+1+0.5)
	z := make([]float32, 32)
	for i := range z {
		z[i] = 5
	}
	z[0], z[1], z[2] = -1, 14, 0.49
	b = make([]byte, 20)
	QuantizeRow(Q4_1, b, z)
	assert.Equal(t, []byte{0x00, 0x3c, 0x00, 0xbc}, b[:4])
	assert.Equal(t, []byte{0 | 6<<4, 15 | 6<<4, 1 | 6<<4}, b[4:7])

	// Q5_0: max -16 → d = 1; 15.7 → trunc(32.2) capped at 31; its fifth
	// bit goes to qh bit 1
	w := make([]float32, 32)
	w[0], w[1] = -16, 15.7
	b = make([]byte, 22)
	QuantizeRow(Q5_0, b, w)
	qh := le32(b[2:])
	assert.Equal(t, uint32(0xfffffffe), qh, "element 0 is 0, the others >= 16")
	assert.Equal(t, byte(0|0<<4), b[6])
	assert.Equal(t, byte(15|0<<4), b[7])
}

// TestQuantizeKHandComputed: a Q6_K block of a single sub-block value
// pattern and a Q4_K block of a constant row, whose scales are fixed by
// the reference algorithm.
func TestQuantizeKHandComputed(t *testing.T) {
	// constant positive row: min clamps to 0, every sub-block has scale
	// c/15 with all quants 15, so the super-block scale is (c/15)/63 and
	// every 6-bit scale 63; mins are all 0
	x := make([]float32, 256)
	for i := range x {
		x[i] = 0.75
	}
	b := make([]byte, 144)
	QuantizeRow(Q4_K, b, x)
	assert.Equal(t, F32ToF16(float32(0.75)/15/63), uint16(b[0])|uint16(b[1])<<8)
	assert.Equal(t, uint16(0), uint16(b[2])|uint16(b[3])<<8, "dmin")
	var sc, mn [8]uint8
	kScales(&sc, &mn, b[4:16])
	assert.Equal(t, [8]uint8{63, 63, 63, 63, 63, 63, 63, 63}, sc)
	assert.Equal(t, [8]uint8{}, mn)
	for _, q := range b[16:] {
		require.Equal(t, byte(0xff), q)
	}

	// Q6_K: every sub-block is ±1 with largest value -1 at its start;
	// iscale = -32/-1 = 32 quantises to -32 .. 31, so 1 → 31 and the
	// best scale keeps 1/31; the super-block scale is 1/(-128/s) with s
	// the first sub-block scale of largest magnitude
	y := make([]float32, 256)
	for i := range y {
		y[i] = 1
		if i%16 == 0 {
			y[i] = -1
		}
	}
	b = make([]byte, 210)
	QuantizeRow(Q6_K, b, y)
	m := NewRaw(Q6_K, b, 1, 256)
	got := make([]float32, 256)
	m.Row(got, 0)
	for i := range got {
		require.InDelta(t, y[i], got[i], 0.05, "element %d", i)
	}
	for _, s := range b[192:208] {
		assert.Equal(t, b[192], s, "equal sub-block scales")
	}
}

func TestQuantizeRowPanics(t *testing.T) {
	assert.Panics(t, func() { QuantizeRow(Q4_K, make([]byte, 144), make([]float32, 128)) })
	assert.Panics(t, func() { QuantizeRow(Q8_0, make([]byte, 33), make([]float32, 32)) })
}
