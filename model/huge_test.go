package model

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestAdviseHugeKeepsContents: the advice may change how pages are backed,
// never what they hold, and it accepts any length and alignment.
func TestAdviseHugeKeepsContents(t *testing.T) {
	for _, n := range []int{0, 1, 4095, 2 << 20, 5<<20 + 3} {
		b := make([]byte, n+7)[7:]
		want := make([]byte, n)
		for i := range b {
			b[i] = byte(i * 31)
			want[i] = b[i]
		}
		adviseHuge(b)
		// One comparison of the whole buffer: a require per byte takes
		// seconds under the race detector.
		require.True(t, bytes.Equal(want, b), "n=%d: contents changed", n)
	}
}
