package sample

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestScopeWindow(t *testing.T) {
	h := hist(3, 1, 10, 11, 20, 21, 22)
	tests := []struct {
		s    Scope
		want []int32
	}{
		{Scope{}, []int32{1, 10, 11, 20, 21, 22}},
		{Scope{LastN: -1}, []int32{1, 10, 11, 20, 21, 22}},
		{Scope{LastN: 2}, []int32{21, 22}},
		{Scope{LastN: 100}, []int32{1, 10, 11, 20, 21, 22}},
		{Scope{SkipPrompt: true}, []int32{20, 21, 22}},
		{Scope{SkipPrompt: true, LastN: 2}, []int32{21, 22}},
		{Scope{SkipPrompt: true, LastN: 5}, []int32{20, 21, 22}},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, tt.s.Window(h), "%+v", tt.s)
	}
	assert.Empty(t, Scope{SkipPrompt: true}.Window(nil))
	assert.Equal(t, 3, h.Generated())
	assert.Equal(t, 0, (*History)(nil).Generated())
}
