//go:build !purego

package kernels

import "unsafe"

// mv4Q4KAVX2 sets out[r] = Σ_b d_x[b]·(d_r·Σ_j sc_j·Σ q·y - dmin_r·Σ_j m_j·Σ y)
// over nb Q4_K super-blocks of the four rows w0..w3 and one Q8_K vector:
// quants y, scales dx, and bs, per block eight zeros then the sums of
// each 32 quants (Act.b32). pf, the next group of rows, is prefetched
// 576 bytes per block.
//
//go:noescape
func mv4Q4KAVX2(w0, w1, w2, w3 *byte, y *int8, dx *float32, bs *int16, nb int, pf uintptr, out *[4]float32)

// mv4Q6KAVX2 is mv4Q4KAVX2 for Q6_K rows: out[r] = Σ_b d_x[b]·d_r·Σ_j
// sc_j·Σ (q-32)·y, with bs the sums of each 16 quants (Act.bs); it
// prefetches 840 bytes per block.
//
//go:noescape
func mv4Q6KAVX2(w0, w1, w2, w3 *byte, y *int8, dx *float32, bs *int16, nb int, pf uintptr, out *[4]float32)

// mm1x4Q4KAVX2 sets out[v] to mv4Q4KAVX2's result for row w and four
// Q8_K vectors, vector v's quants, scales and sums at y + v·ys, dx + v·ds
// and bs + v·bss (byte strides).
//
//go:noescape
func mm1x4Q4KAVX2(w *byte, y *int8, ys int, dx *float32, ds int, bs *int16, bss, nb int, out *[4]float32)

// mm1x4Q5KAVX2 is mm1x4Q4KAVX2 for a Q5_K row.
//
//go:noescape
func mm1x4Q5KAVX2(w *byte, y *int8, ys int, dx *float32, ds int, bs *int16, bss, nb int, out *[4]float32)

// mm1x4Q6KAVX2 is mm1x4Q4KAVX2 for a Q6_K row (bs: the sums of each 16).
//
//go:noescape
func mm1x4Q6KAVX2(w *byte, y *int8, ys int, dx *float32, ds int, bs *int16, bss, nb int, out *[4]float32)

// mv4Q5KAVX2 is mv4Q4KAVX2 for Q5_K rows, prefetching 704 bytes per
// block.
//
//go:noescape
func mv4Q5KAVX2(w0, w1, w2, w3 *byte, y *int8, dx *float32, bs *int16, nb int, pf uintptr, out *[4]float32)

// mv4Q2KAVX2 is mv4Q6KAVX2 for Q2_K rows (out[r] = Σ_b d_x[b]·(d_r·Σ_j
// sc_j·Σ q·y - dmin_r·Σ_j m_j·Σ y)), prefetching 336 bytes per block.
//
//go:noescape
func mv4Q2KAVX2(w0, w1, w2, w3 *byte, y *int8, dx *float32, bs *int16, nb int, pf uintptr, out *[4]float32)

// mv4Q3KAVX2 is mv4Q6KAVX2 for Q3_K rows, prefetching 440 bytes per block.
//
//go:noescape
func mv4Q3KAVX2(w0, w1, w2, w3 *byte, y *int8, dx *float32, bs *int16, nb int, pf uintptr, out *[4]float32)

// mv4BF16AVX2 sets out[r] = Σ_i w_r[i]·x[i] for i < n (a multiple of 8)
// over four rows of bfloat16, prefetching pf 64 bytes per 8 columns.
//
//go:noescape
func mv4BF16AVX2(w0, w1, w2, w3 *uint16, x *float32, n int, pf uintptr, out *[4]float32)

// mv4Q80AVX2 sets out[r] = Σ_b d_r[b]·d_x[b]·Σ_j q_r[b][j]·y[32b+j] over
// nb Q8_0 blocks of the rows w0..w3 and one Q8_0 activation vector
// (quants y, F16 scale values dx); pf is prefetched 136 bytes per block.
//
//go:noescape
func mv4Q80AVX2(w0, w1, w2, w3 *byte, y *int8, dx *float32, nb int, pf uintptr, out *[4]float32)

// mv4Q40AVX2 is mv4Q80AVX2 for Q4_0 rows (weights nibble-8), prefetching
// 72 bytes per block.
//
//go:noescape
func mv4Q40AVX2(w0, w1, w2, w3 *byte, y *int8, dx *float32, nb int, pf uintptr, out *[4]float32)

// mv4Q50AVX2 is mv4Q80AVX2 for Q5_0 rows (weights nibble+16·bit-16),
// prefetching 88 bytes per block.
//
//go:noescape
func mv4Q50AVX2(w0, w1, w2, w3 *byte, y *int8, dx *float32, nb int, pf uintptr, out *[4]float32)

