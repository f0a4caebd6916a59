package kernels

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// attnCases are (positions, head size, stride) triples: position counts
// around the four-row groups of the score kernel, head sizes around the 64-
// and 16-column blocks of the mix kernel (with masked tails), and strides
// from a packed head (stride == head size) to a head inside a wider row.
func attnCases() [][3]int {
	var cs [][3]int
	for _, rows := range []int{0, 1, 3, 4, 5, 8, 9, 17} {
		for _, hd := range []int{1, 7, 16, 17, 48, 64, 65, 96, 128, 131} {
			for _, extra := range []int{0, 3, 64} {
				cs = append(cs, [3]int{rows, hd, hd + extra})
			}
		}
	}
	return cs
}

func TestAttnScores(t *testing.T) {
	r := newTestRand(21)
	forEachImpl(t, func(t *testing.T) {
		for _, c := range attnCases() {
			rows, hd, stride := c[0], c[1], c[2]
			for _, off := range []int{0, 1} {
				q := randF32(r, hd+off)[off:]
				keys := randF32(r, max(0, (rows-1)*stride+hd)+off)[off:]
				const scale = 0.125
				att, check := guarded(rows, off)
				AttnScores(att, q, keys, stride, scale)
				check(t)
				for p := range att {
					k := keys[p*stride : p*stride+hd]
					want := dotGeneric(q, k) * scale
					assert.InDelta(t, want, att[p], scale*sumTol(hd, absDot(q, k)), "rows=%d hd=%d stride=%d p=%d", rows, hd, stride, p)
				}
			}
		}
	})
}

func TestAttnMix(t *testing.T) {
	r := newTestRand(22)
	forEachImpl(t, func(t *testing.T) {
		for _, c := range attnCases() {
			rows, hd, stride := c[0], c[1], c[2]
			for _, off := range []int{0, 1} {
				att := randF32(r, rows+off)[off:]
				values := randF32(r, max(0, (rows-1)*stride+hd)+off)[off:]
				out, check := guarded(hd, off)
				for i := range out {
					out[i] = 99 // must be overwritten, not added to
				}
				AttnMix(out, att, values, stride)
				check(t)
				for j := range out {
					var want, abs float64
					for p := range att {
						v := float64(att[p]) * float64(values[p*stride+j])
						want += v
						abs += math.Abs(v)
					}
					assert.InDelta(t, want, out[j], sumTol(rows, abs)+1e-30, "rows=%d hd=%d stride=%d j=%d", rows, hd, stride, j)
				}
			}
		}
	})
}

// TestAttnMixEqualsAxpy: the fused kernel does per element what the
// position-by-position Axpy loop it replaces did, so switching to it left
// every model output unchanged bit for bit.
func TestAttnMixEqualsAxpy(t *testing.T) {
	r := newTestRand(23)
	forEachImpl(t, func(t *testing.T) {
		for _, c := range attnCases() {
			rows, hd, stride := c[0], c[1], c[2]
			att := randF32(r, rows)
			values := randF32(r, max(0, (rows-1)*stride+hd))
			got, want := make([]float32, hd), make([]float32, hd)
			AttnMix(got, att, values, stride)
			for p, a := range att {
				Axpy(want, a, values[p*stride:p*stride+hd])
			}
			require.Equal(t, want, got, "rows=%d hd=%d stride=%d", rows, hd, stride)
		}
	})
}

// TestAttnScoresEqualsMatVec: scores are the rows of a strided
// matrix-vector product, so they share MatVec's arithmetic exactly.
func TestAttnScoresEqualsMatVec(t *testing.T) {
	r := newTestRand(24)
	forEachImpl(t, func(t *testing.T) {
		for _, rows := range []int{1, 5, 12, 33} {
			const hd = 64
			keys := randF32(r, rows*hd)
			q := randF32(r, hd)
			att, mv := make([]float32, rows), make([]float32, rows)
			AttnScores(att, q, keys, hd, 1)
			m := NewF32(keys, rows, hd)
			MatVec(mv, &m, q, 0, rows)
			require.Equal(t, mv, att)
		}
	})
}

func TestAttnPanicsOnShortInput(t *testing.T) {
	assert.Panics(t, func() { AttnScores(make([]float32, 3), make([]float32, 4), make([]float32, 11), 4, 1) })
	assert.Panics(t, func() { AttnScores(make([]float32, 2), make([]float32, 4), make([]float32, 8), 3, 1) })
	assert.Panics(t, func() { AttnMix(make([]float32, 4), make([]float32, 3), make([]float32, 11), 4) })
	assert.NotPanics(t, func() { AttnMix(make([]float32, 4), make([]float32, 3), make([]float32, 12), 4) })
	assert.NotPanics(t, func() { AttnMix(make([]float32, 4), nil, nil, 4) })
}

func FuzzAttn(f *testing.F) {
	f.Add([]byte{0x00, 0x3c, 0x00, 0x40, 0x00, 0xbc, 0x00, 0x3c, 0x01, 0x80, 0xff, 0x7b, 0x00, 0x3c}, uint8(3), uint8(1))
	f.Fuzz(func(t *testing.T, data []byte, hdb, extra uint8) {
		hd := 1 + int(hdb%80)
		stride := hd + int(extra%5)
		n := len(data) / 2
		if n < 2*hd {
			return
		}
		q := halves(data, hd)
		rows := (n - hd) / stride
		if rows == 0 {
			return
		}
		kv := halves(data[2*hd:], (rows-1)*stride+hd)
		want := make([]float32, rows)
		withImpl("generic", func() { AttnScores(want, q, kv, stride, 0.5) })
		for _, name := range fastImpls() {
			got := make([]float32, rows)
			withImpl(name, func() { AttnScores(got, q, kv, stride, 0.5) })
			for p := range got {
				tol := 0.5 * sumTol(hd, absDot(q, kv[p*stride:p*stride+hd]))
				if d := math.Abs(float64(got[p]) - float64(want[p])); !(d <= tol) {
					t.Fatalf("%s: score %d = %v, generic %v", name, p, got[p], want[p])
				}
			}
		}
		// The scores are finite; use them (scaled into [0, 1]) as weights.
		att := make([]float32, rows)
		for p := range att {
			att[p] = float32(math.Abs(math.Tanh(float64(want[p]))))
		}
		mwant := make([]float32, hd)
		withImpl("generic", func() { AttnMix(mwant, att, kv, stride) })
		for _, name := range fastImpls() {
			got := make([]float32, hd)
			withImpl(name, func() { AttnMix(got, att, kv, stride) })
			for j := range got {
				var abs float64
				for p := range att {
					abs += math.Abs(float64(att[p]) * float64(kv[p*stride+j]))
				}
				if d := math.Abs(float64(got[j]) - float64(mwant[j])); !(d <= sumTol(rows, abs)) {
					t.Fatalf("%s: mix %d = %v, generic %v", name, j, got[j], mwant[j])
				}
			}
		}
	})
}
