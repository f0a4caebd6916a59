package kernels

import (
	"math"
	"testing"
)

// FuzzMatMulActQuant decodes its bytes as the rows of a block type (sel
// picks the type, the row and vector counts), with F16 scales that are
// infinite or NaN made finite, and the rest as F16 activations; every fast
// implementation must agree with the generic one within sumTol of the
// float64 product (when that is finite), and with its own single-vector products bit for bit.
func FuzzMatMulActQuant(f *testing.F) {
	for i, dt := range blockTypes {
		seed := make([]byte, 2*dt.BlockBytes()+4*dt.BlockSize())
		for j := range seed {
			seed[j] = byte(j*131 + i*17)
		}
		f.Add(seed, uint8(i))
	}
	f.Fuzz(func(t *testing.T, data []byte, sel uint8) {
		dt := blockTypes[int(sel)%len(blockTypes)]
		rows := 1 + int(sel)/len(blockTypes)%5
		n := 1 + int(sel)/(5*len(blockTypes))%3
		bs, bb := dt.BlockSize(), dt.BlockBytes()
		nb := len(data) / (rows*bb + 2*n*bs)
		if nb == 0 {
			return
		}
		cols := nb * bs
		raw := append([]byte(nil), data[:rows*nb*bb]...)
		for b := 0; b < rows*nb; b++ {
			for _, off := range f16Fields(dt) {
				if raw[b*bb+off+1]&0x7c == 0x7c {
					raw[b*bb+off+1] &^= 0x40
				}
			}
		}
		m := NewRaw(dt, raw, rows, cols)
		x := halves(data[rows*nb*bb:], n*cols)
		var a Act
		a.Prepare(dt, x, n, cols)
		want := make([]float32, n*rows)
		withImpl("generic", func() { MatMulAct(want, &m, &a, 0, rows) })
		for _, name := range fastImpls() {
			got := make([]float32, n*rows)
			withImpl(name, func() { MatMulAct(got, &m, &a, 0, rows) })
			for v := 0; v < n; v++ {
				for i := 0; i < rows; i++ {
					ref, mag := refDot(&m, &a, i, v)
					if math.IsInf(mag, 0) || math.IsNaN(mag) {
						continue // a Q8_1 sum past the F16 range is infinite in ggml too
					}
					tol := sumTol(cols, mag)
					g, w := got[v*rows+i], want[v*rows+i]
					if d := math.Abs(float64(g) - ref); !(d <= tol) {
						t.Fatalf("%s %v: row %d vec %d of %dx%d = %v, float64 %v, |diff| %g > %g", name, dt, i, v, rows, cols, g, ref, d, tol)
					}
					if d := math.Abs(float64(w) - ref); !(d <= tol) {
						t.Fatalf("generic %v: row %d vec %d of %dx%d = %v, float64 %v, |diff| %g > %g", dt, i, v, rows, cols, w, ref, d, tol)
					}
				}
			}
			var one Act
			single := make([]float32, rows)
			for v := 0; v < n; v++ {
				one.Prepare(dt, x[v*cols:(v+1)*cols], 1, cols)
				withImpl(name, func() { MatMulAct(single, &m, &one, 0, rows) })
				for i := range single {
					if math.Float32bits(single[i]) != math.Float32bits(got[v*rows+i]) {
						t.Fatalf("%s %v: vector %d row %d: batched %v, alone %v", name, dt, v, i, got[v*rows+i], single[i])
					}
				}
			}
		}
	})
}

// FuzzQuantizeRow quantises F16-decoded values to every block type: the
// quantisers must not panic, and the dequantised weights must be finite
// and no larger than twice the largest magnitude of their block.
func FuzzQuantizeRow(f *testing.F) {
	f.Add([]byte{0x00, 0x3c, 0x00, 0xbc, 0x01, 0x00, 0xff, 0x7b, 0x00, 0x80})
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, dt := range blockTypes {
			bs := dt.BlockSize()
			x := halves(data, bs)
			raw := make([]byte, dt.BlockBytes())
			QuantizeRow(dt, raw, x)
			y := make([]float32, bs)
			m := NewRaw(dt, raw, 1, bs)
			m.Row(y, 0)
			var amax float64
			for _, v := range x {
				amax = math.Max(amax, math.Abs(float64(v)))
			}
			for i, v := range y {
				if math.IsNaN(float64(v)) || math.Abs(float64(v)) > 2*amax+1e-30 {
					t.Fatalf("%v: weight %d dequantises to %v, the block's largest magnitude is %v", dt, i, v, amax)
				}
			}
		}
	})
}
