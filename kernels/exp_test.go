package kernels

import (
	"math"
	"testing"
)

// TestExpf checks expf against math.Exp rounded to float32 over a dense
// sweep of the float32 range that does not overflow: within 3 ulp (the
// polynomial's truncation error plus the rounding of each float32 step).
func TestExpf(t *testing.T) {
	ulps := func(a, b float32) int64 {
		d := int64(math.Float32bits(a)) - int64(math.Float32bits(b))
		if d < 0 {
			d = -d
		}
		return d
	}
	worst := int64(0)
	for x := float32(-103); x < 88.7; x += 0.000731 {
		want := float32(math.Exp(float64(x)))
		got := expf(x)
		if want < 1.1754944e-38 { // subnormal results: absolute error instead
			if math.Abs(float64(got-want)) > 3e-45 {
				t.Fatalf("expf(%v) = %v, want %v", x, got, want)
			}
			continue
		}
		if u := ulps(got, want); u > worst {
			worst = u
		}
	}
	if worst > 3 {
		t.Fatalf("expf is %d ulp from math.Exp", worst)
	}
	for _, c := range []struct{ x, want float32 }{
		{0, 1}, {1, float32(math.E)}, {-200, 0}, {100, float32(math.Inf(1))},
	} {
		if got := expf(c.x); got != c.want {
			t.Errorf("expf(%v) = %v, want %v", c.x, got, c.want)
		}
	}
	if got := expf(float32(math.NaN())); got == got {
		t.Errorf("expf(NaN) = %v", got)
	}
}

// TestAxpy compares the dispatched Axpy with the generic loop over lengths
// 0..67 at odd offsets; one multiply-add per element rounds the same way
// in both (FMA rounds once, the Go loop twice), so allow 1 ulp of |y|+|ax|.
func TestAxpy(t *testing.T) {
	for _, name := range Impls() {
		restore, err := UseImpl(name)
		if err != nil {
			t.Fatal(err)
		}
		for n := 0; n <= 67; n++ {
			for off := 0; off < 3; off++ {
				x := make([]float32, n+off+2)
				y := make([]float32, n+off+2)
				for i := range x {
					x[i] = float32(i%13) - 6.5
					y[i] = float32(i%7) * 0.25
				}
				want := append([]float32(nil), y...)
				axpyGeneric(want[off:off+n], 0.375, x[off:off+n])
				Axpy(y[off:off+n], 0.375, x[off:off+n])
				for i := range y {
					d := math.Abs(float64(y[i] - want[i]))
					if d > 1e-6*(math.Abs(float64(want[i]))+1) {
						t.Fatalf("%s n=%d off=%d: y[%d] = %v, want %v", name, n, off, i, y[i], want[i])
					}
				}
			}
		}
		restore()
	}
}
