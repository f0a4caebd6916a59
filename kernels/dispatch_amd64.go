//go:build !purego

package kernels

import (
	"strings"
	"sync"
	"unsafe"

	"golang.org/x/sys/cpu"
)

// The AVX2 set needs FMA and F16C besides AVX2; the AVX-512 set uses
// 16-bit masked loads (BW) on 256-bit registers (VL) and calls the AVX2
// dequantisers. x/sys/cpu already checks that the OS saves the registers.
var (
	hasAVX2   = cpu.X86.HasAVX2 && cpu.X86.HasFMA && cpu.X86.HasF16C
	hasAVX512 = hasAVX2 && cpu.X86.HasAVX512F && cpu.X86.HasAVX512BW && cpu.X86.HasAVX512VL
)

// whyMissing names the CPU features an implementation needs that this CPU
// lacks.
func whyMissing(id implID) string {
	type feat struct {
		name string
		has  bool
	}
	need := []feat{{"avx2", cpu.X86.HasAVX2}, {"fma", cpu.X86.HasFMA}, {"f16c", cpu.X86.HasF16C}}
	if id == implAVX512 {
		need = append(need, feat{"avx512f", cpu.X86.HasAVX512F}, feat{"avx512bw", cpu.X86.HasAVX512BW}, feat{"avx512vl", cpu.X86.HasAVX512VL})
	}
	var lack []string
	for _, f := range need {
		if !f.has {
			lack = append(lack, f.name)
		}
	}
	return "CPU lacks " + strings.Join(lack, " ")
}

func bestImpl() implID {
	switch {
	case hasAVX512:
		return implAVX512
	case hasAVX2:
		return implAVX2
	}
	return implGeneric
}

func supportedImpls() []implID {
	ids := []implID{implGeneric}
	if hasAVX2 {
		ids = append(ids, implAVX2)
	}
	if hasAVX512 {
		ids = append(ids, implAVX512)
	}
	return ids
}

func dot(a, b []float32) float32 {
	switch impl {
	case implAVX512:
		if len(a) == 0 {
			return 0
		}
		return dotAVX512(&a[0], &b[0], len(a))
	case implAVX2:
		n8 := len(a) &^ 7
		if n8 == 0 {
			return dotGeneric(a, b)
		}
		return dotAVX2(&a[0], &b[0], n8) + dotGeneric(a[n8:], b[n8:])
	}
	return dotGeneric(a, b)
}

// simdCols is how many leading columns the assembly handles for the current
// implementation; the generic tail loop (dotGeneric) adds the rest. AVX-512
// masks its own tails.
func simdCols(cols int) int {
	if impl == implAVX2 {
		return cols &^ 7
	}
	return cols
}

// The matrix-vector products go four rows at a time. A last group of fewer
// than four rows repeats its final row in the missing slots (and throws the
// copies away) instead of using another kernel: every row is then summed by
// the same instructions wherever the range [r0, r1) starts, which is what
// makes results independent of how a Pool splits the rows.

func matVecF32(out, w, x []float32, cols, r0, r1 int) {
	if impl == implGeneric || r0 >= r1 {
		matVecF32Generic(out, w, x, cols, r0, r1)
		return
	}
	matVecF32Strided(out, w, x, cols, cols, r0, r1)
}

// matVecF32Strided is matVecF32 with row r at w[r*stride:r*stride+cols]
// (stride >= cols): also the attention scores of one head, whose keys are
// a head-sized slice of every cached position.
func matVecF32Strided(out, w, x []float32, cols, stride, r0, r1 int) {
	if cols == 0 {
		clear(out[r0:r1])
		return
	}
	n := simdCols(cols)
	if impl == implAVX512 {
		// Whole groups of four rows in one call; the rest below.
		if g := (r1 - r0) / 4; g > 0 {
			mvRowsF32AVX512(&w[r0*stride], 4*stride, &x[0], cols, &out[r0], g)
			r0 += 4 * g
		}
	}
	var tmp [4]float32
	for r := r0; r < r1; r += 4 {
		var p [4]*float32
		for i := range p {
			p[i] = &w[min(r+i, r1-1)*stride]
		}
		if impl == implAVX512 {
			mv4F32AVX512(p[0], p[1], p[2], p[3], &x[0], n, &tmp)
		} else {
			mv4F32AVX2(p[0], p[1], p[2], p[3], &x[0], n, &tmp)
		}
		for i := 0; i < 4 && r+i < r1; i++ {
			if n < cols {
				row := w[(r+i)*stride : (r+i)*stride+cols]
				tmp[i] += dotGeneric(row[n:], x[n:])
			}
			out[r+i] = tmp[i]
		}
	}
}

