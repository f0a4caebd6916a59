package bench

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestMedian(t *testing.T) {
	assert.Equal(t, 0.0, median(nil))
	assert.Equal(t, 3.0, median([]float64{5, 3, 1}))
	assert.Equal(t, 2.5, median([]float64{4, 1, 3, 2}))
}

// TestMedianRow: each figure is its own median over rounds (so the ratio is
// the median of the per-round ratios, not the ratio of two medians), RSS is
// the smallest, and the fixed facts of the row are kept.
func TestMedianRow(t *testing.T) {
	rs := []Row{
		{Shape: "s", Type: "f32", Threads: 2, WeightBytes: 100, BandwidthGBs: 50, DecodeTokS: 90, DecodeRatio: 0.9, BatchTokS: 400, RSSBytes: 10},
		{Shape: "s", Type: "f32", Threads: 2, WeightBytes: 100, BandwidthGBs: 30, DecodeTokS: 80, DecodeRatio: 1.2, BatchTokS: 300, RSSBytes: 30},
		{Shape: "s", Type: "f32", Threads: 2, WeightBytes: 100, BandwidthGBs: 60, DecodeTokS: 100, DecodeRatio: 0.8, BatchTokS: 500, RSSBytes: 20},
	}
	m := medianRow(rs)
	assert.Equal(t, 50.0, m.BandwidthGBs)
	assert.Equal(t, 90.0, m.DecodeTokS)
	assert.Equal(t, 0.9, m.DecodeRatio)
	assert.Equal(t, 400.0, m.BatchTokS)
	assert.Equal(t, int64(10), m.RSSBytes)
	assert.Equal(t, "s", m.Shape)
	assert.Equal(t, int64(100), m.WeightBytes)
	assert.Equal(t, 90.0, rs[0].DecodeTokS, "the rounds themselves are left alone")
}