// mv4Q41AVX2 sets out[r] = Σ_b (d_r[b]·d_x[b]·Σ_j q·y + m_r[b]·s[b]) over
// nb Q4_1 blocks and one Q8_1 vector (quants y, scales dx, sums sx),
// prefetching 80 bytes per block, in dotQ4_1's arithmetic (ggml's), so
// with its bits.
//
//go:noescape
func mv4Q41AVX2(w0, w1, w2, w3 *byte, y *int8, dx, sx *float32, nb int, pf uintptr, out *[4]float32)

// mv4Q51AVX2 is mv4Q41AVX2 for Q5_1 rows, prefetching 96 bytes per block.
//
//go:noescape
func mv4Q51AVX2(w0, w1, w2, w3 *byte, y *int8, dx, sx *float32, nb int, pf uintptr, out *[4]float32)

// mm1x4Q80AVX2 sets out[v] to mv4Q80AVX2's result for row w and four
// Q8_0 vectors, vector v's quants and scales at y + v·ys and dx + v·ds
// (byte strides).
//
//go:noescape
func mm1x4Q80AVX2(w *byte, y *int8, ys int, dx *float32, ds, nb int, out *[4]float32)

// mm1x4Q40AVX2 is mm1x4Q80AVX2 for a Q4_0 row.
//
//go:noescape
func mm1x4Q40AVX2(w *byte, y *int8, ys int, dx *float32, ds, nb int, out *[4]float32)

// mm1x4Q50AVX2 is mm1x4Q80AVX2 for a Q5_0 row.
//
//go:noescape
func mm1x4Q50AVX2(w *byte, y *int8, ys int, dx *float32, ds, nb int, out *[4]float32)

// matMulActAVX2 runs the integer AVX2 kernels of the types that have them
// and reports whether it did. Row groups are the outer loop and vectors
// the inner one, so a group's rows stay in cache while every vector
// passes over them; each (group, vector) pair is one call of the
// matrix-vector kernel, so n vectors give n matrix-vector products' bits.
func matMulActAVX2(out []float32, m *Mat, a *Act, r0, r1 int) bool {
	var bs []int16
	switch m.Type {
	case BF16:
		matMulActBF16(out, m, a, r0, r1)
		return true
	case Q4_0, Q5_0, Q4_1, Q5_1:
		matMulActQ32(out, m, a, r0, r1)
		return true
	case Q4_K, Q5_K:
		bs = a.b32
	case Q2_K, Q3_K, Q6_K:
		bs = a.bs
	default:
		return false
	}
	nb := m.Cols / QK
	if nb == 0 {
		for v := 0; v < a.n; v++ {
			clear(out[v*m.Rows+r0 : v*m.Rows+r1])
		}
		return true
	}
	rb := m.Type.RowBytes(m.Cols)
	var tmp [4]float32
	// vectors in tiles of four where there is a tile kernel, the rest one
	// at a time
	tiled := 0
	if m.Type == Q4_K || m.Type == Q5_K || m.Type == Q6_K {
		tiled = a.n &^ 3
	}
	for r := r0; r < r1; r += 4 {
		var p [4]*byte
		for i := range p {
			p[i] = &m.Raw[min(r+i, r1-1)*rb]
		}
		for i := 0; i < 4 && r+i < r1; i++ {
			for v := 0; v < tiled; v += 4 {
				y, dx, s := &a.q[v*m.Cols], &a.d[v*nb], &bs[v*nb*16]
				switch m.Type {
				case Q4_K:
					mm1x4Q4KAVX2(p[i], y, m.Cols, dx, 4*nb, s, 32*nb, nb, &tmp)
				case Q5_K:
					mm1x4Q5KAVX2(p[i], y, m.Cols, dx, 4*nb, s, 32*nb, nb, &tmp)
				default:
					mm1x4Q6KAVX2(p[i], y, m.Cols, dx, 4*nb, s, 32*nb, nb, &tmp)
				}
				for j := 0; j < 4; j++ {
					out[(v+j)*m.Rows+r+i] = tmp[j]
				}
			}
		}
		next := uintptr(unsafe.Pointer(p[0])) + uintptr(4*rb)
		for v := tiled; v < a.n; v++ {
			pf := next
			if v > tiled {
				pf = uintptr(unsafe.Pointer(p[0])) // already in cache
			}
			// direct calls: tmp would escape through a function value
			y, dx, s := &a.q[v*m.Cols], &a.d[v*nb], &bs[v*nb*16]
			switch m.Type {
			case Q4_K:
				mv4Q4KAVX2(p[0], p[1], p[2], p[3], y, dx, s, nb, pf, &tmp)
			case Q5_K:
				mv4Q5KAVX2(p[0], p[1], p[2], p[3], y, dx, s, nb, pf, &tmp)
			case Q2_K:
				mv4Q2KAVX2(p[0], p[1], p[2], p[3], y, dx, s, nb, pf, &tmp)
			case Q3_K:
				mv4Q3KAVX2(p[0], p[1], p[2], p[3], y, dx, s, nb, pf, &tmp)
			default:
				mv4Q6KAVX2(p[0], p[1], p[2], p[3], y, dx, s, nb, pf, &tmp)
			}
			copy(out[v*m.Rows+r:v*m.Rows+min(r+4, r1)], tmp[:])
		}
	}
	return true
}

