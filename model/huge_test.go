package model

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// TestAdviseHugeKeepsContents: the advice may change how pages are backed,
// never what they hold, and it accepts any length and alignment.
func TestAdviseHugeKeepsContents(t *testing.T) {
	for _, n := range []int{0, 1, 4095, 2 << 20, 5<<20 + 3} {
		b := make([]byte, n+7)[7:]
		for i := range b {
			b[i] = byte(i * 31)
		}
		adviseHuge(b)
		for i := range b {
			require.Equal(t, byte(i*31), b[i], "n=%d byte %d", n, i)
		}
	}
}
