package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/degen-llm/degen/model/gguf"
)

// TestDTypeTable checks every type's ggml id, name and block layout
// against model/gguf's table, which follows ggml's type_traits.
func TestDTypeTable(t *testing.T) {
	for _, dt := range DTypes() {
		gt := gguf.TensorType(dt.GGMLType())
		assert.Equal(t, gt.String(), dt.String(), "%v", dt)
		assert.EqualValues(t, gt.BlockSize(), dt.BlockSize(), "%v block", dt)
		assert.EqualValues(t, gt.TypeSize(), dt.BlockBytes(), "%v bytes", dt)
		back, err := DTypeFromGGML(dt.GGMLType())
		require.NoError(t, err)
		assert.Equal(t, dt, back)
		assert.Equal(t, 3*dt.BlockBytes(), dt.RowBytes(3*dt.BlockSize()))
	}
	for _, id := range []gguf.TensorType{gguf.Q8_1, gguf.Q8_K, gguf.IQ4_NL, gguf.I8, 99} {
		_, err := DTypeFromGGML(uint32(id))
		assert.Error(t, err, "%v", id)
	}
	assert.Panics(t, func() { Q4_K.RowBytes(128) }, "half a super-block")
	assert.Len(t, allTypes, int(numDTypes))
}

func TestParseDType(t *testing.T) {
	for _, dt := range DTypes() {
		for _, name := range []string{dt.String(), strings.ToLower(dt.String())} {
			got, err := ParseDType(name)
			require.NoError(t, err, name)
			assert.Equal(t, dt, got, name)
		}
	}
	for name, want := range map[string]DType{
		"q4_k_m": Q4_K, "Q4_K_S": Q4_K, "q5_k_m": Q5_K, "q3_k_l": Q3_K, "q2_k_s": Q2_K,
		"mostly_q6_k": Q6_K, "mostly_f16": F16, "all_f32": F32, "mostly_q4_0": Q4_0,
	} {
		got, err := ParseDType(name)
		require.NoError(t, err, name)
		assert.Equal(t, want, got, name)
	}
	for _, bad := range []string{"", "q4", "iq4_nl", "q8_k", "q4_k_x"} {
		_, err := ParseDType(bad)
		assert.Error(t, err, bad)
	}
}

