package kernels

import "math"

// expf is e^x in float32 arithmetic: x = n·ln2 + r with |r| ≤ ln2/2, e^r
// by a degree-6 Taylor polynomial (error below 2^-24 on that interval),
// then scaled by 2^n through the exponent bits. It is within 3 ulp of
// math.Exp over the whole float32 range and several times faster, which
// matters because SwiGLU and softmax call it once per element.
func expf(x float32) float32 {
	const (
		log2e = 1.44269504088896341
		ln2hi = 0.693145751953125 // ln 2 with the low 12 bits of the mantissa zero, so n·ln2hi is exact
		ln2lo = 1.42860682030941723212e-6
	)
	switch {
	case x != x:
		return x
	case x > 88.72283:
		return float32(math.Inf(1))
	case x < -103.97208:
		return 0
	}
	n := float32(math.Round(float64(x * log2e)))
	r := x - n*ln2hi - n*ln2lo
	p := 1 + r*(1+r*(0.5+r*(1.0/6+r*(1.0/24+r*(1.0/120+r*(1.0/720))))))
	k := int32(n)
	if k < -126 { // subnormal result: scale in two steps
		return p * math.Float32frombits(uint32(k+126+127)<<23) * math.Float32frombits(1<<23)
	}
	if k > 127 {
		return p * 2 * math.Float32frombits(uint32(k-1+127)<<23)
	}
	return p * math.Float32frombits(uint32(k+127)<<23)
}
