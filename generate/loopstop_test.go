package generate

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestTailLoop(t *testing.T) {
	rep := func(block []int, n int) []int {
		var out []int
		for i := 0; i < n; i++ {
			out = append(out, block...)
		}
		return out
	}
	cases := []struct {
		name string
		ids  []int
		want int
	}{
		{"empty", nil, 0},
		{"one token 7 times", rep([]int{5}, 7), 0},
		{"one token 8 times", rep([]int{5}, 8), 1},
		{"pair 4 times", append([]int{9}, rep([]int{1, 2}, 4)...), 0},
		{"pair 5 times", append([]int{9}, rep([]int{1, 2}, 5)...), 2},
		{"sentence of 9 twice", rep([]int{1, 2, 3, 4, 5, 6, 7, 8, 9}, 2), 0},
		{"sentence of 9 three times", append([]int{0, 0}, rep([]int{1, 2, 3, 4, 5, 6, 7, 8, 9}, 3)...), 9},
		{"loop not at the tail", append(rep([]int{3}, 10), 4, 5, 6), 0},
		{"block longer than 64", rep(func() []int {
			b := make([]int, 65)
			for i := range b {
				b[i] = i
			}
			return b
		}(), 3), 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			assert.Equal(t, c.want, tailLoop(c.ids))
		})
	}
}

func TestStoppersReason(t *testing.T) {
	s := &stoppers{list: []Stopper{&loopStopper{}}}
	for i := 0; i < 7; i++ {
		assert.False(t, s.Add(3))
	}
	c := s.Clone()
	assert.True(t, s.Add(3))
	assert.Equal(t, FinishRepetition, stopReason(s))
	// The clone forked before the loop completed and goes on by itself.
	assert.True(t, c.Add(3))
	assert.Equal(t, FinishRepetition, stopReason(c))
	assert.Equal(t, FinishStop, stopReason(&textStopper{}))
}