// packBlock builds one block of type t from its parts, with the packing
// loops of ggml's quantize_row_*_ref writers: d and dmin (or m) are F16
// bit patterns, sc and mn the (sub-)block scales and mins as stored
// (Q3_K: 0..63, i.e. scale+32), q the stored quants (Q3_K, Q6_K: with
// their offsets 4 and 32 added; Q4_0: 0..15 and so on).
func packBlock(t DType, d, dmin uint16, sc, mn, q []int) []byte {
	b := make([]byte, t.BlockBytes())
	put16 := func(o int, h uint16) { b[o], b[o+1] = byte(h), byte(h>>8) }
	switch t {
	case Q8_0:
		put16(0, d)
		for j := 0; j < 32; j++ {
			b[2+j] = byte(int8(q[j]))
		}
	case Q4_0, Q4_1:
		o := 2
		put16(0, d)
		if t == Q4_1 {
			put16(2, dmin)
			o = 4
		}
		for j := 0; j < 16; j++ {
			b[o+j] = byte(q[j]) | byte(q[j+16])<<4
		}
	case Q5_0, Q5_1:
		o := 2
		put16(0, d)
		if t == Q5_1 {
			put16(2, dmin)
			o = 4
		}
		var qh uint32
		for j := 0; j < 16; j++ {
			b[o+4+j] = byte(q[j]&0xf) | byte(q[j+16]&0xf)<<4
			qh |= uint32(q[j]>>4&1) << j
			qh |= uint32(q[j+16]>>4&1) << (j + 16)
		}
		b[o], b[o+1], b[o+2], b[o+3] = byte(qh), byte(qh>>8), byte(qh>>16), byte(qh>>24)
	case Q2_K, Q3_K:
		qs := b[16:80]
		if t == Q3_K {
			qs = b[32:96]
			s := b[96:108]
			for j := 0; j < 16; j++ {
				l := sc[j]
				if j < 8 {
					s[j] = byte(l & 0xf)
				} else {
					s[j-8] |= byte(l&0xf) << 4
				}
				s[8+j%4] |= byte(l>>4) << (2 * (j / 4))
			}
			put16(108, d)
		} else {
			for j := 0; j < 16; j++ {
				b[j] = byte(sc[j]) | byte(mn[j])<<4
			}
			put16(80, d)
			put16(82, dmin)
		}
		L := make([]int, QK)
		copy(L, q)
		if t == Q3_K {
			hm, bit := 0, byte(1)
			for j := 0; j < QK; j++ {
				if L[j] > 3 {
					b[hm] |= bit
					L[j] -= 4
				}
				if hm++; hm == 32 {
					hm, bit = 0, bit<<1
				}
			}
		}
		for j := 0; j < QK; j += 128 {
			for l := 0; l < 32; l++ {
				qs[j/4+l] = byte(L[j+l] | L[j+l+32]<<2 | L[j+l+64]<<4 | L[j+l+96]<<6)
			}
		}
	case Q4_K, Q5_K:
		put16(0, d)
		put16(2, dmin)
		s := b[4:16]
		for j := 0; j < 8; j++ {
			ls, lm := byte(sc[j]), byte(mn[j])
			if j < 4 {
				s[j], s[j+4] = ls, lm
			} else {
				s[j+4] = ls&0xf | (lm&0xf)<<4
				s[j-4] |= ls >> 4 << 6
				s[j] |= lm >> 4 << 6
			}
		}
		if t == Q4_K {
			qs := b[16:144]
			for j := 0; j < QK; j += 64 {
				for l := 0; l < 32; l++ {
					qs[j/2+l] = byte(q[j+l] | q[j+l+32]<<4)
				}
			}
		} else {
			qh, ql := b[16:48], b[48:176]
			m1, m2 := byte(1), byte(2)
			for n := 0; n < QK; n += 64 {
				for j := 0; j < 32; j++ {
					l1, l2 := q[n+j], q[n+j+32]
					if l1 > 15 {
						l1 -= 16
						qh[j] |= m1
					}
					if l2 > 15 {
						l2 -= 16
						qh[j] |= m2
					}
					ql[n/2+j] = byte(l1 | l2<<4)
				}
				m1, m2 = m1<<2, m2<<2
			}
		}
	case Q6_K:
		ql, qh := b[0:128], b[128:192]
		for j := 0; j < 16; j++ {
			b[192+j] = byte(int8(sc[j]))
		}
		put16(208, d)
		for j := 0; j < QK; j += 128 {
			for l := 0; l < 32; l++ {
				q1, q2, q3, q4 := q[j+l], q[j+l+32], q[j+l+64], q[j+l+96]
				ql[j/2+l] = byte(q1&0xf | (q3&0xf)<<4)
				ql[j/2+l+32] = byte(q2&0xf | (q4&0xf)<<4)
				qh[j/4+l] = byte(q1>>4 | (q2>>4)<<2 | (q3>>4)<<4 | (q4>>4)<<6)
			}
		}
	}
	return b
}

// TestDequantHandBuilt builds blocks from random parts and checks Row
// against each type's defining formula, element by element, in ggml's
// float32 order of operations.
func TestDequantHandBuilt(t *testing.T) {
	r := newTestRand(31)
	for _, dt := range blockTypes {
		t.Run(dt.String(), func(t *testing.T) {
			for trial := 0; trial < 20; trial++ {
				n := dt.BlockSize()
				d := F32ToF16(float32(r.Float64()*0.02 + 0.001))
				dmin := F32ToF16(float32(r.Float64()*0.02 - 0.01))
				var sc, mn, q []int
				var qmax, nsc, scmax int
				switch dt {
				case Q8_0:
					qmax = 256
				case Q4_0, Q4_1:
					qmax = 16
				case Q5_0, Q5_1:
					qmax = 32
				case Q2_K:
					qmax, nsc, scmax = 4, 16, 16
				case Q3_K:
					qmax, nsc, scmax = 8, 16, 64
				case Q4_K:
					qmax, nsc, scmax = 16, 8, 64
				case Q5_K:
					qmax, nsc, scmax = 32, 8, 64
				case Q6_K:
					qmax, nsc, scmax = 64, 16, 256
				}
				for j := 0; j < n; j++ {
					q = append(q, r.IntN(qmax))
				}
				for j := 0; j < nsc; j++ {
					sc = append(sc, r.IntN(scmax))
					mn = append(mn, r.IntN(scmax))
				}
				if dt == Q8_0 {
					for j := range q {
						q[j] -= 128
					}
				}
				if dt == Q6_K {
					for j := range sc {
						sc[j] -= 128
					}
				}
				m := Mat{Type: dt, Rows: 1, Cols: n, Raw: packBlock(dt, d, dmin, sc, mn, q)}
				got := make([]float32, n)
				m.Row(got, 0)
				df, mf := F16ToF32(d), F16ToF32(dmin)
				for e := 0; e < n; e++ {
					var want float32
					switch dt {
					case Q8_0:
						want = float32(q[e]) * df
					case Q4_0:
						want = float32(q[e]-8) * df
					case Q5_0:
						want = float32(q[e]-16) * df
					case Q4_1, Q5_1:
						want = float32(float32(q[e])*df) + mf
					case Q2_K:
						want = float32(df*float32(sc[e/16])*float32(q[e])) - mf*float32(mn[e/16])
					case Q3_K:
						want = df * float32(sc[e/16]-32) * float32(q[e]-4)
					case Q4_K, Q5_K:
						want = float32(df*float32(sc[e/32])*float32(q[e])) - mf*float32(mn[e/32])
					case Q6_K:
						want = df * float32(sc[e/16]) * float32(q[e]-32)
					}
					require.Equal(t, want, got[e], "trial %d element %d", trial, e)
				}
			}
		})
	}
}