// matMulActQ32 is matMulActAVX2 for the 32-weight types (Q8_0 or Q8_1
// activations).
func matMulActQ32(out []float32, m *Mat, a *Act, r0, r1 int) {
	nb := m.Cols / 32
	if nb == 0 {
		for v := 0; v < a.n; v++ {
			clear(out[v*m.Rows+r0 : v*m.Rows+r1])
		}
		return
	}
	rb := m.Type.RowBytes(m.Cols)
	var tmp [4]float32
	tiled := 0
	if m.Type == Q8_0 || m.Type == Q4_0 || m.Type == Q5_0 {
		tiled = a.n &^ 3
	}
	for r := r0; r < r1; r += 4 {
		var p [4]*byte
		for i := range p {
			p[i] = &m.Raw[min(r+i, r1-1)*rb]
		}
		for i := 0; i < 4 && r+i < r1; i++ {
			for v := 0; v < tiled; v += 4 {
				y, dx := &a.q[v*m.Cols], &a.d[v*nb]
				switch m.Type {
				case Q8_0:
					mm1x4Q80AVX2(p[i], y, m.Cols, dx, 4*nb, nb, &tmp)
				case Q4_0:
					mm1x4Q40AVX2(p[i], y, m.Cols, dx, 4*nb, nb, &tmp)
				case Q5_0:
					mm1x4Q50AVX2(p[i], y, m.Cols, dx, 4*nb, nb, &tmp)
				}
				for j := 0; j < 4; j++ {
					out[(v+j)*m.Rows+r+i] = tmp[j]
				}
			}
		}
		next := uintptr(unsafe.Pointer(p[0])) + uintptr(4*rb)
		for v := tiled; v < a.n; v++ {
			pf := next
			if v > tiled {
				pf = uintptr(unsafe.Pointer(p[0]))
			}
			y, dx := &a.q[v*m.Cols], &a.d[v*nb]
			switch m.Type {
			case Q8_0:
				mv4Q80AVX2(p[0], p[1], p[2], p[3], y, dx, nb, pf, &tmp)
			case Q4_0:
				mv4Q40AVX2(p[0], p[1], p[2], p[3], y, dx, nb, pf, &tmp)
			case Q5_0:
				mv4Q50AVX2(p[0], p[1], p[2], p[3], y, dx, nb, pf, &tmp)
			case Q4_1:
				mv4Q41AVX2(p[0], p[1], p[2], p[3], y, dx, &a.s[v*nb], nb, pf, &tmp)
			case Q5_1:
				mv4Q51AVX2(p[0], p[1], p[2], p[3], y, dx, &a.s[v*nb], nb, pf, &tmp)
			}
			copy(out[v*m.Rows+r:v*m.Rows+min(r+4, r1)], tmp[:])
		}
	}
}

// matMulActBF16 is matMulActAVX2 for BF16 rows and BF16-rounded inputs:
// the kernel takes the first cols&^7 columns, a scalar loop the rest.
func matMulActBF16(out []float32, m *Mat, a *Act, r0, r1 int) {
	cols := m.Cols
	if cols == 0 {
		for v := 0; v < a.n; v++ {
			clear(out[v*m.Rows+r0 : v*m.Rows+r1])
		}
		return
	}
	n8 := cols &^ 7
	var tmp [4]float32
	for r := r0; r < r1; r += 4 {
		var p [4]*uint16
		for i := range p {
			p[i] = (*uint16)(unsafe.Pointer(&m.Raw[min(r+i, r1-1)*2*cols]))
		}
		next := uintptr(unsafe.Pointer(p[0])) + uintptr(8*cols)
		for v := 0; v < a.n; v++ {
			x := a.f[v*cols : (v+1)*cols]
			pf := next
			if v > 0 {
				pf = uintptr(unsafe.Pointer(p[0]))
			}
			tmp = [4]float32{}
			if n8 > 0 {
				mv4BF16AVX2(p[0], p[1], p[2], p[3], &x[0], n8, pf, &tmp)
			}
			for i := 0; i < 4 && r+i < r1; i++ {
				if n8 < cols {
					row := m.Raw[(r+i)*2*cols : (r+i+1)*2*cols]
					var s float32
					for j := n8; j < cols; j++ {
						s += BF16ToF32(uint16(row[2*j])|uint16(row[2*j+1])<<8) * x[j]
					}
					tmp[i] += s
				}
				out[v*m.Rows+r+i] = tmp[i]
			}
		}
	}
}