func matVecF16(out []float32, w []byte, x []float32, cols, r0, r1 int) {
	if impl == implGeneric || r0 >= r1 {
		matVecF16Generic(out, w, x, cols, r0, r1)
		return
	}
	if cols == 0 {
		clear(out[r0:r1])
		return
	}
	n := simdCols(cols)
	var tmp [4]float32
	for r := r0; r < r1; r += 4 {
		var p [4]*uint16
		for i := range p {
			p[i] = (*uint16)(unsafe.Pointer(&w[min(r+i, r1-1)*2*cols]))
		}
		pf := uintptr(unsafe.Pointer(p[0])) + uintptr(8*cols)
		if impl == implAVX512 {
			mv4F16AVX512(p[0], p[1], p[2], p[3], &x[0], n, pf, &tmp)
		} else {
			mv4F16AVX2(p[0], p[1], p[2], p[3], &x[0], n, pf, &tmp)
		}
		for i := 0; i < 4 && r+i < r1; i++ {
			if n < cols {
				// convert the tail first so that it is summed exactly as
				// the dequantised row is in matMul
				var wt [8]float32
				row := w[(r+i)*2*cols : (r+i+1)*2*cols]
				for j := n; j < cols; j++ {
					wt[j-n] = F16ToF32(uint16(row[2*j]) | uint16(row[2*j+1])<<8)
				}
				tmp[i] += dotGeneric(wt[:cols-n], x[n:])
			}
			out[r+i] = tmp[i]
		}
	}
}

func matVecQ8(out []float32, w []byte, x []float32, cols, r0, r1 int) {
	if impl == implGeneric || r0 >= r1 {
		matVecQ8Generic(out, w, x, cols, r0, r1)
		return
	}
	nb := cols / Q8Block
	if nb == 0 {
		clear(out[r0:r1])
		return
	}
	rb := nb * Q8BlockBytes
	var tmp [4]float32
	for r := r0; r < r1; r += 4 {
		var p [4]*byte
		for i := range p {
			p[i] = &w[min(r+i, r1-1)*rb]
		}
		pf := uintptr(unsafe.Pointer(p[0])) + uintptr(4*rb)
		if impl == implAVX512 {
			mv4Q8AVX512(p[0], p[1], p[2], p[3], &x[0], nb, pf, &tmp)
		} else {
			mv4Q8AVX2(p[0], p[1], p[2], p[3], &x[0], nb, pf, &tmp)
		}
		copy(out[r:min(r+4, r1)], tmp[:])
	}
}

// matMulAct runs F32 and F16 weights through the float32 kernels (on the
// Act's float inputs), Q4_0, Q5_0, Q8_0, Q4_K and Q6_K through the
// integer AVX2 kernels, and the other types through the generic code. The AVX-512
// implementation uses the AVX2 kernels for every type that has no
// AVX-512 one.
func matMulAct(out []float32, m *Mat, a *Act, r0, r1 int) {
	if impl == implGeneric {
		matMulActGeneric(out, m, a, r0, r1)
		return
	}
	switch m.Type {
	case Q8_0:
		// AVX2: the integer kernel; AVX-512 keeps its float32 kernels on
		// the dequantised activations. The integer kernel decodes 2048x2048
		// at 16-23 GB/s on one thread against 10-15 for the float32 one
		// (EPYC, AVX2); with 64 vectors the float32 scratch-block tiles are
		// faster (37-50 GFLOP/s against 30-36), but one path must serve
		// every batch size for MatMul to equal n MatVecs.
		if impl == implAVX2 {
			matMulActQ32(out, m, a, r0, r1)
		} else {
			matMul(out, m, a.f, a.n, r0, r1)
		}
	case F32, F16:
		matMul(out, m, a.f, a.n, r0, r1)
	default:
		if !matMulActAVX2(out, m, a, r0, r1) {
			matMulActGeneric(out, m, a, r0, r1)
		}
	}
}

var q8Integer = false

// scratch holds dequantised weight rows for matMul, one buffer per
// concurrent caller, reused so that steady-state calls allocate nothing.
var scratch = sync.Pool{New: func() any { return new([]float32) }}

