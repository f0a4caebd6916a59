//go:build !purego

package kernels

import (
	"math"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestF16RowExhaustive converts all 65536 halves with the F16C instruction
// the assembly uses (VCVTPH2PS) and checks it against F16ToF32 bit for bit
// (NaNs only as NaNs: the instruction quiets signalling ones).
func TestF16RowExhaustive(t *testing.T) {
	if !hasAVX2 {
		t.Skip("no AVX2/F16C")
	}
	src := make([]uint16, 1<<16)
	for i := range src {
		src[i] = uint16(i)
	}
	dst := make([]float32, len(src))
	f16RowAVX2(&dst[0], &src[0], len(src))
	for h, got := range dst {
		want := F16ToF32(uint16(h))
		if math.IsNaN(float64(want)) {
			require.True(t, math.IsNaN(float64(got)), "half %#04x", h)
			continue
		}
		require.Equal(t, math.Float32bits(want), math.Float32bits(got), "half %#04x", h)
	}
}

// TestQ8RowMatchesRow checks the assembly dequantiser against Mat.Row on
// every int8 value and a spread of scales, subnormal halves included.
func TestQ8RowMatchesRow(t *testing.T) {
	if !hasAVX2 {
		t.Skip("no AVX2/F16C")
	}
	scales := []uint16{0x0001, 0x03ff, 0x0400, 0x2000, 0x3c00, 0xbc00, 0x7bff, 0x0000}
	const perRow = 256 / Q8Block // every int8 value once per row
	raw := make([]byte, len(scales)*perRow*Q8BlockBytes)
	for s, d := range scales {
		for b := 0; b < perRow; b++ {
			blk := raw[(s*perRow+b)*Q8BlockBytes:]
			blk[0], blk[1] = byte(d), byte(d>>8)
			for j := 0; j < Q8Block; j++ {
				blk[2+j] = byte(b*Q8Block + j)
			}
		}
	}
	m := Mat{Type: Q8_0, Rows: len(scales), Cols: 256, Raw: raw}
	want := make([]float32, 256)
	got := make([]float32, 256)
	for r := range scales {
		m.Row(want, r)
		q8RowAVX2(&got[0], &raw[r*perRow*Q8BlockBytes], perRow)
		require.Equal(t, want, got, "scale %#04x", scales[r])
	}
}