func TestBF16Conversions(t *testing.T) {
	tests := []struct {
		f    float32
		want uint16
	}{
		{1, 0x3f80},
		{-2, 0xc000},
		{math.Float32frombits(0x3f808000), 0x3f80}, // tie, even below
		{math.Float32frombits(0x3f818000), 0x3f82}, // tie, even above
		{math.Float32frombits(0x3f808001), 0x3f81}, // above the tie
		{math.Float32frombits(0x7f7fffff), 0x7f80}, // rounds to infinity
		{float32(math.Inf(-1)), 0xff80},
		{math.Float32frombits(0x7f800001), 0x7fc0}, // signalling NaN made quiet
	}
	for _, tc := range tests {
		assert.Equal(t, tc.want, F32ToBF16(tc.f), "%08x", math.Float32bits(tc.f))
	}
	for h := 0; h < 1<<16; h++ {
		if h&0x7f80 == 0x7f80 && h&0x7f != 0 {
			continue // NaN
		}
		require.Equal(t, uint16(h), F32ToBF16(BF16ToF32(uint16(h))), "%04x", h)
	}
}

// TestActQ8_0 checks hand-computed Q8_0 and Q8_1 blocks: with max|x| = 127
// the scale is 1 and the quants are x rounded half to even, which is where
// ggml's AVX2 quantiser and its scalar reference (half away from zero)
// differ.
func TestActQ8_0(t *testing.T) {
	x := make([]float32, 64)
	x[0], x[1], x[2], x[3], x[4], x[5], x[6] = 127, 0.5, 1.5, 2.5, -2.5, -3.5, 3.49
	// second block: max -63.5, so d = 0.5 rounds to F16 exactly and id = 2
	x[32], x[33], x[34] = -63.5, 0.25, 0.75
	for _, wt := range []DType{Q4_0, Q5_0, Q8_0, Q4_1, Q5_1} {
		var a Act
		a.Prepare(wt, x, 2, 32)
		wantQ := []int8{127, 0, 2, 2, -2, -4, 3}
		assert.Equal(t, wantQ, a.q[:7], "%v", wt)
		assert.Equal(t, []int8{-127, 0, 2}, a.q[32:35], "%v", wt)
		assert.Equal(t, []float32{1, 0.5}, a.d, "%v", wt)
		if wt.actKind() == actQ8_1 {
			// s = d·Σq with the unrounded d: 127+0+2+2-2-4+3 = 128, and -125·0.5
			assert.Equal(t, []float32{128, -62.5}, a.s, "%v", wt)
		}
		if wt == Q8_0 {
			assert.Equal(t, float32(-63.5), a.f[32])
			assert.Equal(t, float32(2), a.f[2])
		}
	}
	// d = 1/127 is stored as its F16 rounding, the quants use 127/max
	var a Act
	y := make([]float32, 32)
	y[0], y[1] = 1, 0.5
	a.Prepare(Q8_0, y, 1, 32)
	assert.Equal(t, F16ToF32(F32ToF16(float32(1)/127)), a.d[0])
	assert.Equal(t, []int8{127, 64}, a.q[:2], "63.5 rounds to even 64")
	// an all-zero block
	a.Prepare(Q8_0, make([]float32, 32), 1, 32)
	assert.Equal(t, float32(0), a.d[0])
	assert.Equal(t, make([]int8, 32), a.q)
}