// matMul runs 4-row by 4-vector (AVX-512) or 4x2 (AVX2) register tiles:
// each weight vector loaded feeds several input vectors, which is what
// turns prefill from memory-bound into compute-bound. F16 and Q8_0 rows are
// first dequantised to float32 (exactly) into a scratch block of 4 rows
// that stays in L1 while every input vector passes over it. Per (row,
// vector) pair the arithmetic is that of the matrix-vector kernel, so
// MatMul's output for vector t equals MatVec's for x[t] bit for bit.
func matMul(out []float32, m *Mat, x []float32, n, r0, r1 int) {
	if impl == implGeneric || r0 >= r1 || n == 0 {
		matMulGeneric(out, m, x, n, r0, r1)
		return
	}
	if n == 1 {
		matVecFloat(out, m, x, r0, r1)
		return
	}
	rows, cols := m.Rows, m.Cols
	k := cols // columns the tiles cover
	if m.Type == Q8_0 {
		k = cols / Q8Block * Q8Block
	}
	if k == 0 {
		for t := 0; t < n; t++ {
			clear(out[t*rows+r0 : t*rows+r1])
		}
		return
	}
	simd := simdCols(k)
	if impl == implAVX512 && m.Type != F32 && n <= 16 {
		matMulRegTiles(out, m, x, n, r0, r1)
		return
	}

	var buf *[]float32
	if m.Type != F32 {
		buf = scratch.Get().(*[]float32)
		defer scratch.Put(buf)
		if cap(*buf) < 4*k {
			*buf = make([]float32, 4*k)
		}
		*buf = (*buf)[:4*k]
	}

	vb := 4 // vectors per tile
	if impl == implAVX2 {
		vb = 2
	}
	var tile [16]float32
	for r := r0; r < r1; r += 4 {
		nr := min(4, r1-r)
		var wr [4][]float32 // (4, k) the rows of this group, last repeated
		for i := 0; i < nr; i++ {
			wr[i] = floatRow(m, r+i, buf, i, k)
		}
		for i := nr; i < 4; i++ {
			wr[i] = wr[nr-1]
		}
		for t := 0; t < n; t += vb {
			nv := min(vb, n-t)
			var xp [4][]float32 // (vb, k) the vectors of this tile, last repeated
			for j := range xp {
				tj := t + min(j, nv-1)
				xp[j] = x[tj*cols : tj*cols+k]
			}
			if impl == implAVX512 {
				// The first two tiles of an F32 group prefetch the next
				// group (rows are contiguous, so it starts a row past
				// w3), rows 0-1 and rows 2-3: spread over both tiles of
				// an 8-sequence batch, the weight stream keeps going
				// while they compute. Prefetching the whole group in the
				// first tile left memory idle during the second, and the
				// step cost memory time plus compute time: 15.8 ms per
				// stories110M step of 8 against 12.8 ms spread.
				var pf uintptr
				if t < 8 && m.Type == F32 && r+8 <= r1 {
					pf = uintptr(unsafe.Pointer(&wr[3][0])) + uintptr(4*cols) + uintptr(t/4*8*cols)
				}
				mm4x4F32AVX512(&wr[0][0], &wr[1][0], &wr[2][0], &wr[3][0],
					&xp[0][0], &xp[1][0], &xp[2][0], &xp[3][0], simd, pf, &tile)
			} else {
				mm4x2F32AVX2(&wr[0][0], &wr[1][0], &wr[2][0], &wr[3][0],
					&xp[0][0], &xp[1][0], simd, (*[8]float32)(tile[:8]))
			}
			for j := 0; j < nv; j++ {
				o := out[(t+j)*rows+r : (t+j)*rows+r+nr]
				for i := range o {
					v := tile[4*j+i]
					if simd < k {
						v += dotGeneric(wr[i][simd:], xp[j][simd:])
					}
					o[i] = v
				}
			}
		}
	}
}

