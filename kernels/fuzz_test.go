package kernels

import (
	"math"
	"testing"
)

// The fuzz targets decode their bytes as IEEE halves: that spans 40 binary
// orders of magnitude (subnormals included) while keeping every product
// and sum finite in float32, so the fast and generic results can be held
// to sumTol. Infinite and NaN halves become 0.

func halves(b []byte, n int) []float32 {
	v := make([]float32, n)
	for i := range v {
		if 2*i+1 >= len(b) {
			break
		}
		f := F16ToF32(uint16(b[2*i]) | uint16(b[2*i+1])<<8)
		if math.IsInf(float64(f), 0) || math.IsNaN(float64(f)) {
			f = 0
		}
		v[i] = f
	}
	return v
}

// fastImpls are the non-generic implementations available here.
func fastImpls() []string { return Impls()[1:] }

func FuzzDot(f *testing.F) {
	f.Add([]byte{0x00, 0x3c, 0x00, 0x40, 0x00, 0xbc, 0x00, 0x3c}, uint8(0))
	f.Fuzz(func(t *testing.T, data []byte, off uint8) {
		o := int(off % 4)
		n := len(data) / 4
		a := halves(data, n+o)[o:]
		b := halves(data[2*n:], n)
		want := dotGeneric(a, b)
		tol := sumTol(n, absDot(a, b))
		for _, name := range fastImpls() {
			var got float32
			withImpl(name, func() { got = Dot(a, b) })
			if d := math.Abs(float64(got) - float64(want)); !(d <= tol) {
				t.Fatalf("%s: Dot(n=%d) = %v, generic %v, |diff| %g > %g", name, n, got, want, d, tol)
			}
		}
	})
}

// fuzzMatVec checks every row of MatVec(m, x) of every fast implementation
// against the generic one; w holds m's weights as float32.
func fuzzMatVec(t *testing.T, m *Mat, w, x []float32) {
	want := make([]float32, m.Rows)
	withImpl("generic", func() { MatVec(want, m, x, 0, m.Rows) })
	for _, name := range fastImpls() {
		got := make([]float32, m.Rows)
		withImpl(name, func() { MatVec(got, m, x, 0, m.Rows) })
		for r := range got {
			tol := sumTol(m.Cols, absDot(w[r*m.Cols:(r+1)*m.Cols], x))
			if d := math.Abs(float64(got[r]) - float64(want[r])); !(d <= tol) {
				t.Fatalf("%s: row %d of %dx%d = %v, generic %v, |diff| %g > %g", name, r, m.Rows, m.Cols, got[r], want[r], d, tol)
			}
		}
	}
}

func FuzzMatVecF32(f *testing.F) {
	f.Add([]byte{0x00, 0x3c, 0x00, 0x40, 0x00, 0xbc, 0x00, 0x3c, 0x01, 0x80, 0xff, 0x7b}, uint8(1))
	f.Fuzz(func(t *testing.T, data []byte, rows uint8) {
		nr := 1 + int(rows%9)
		cols := len(data) / 2 / (nr + 1)
		w := halves(data, nr*cols)
		x := halves(data[2*nr*cols:], cols)
		m := NewF32(w, nr, cols)
		fuzzMatVec(t, &m, w, x)
	})
}

func FuzzMatVecQ8(f *testing.F) {
	blk := make([]byte, Q8BlockBytes+64)
	blk[0], blk[1] = 0x00, 0x20 // scale 2⁻⁷
	for i := 2; i < len(blk); i++ {
		blk[i] = byte(i * 37)
	}
	f.Add(blk, uint8(0))
	f.Fuzz(func(t *testing.T, data []byte, rows uint8) {
		nr := 1 + int(rows%6)
		nb := len(data) / (nr*Q8BlockBytes + 2*Q8Block)
		cols := nb * Q8Block
		raw := append([]byte(nil), data[:nr*nb*Q8BlockBytes]...)
		// scales that are infinite or NaN would make every order agree on
		// garbage; replace them by finite ones
		for b := 0; b < nr*nb; b++ {
			h := uint16(raw[b*Q8BlockBytes]) | uint16(raw[b*Q8BlockBytes+1])<<8
			if h&0x7c00 == 0x7c00 {
				raw[b*Q8BlockBytes+1] &^= 0x40
			}
		}
		x := halves(data[nr*nb*Q8BlockBytes:], cols)
		m := Mat{Type: Q8_0, Rows: nr, Cols: cols, Raw: raw}
		fuzzMatVec(t, &m, dequant(&m), x)
	})
}