// TestActQ8K: the scale is 1/(-127/m) for the first element m of largest
// magnitude, the quants round half to even, and the sums cover 16 quants.
func TestActQ8K(t *testing.T) {
	x := make([]float32, 256)
	x[0], x[1], x[2], x[3], x[17] = 127, 0.5, 1.5, -2.5, 10
	x[200] = -127 // same magnitude, later: m stays x[0]
	var a Act
	a.Prepare(Q4_K, x, 1, 256)
	assert.Equal(t, float32(-1), a.d[0])
	assert.Equal(t, []int8{-127, 0, -2, 2}, a.q[:4])
	assert.Equal(t, int8(-10), a.q[17])
	assert.Equal(t, int8(127), a.q[200])
	assert.Equal(t, int16(-127), a.bs[0])
	assert.Equal(t, int16(-10), a.bs[1])
	assert.Equal(t, int16(127), a.bs[12])
	x[0] = -127 // the first of largest magnitude is negative now
	a.Prepare(Q6_K, x, 1, 256)
	assert.Equal(t, float32(1), a.d[0])
	assert.Equal(t, []int8{-127, 0, 2, -2}, a.q[:4])
	// a scale that is not a power of two: m = 3, iscale = -127/3
	y := make([]float32, 256)
	y[0], y[1] = 3, 1
	a.Prepare(Q2_K, y, 1, 256)
	assert.Equal(t, 1/(float32(-127)/3), a.d[0])
	assert.Equal(t, []int8{-127, -42}, a.q[:2]) // -42.33 rounds to -42
	a.Prepare(Q3_K, make([]float32, 512), 2, 256)
	assert.Equal(t, []float32{0, 0}, a.d)
	assert.Equal(t, make([]int16, 32), a.bs)
}

func TestActFloat(t *testing.T) {
	x := []float32{1 + 0x1p-11, 1 + 3*0x1p-11, math.Float32frombits(0x3f808000), 0.1}
	var a Act
	a.Prepare(F16, x, 1, 4)
	assert.Equal(t, []float32{1, 1 + 0x1p-9, 1 + 0x1p-8, F16ToF32(F32ToF16(0.1))}, a.f) // 1+2⁻⁸ is a half
	a.Prepare(BF16, x, 2, 2)
	assert.Equal(t, []float32{1, 1, 1, BF16ToF32(F32ToBF16(0.1))}, a.f) // below and at the tie
	a.Prepare(F32, x, 4, 1)
	assert.Equal(t, x, a.f)
	assert.Panics(t, func() { a.Prepare(Q4_K, x, 1, 4) })
	assert.Panics(t, func() { a.Prepare(F32, x, 1, 3) })
}

// colsForType lists the row lengths tried: one to four blocks and a
// larger count.
func colsForType(dt DType) []int {
	switch dt.BlockSize() {
	case 1:
		return []int{1, 7, 8, 16, 33, 67, 96, 130}
	case 32:
		return []int{32, 64, 96, 128, 288}
	}
	return []int{256, 512, 768, 1024, 2304}
}

// TestMatMulActTypes checks every implementation on every type against
// the float64 product of the exact weights with the exact prepared
// inputs, every row range, and (for the fast implementations) that rows
// do not depend on the range and that n vectors equal n single products
// bit for bit.
func TestMatMulActTypes(t *testing.T) {
	r := newTestRand(41)
	for _, dt := range allTypes {
		t.Run(dt.String(), func(t *testing.T) {
			forEachImpl(t, func(t *testing.T) {
				counts := []int{1, 2, 3, 4, 5, 7, 8, 13, 20}
				for ci, cols := range colsForType(dt) {
					for rows := 1; rows <= 9; rows++ {
						n := counts[(rows+2*ci)%len(counts)]
						checkMatMulAct(t, r, dt, rows, cols, n, 1+ci)
					}
				}
			})
		})
	}
}