// floatRow returns row r of m as float32: a view for F32, else the row
// converted into slot i of buf (each slot k long).
func floatRow(m *Mat, r int, buf *[]float32, i, k int) []float32 {
	switch m.Type {
	case F32:
		return m.F32[r*m.Cols : r*m.Cols+k]
	case F16:
		dst := (*buf)[i*k : (i+1)*k]
		src := m.Raw[r*2*m.Cols : (r+1)*2*m.Cols]
		n8 := k &^ 7
		if n8 > 0 {
			f16RowAVX2(&dst[0], (*uint16)(unsafe.Pointer(&src[0])), n8)
		}
		for j := n8; j < k; j++ {
			dst[j] = F16ToF32(uint16(src[2*j]) | uint16(src[2*j+1])<<8)
		}
		return dst
	case Q8_0:
		dst := (*buf)[i*k : (i+1)*k]
		rb := m.Type.RowBytes(m.Cols)
		q8RowAVX2(&dst[0], &m.Raw[r*rb], k/Q8Block)
		return dst
	}
	panic("kernels: unknown dtype")
}

func axpy(y []float32, a float32, x []float32) {
	if impl == implAVX512 && len(y) > 0 {
		axpyAVX512(&y[0], &x[0], a, len(y))
		return
	}
	axpyGeneric(y, a, x)
}

func attnScores(att, q, keys []float32, stride int, scale float32) {
	if impl == implGeneric {
		attnScoresGeneric(att, q, keys, stride, scale)
		return
	}
	matVecF32Strided(att, keys, q, len(q), stride, 0, len(att))
	for p := range att {
		att[p] *= scale
	}
}

func attnMix(out, att, values []float32, stride int) {
	if impl == implAVX512 {
		if len(att) == 0 || len(out) == 0 {
			clear(out)
			return
		}
		mixF32AVX512(&out[0], &values[0], 4*stride, &att[0], len(att), len(out))
		return
	}
	attnMixAxpy(out, att, values, stride)
}

func swiglu(h, g []float32) {
	if impl == implAVX512 && len(h) > 0 {
		swigluAVX512(&h[0], &g[0], len(h))
		return
	}
	swigluGeneric(h, g)
}

func softmax(x []float32) {
	if impl == implAVX512 {
		softmaxAVX512(&x[0], len(x))
		return
	}
	softmaxGeneric(x)
}

// matMulRegTiles is matMul for Q8_0 or F16 weights and a decode-sized
// batch on AVX-512: 4-row by 4-vector tiles that convert the rows in
// registers (mm4x4Q8AVX512, mm4x4F16AVX512). With 8 vectors on 2 threads
// the Q8_0 tiles run at 234 GFLOP/s and the F16 ones at 273, against 126
// and 110 for converting each group of rows into a float32 scratch block
// first (which writes four bytes for every weight byte read). Each tile
// converts again, so for a long prompt the scratch block, converted once
// for all tiles, is faster (Q8_0: 264 GFLOP/s against 247 with 64 vectors)
// and prefill keeps it.
func matMulRegTiles(out []float32, m *Mat, x []float32, n, r0, r1 int) {
	rows, cols := m.Rows, m.Cols
	rb := m.Type.RowBytes(cols)
	var tile [16]float32
	for r := r0; r < r1; r += 4 {
		nr := min(4, r1-r)
		var wr [4]*byte // the rows of this group, last repeated
		for i := range wr {
			wr[i] = &m.Raw[(r+min(i, nr-1))*rb]
		}
		next := uintptr(unsafe.Pointer(wr[0]))
		if r+8 <= r1 {
			next += uintptr(4 * rb)
		}
		for t := 0; t < n; t += 4 {
			nv := min(4, n-t)
			var xp [4]*float32 // the vectors of this tile, last repeated
			for j := range xp {
				xp[j] = &x[(t+min(j, nv-1))*cols]
			}
			pf := next // the first tile prefetches the next group
			if t > 0 {
				pf = uintptr(unsafe.Pointer(wr[0])) // already in cache
			}
			if m.Type == Q8_0 {
				mm4x4Q8AVX512(wr[0], wr[1], wr[2], wr[3], xp[0], xp[1], xp[2], xp[3], cols/Q8Block, pf, &tile)
			} else {
				h := func(p *byte) *uint16 { return (*uint16)(unsafe.Pointer(p)) }
				mm4x4F16AVX512(h(wr[0]), h(wr[1]), h(wr[2]), h(wr[3]), xp[0], xp[1], xp[2], xp[3], cols, pf, &tile)
			}
			for j := 0; j < nv; j++ {
				o := out[(t+j)*rows+r : (t+j)*rows+r+nr]
				for i := range o {
					o[i] = tile[4*j+i]
				}
			}
		}
	}
}
