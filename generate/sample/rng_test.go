package sample

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestRNGStreams(t *testing.T) {
	draw := func(seed, stream uint64) []uint64 {
		r := NewRNG(seed, stream)
		out := make([]uint64, 8)
		for i := range out {
			out[i] = r.Uint64()
		}
		return out
	}
	assert.Equal(t, draw(7, Stream(3, 1)), draw(7, Stream(3, 1)), "same seed and stream, same coins")
	assert.NotEqual(t, draw(7, Stream(3, 1)), draw(8, Stream(3, 1)), "seed matters")
	assert.NotEqual(t, draw(7, Stream(3, 1)), draw(7, Stream(3, 2)), "sample index matters")
	assert.NotEqual(t, draw(7, Stream(3, 1)), draw(7, Stream(4, 1)), "record index matters")
	assert.NotEqual(t, Stream(0, 1), Stream(1, 0))

	// The XTC coin stream of a state is not the selection stream.
	r := NewRNG(7, 9)
	c, ok := NewState(7, 9).coin()
	assert.True(t, ok)
	assert.NotEqual(t, r.Float32(), c)

	// A cloned state continues the same stream independently.
	s := NewState(1, 2)
	s.coin()
	u := s.Clone()
	a, _ := s.coin()
	b, _ := u.coin()
	assert.Equal(t, a, b)
}