// checkMatMulAct is one shape of TestMatMulActTypes.
func checkMatMulAct(t *testing.T, r *rand.Rand, dt DType, rows, cols, n, off int) {
	m := randMat(r, dt, rows, cols, off)
	x := randF32(r, n*cols)
	var a Act
	a.Prepare(dt, x, n, cols)
	whole, check := guarded(n*rows, 3)
	MatMulAct(whole, &m, &a, 0, rows)
	check(t)
	for v := 0; v < n; v++ {
		for i := 0; i < rows; i++ {
			want, mag := refDot(&m, &a, i, v)
			got := whole[v*rows+i]
			require.InDelta(t, want, got, sumTol(cols, mag), "cols=%d n=%d vec %d row %d", cols, n, v, i)
		}
	}
	var one Act
	for v := 0; v < n; v++ {
		one.Prepare(dt, x[v*cols:(v+1)*cols], 1, cols)
		for r0 := 0; r0 < rows; r0++ {
			for r1 := r0 + 1; r1 <= rows; r1++ {
				part, check := guarded(rows, 1)
				MatMulAct(part, &m, &one, r0, r1)
				check(t)
				for i := 0; i < rows; i++ {
					if i < r0 || i >= r1 {
						require.Equal(t, uint32(0x7fc0dead), math.Float32bits(part[i]), "row %d outside [%d,%d) written", i, r0, r1)
						continue
					}
					require.Equal(t, whole[v*rows+i], part[i], "cols=%d vec %d row %d of [%d,%d)", cols, v, i, r0, r1)
				}
			}
		}
	}
	// the float32 entry points prepare the same Act
	out := make([]float32, n*rows)
	MatMul(out, &m, x, n, 0, rows)
	require.Equal(t, whole, out, "MatMul")
	MatVec(out[:rows], &m, x[:cols], 0, rows)
	require.Equal(t, whole[:rows], out[:rows], "MatVec")
}

func TestMatMulActMismatch(t *testing.T) {
	m := randMat(newTestRand(1), Q4_K, 2, 256, 0)
	var a Act
	a.Prepare(Q8_0, make([]float32, 256), 1, 256)
	assert.Panics(t, func() { MatMulAct(make([]float32, 2), &m, &a, 0, 2) }, "Q8_0 blocks for Q4_K weights")
	a.Prepare(Q6_K, make([]float32, 256), 1, 256)
	assert.NotPanics(t, func() { MatMulAct(make([]float32, 2), &m, &a, 0, 2) }, "Q8_K serves every K-quant")
	assert.Panics(t, func() { MatMulAct(make([]float32, 2), &m, &a, 1, 3) })
	assert.Panics(t, func() { MatMulAct(make([]float32, 3), &m, &a, 0, 2) })
}

// TestQuantAllocateNothing: preparing and multiplying allocate nothing
// once an Act's buffers (and the pool's) have grown.
func TestQuantAllocateNothing(t *testing.T) {
	r := newTestRand(43)
	for _, dt := range allTypes {
		t.Run(dt.String(), func(t *testing.T) {
			forEachImpl(t, func(t *testing.T) {
				cols := 2 * dt.BlockSize() * max(1, 256/dt.BlockSize())
				m := randMat(r, dt, 9, cols, 0)
				x := randF32(r, 20*cols)
				out := make([]float32, 20*9)
				var a Act
				a.Prepare(dt, x, 20, cols)
				if raceEnabled && (dt == F16 || dt == Q8_0) {
					return // the float kernels' scratch sync.Pool drops buffers under -race
				}
				assert.Zero(t, testing.AllocsPerRun(20, func() {
					a.Prepare(dt, x[:3*cols], 3, cols)
					MatMulAct(out[:27], &m, &a, 0, 9)
					a.Prepare(dt, x, 20, cols)
					MatMulAct(out, &m, &a, 2, 7)
				}))
				MatMul(out, &m, x, 20, 0, 9)
				if !raceEnabled {
					assert.Zero(t, testing.AllocsPerRun(20, func() {
						MatVec(out[:9], &m, x[:cols], 0, 9)
						MatMul(out, &m, x, 20, 0, 9)
					}))
				}
			})
		})
	}
}

func ExampleAct() {
	// one Q4_K row of 256 weights, all 1·1 - 0 = 1: d = 1, scale 1, min 0
	q := make([]int, 256)
	for i := range q {
		q[i] = 1
	}
	ones := []int{1, 1, 1, 1, 1, 1, 1, 1}
	m := Mat{Type: Q4_K, Rows: 1, Cols: 256, Raw: packBlock(Q4_K, F32ToF16(1), 0, ones, make([]int, 8), q)}
	x := make([]float32, 256)
	for i := range x {
		x[i] = 127 * (float32(i%3) - 1) // -127, 0, 127, ...: Q8_K scale 1
	}
	var a Act
	a.Prepare(m.Type, x, 1, m.Cols)
	out := make([]float32, 1)
	MatMulAct(out, &m, &a, 0, 1)
	fmt.Println(out[0])
	// Output: -127
}
