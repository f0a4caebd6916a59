package kernels

import (
	"testing"
	"unsafe"

	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// fencedBytes returns n bytes that end exactly where an inaccessible page
// begins, so a kernel reading even one byte past its input faults. The
// guard bands of the other tests only catch writes; this catches reads,
// which masked tails (AVX-512) and scalar tails (AVX2) must not make.
func fencedBytes(t *testing.T, n int) []byte {
	t.Helper()
	page := unix.Getpagesize()
	size := (n+page-1)/page*page + page
	mem, err := unix.Mmap(-1, 0, size, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_ANON|unix.MAP_PRIVATE)
	require.NoError(t, err)
	t.Cleanup(func() { _ = unix.Munmap(mem) })
	require.NoError(t, unix.Mprotect(mem[size-page:], unix.PROT_NONE))
	return mem[size-page-n : size-page : size-page]
}

func fencedF32(t *testing.T, src []float32) []float32 {
	b := fencedBytes(t, 4*len(src))
	if len(src) == 0 {
		return nil
	}
	f := unsafe.Slice((*float32)(unsafe.Pointer(&b[0])), len(src))
	copy(f, src)
	return f
}

// TestNoOverread runs every kernel on inputs that end at a fenced page; a
// read past the end kills the test binary with SIGSEGV.
func TestNoOverread(t *testing.T) {
	r := newTestRand(13)
	forEachImpl(t, func(t *testing.T) {
		for n := 1; n <= maxLen; n++ {
			a, b := fencedF32(t, randF32(r, n)), fencedF32(t, randF32(r, n))
			_ = Dot(a, b)

			const rows = 5
			x := fencedF32(t, randF32(r, n))
			m := NewF32(fencedF32(t, randF32(r, rows*n)), rows, n)
			out := make([]float32, 3*max(rows, n))
			MatVec(out[:rows], &m, x, 0, rows)
			MatMul(out[:3*rows], &m, fencedF32(t, randF32(r, 3*n)), 3, 0, rows)

			// attention: the last cached row ends at the fence, with the
			// head packed (stride n) and inside a wider row (stride n+3)
			for _, stride := range []int{n, n + 3} {
				kv := fencedF32(t, randF32(r, (rows-1)*stride+n))
				att := make([]float32, rows)
				AttnScores(att, x, kv, stride, 0.5)
				Softmax(fencedF32(t, att))
				AttnMix(out[:n], fencedF32(t, att), kv, stride)
			}
			g := fencedF32(t, randF32(r, n))
			SwiGLU(fencedF32(t, randF32(r, n)), g)

			h := Mat{Type: F16, Rows: rows, Cols: n, Raw: fencedBytes(t, rows*2*n)}
			copy(h.Raw, randF16Raw(r, rows*n))
			MatVec(out[:rows], &h, x, 0, rows)
			MatMul(out[:3*rows], &h, fencedF32(t, randF32(r, 3*n)), 3, 0, rows)
		}
		for nb := 1; nb <= 3; nb++ {
			const rows = 5
			cols := nb * Q8Block
			q := Mat{Type: Q8_0, Rows: rows, Cols: cols, Raw: fencedBytes(t, rows*nb*Q8BlockBytes)}
			copy(q.Raw, randQ8Raw(r, rows, cols))
			out := make([]float32, 3*rows)
			MatVec(out[:rows], &q, fencedF32(t, randF32(r, cols)), 0, rows)
			MatMul(out, &q, fencedF32(t, randF32(r, 3*cols)), 3, 0, rows)
		}
	})
}

// fencedInt8 and fencedInt16 copy a slice to the end of a fenced page.
func fencedInt8(t *testing.T, src []int8) []int8 {
	b := fencedBytes(t, len(src))
	s := unsafe.Slice((*int8)(unsafe.Pointer(&b[0])), len(src))
	copy(s, src)
	return s
}

func fencedInt16(t *testing.T, src []int16) []int16 {
	b := fencedBytes(t, 2*len(src))
	s := unsafe.Slice((*int16)(unsafe.Pointer(&b[0])), len(src))
	copy(s, src)
	return s
}

// fenceAct moves every buffer of a prepared Act to the end of a fenced
// page, so the kernels cannot read past the activations either.
func fenceAct(t *testing.T, a *Act) {
	if a.f != nil {
		a.f = fencedF32(t, a.f)
	}
	if a.q != nil {
		a.q = fencedInt8(t, a.q)
		a.d = fencedF32(t, a.d)
	}
	if a.s != nil {
		a.s = fencedF32(t, a.s)
	}
	if a.bs != nil {
		a.bs = fencedInt16(t, a.bs)
		a.b32 = fencedInt16(t, a.b32)
	}
}

// TestNoOverreadQuant runs every type's products on weights and prepared
// activations that end at a fenced page, for one to three blocks per row.
func TestNoOverreadQuant(t *testing.T) {
	r := newTestRand(17)
	forEachImpl(t, func(t *testing.T) {
		for _, dt := range allTypes {
			if dt == F32 {
				continue
			}
			for nb := 1; nb <= 3; nb++ {
				const rows = 5
				cols := nb * max(dt.BlockSize(), 8)
				m := NewRaw(dt, fencedBytes(t, rows*dt.RowBytes(cols)), rows, cols)
				copy(m.Raw, randRaw(r, dt, rows, cols))
				for _, n := range []int{1, 3} {
					var a Act
					a.Prepare(dt, randF32(r, n*cols), n, cols)
					fenceAct(t, &a)
					out := make([]float32, n*rows)
					MatMulAct(out, &m, &a, 0, rows)
					MatMulAct(out, &m, &a, 3, rows)
				}
				out := make([]float32, 3*rows)
				MatVec(out[:rows], &m, fencedF32(t, randF32(r, cols)), 0, rows)
				MatMul(out, &m, fencedF32(t, randF32(r, 3*cols)), 3, 0, rows)
			}
		}
	})
}
