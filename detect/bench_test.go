package detect

import (
	"strings"
	"testing"
)

// BenchmarkDetect measures Detect on a long text: 20 000 words of varied
// prose followed by a loop.
func BenchmarkDetect(b *testing.B) {
	var sb strings.Builder
	x := uint32(1)
	for range 20000 {
		x = x*1664525 + 1013904223
		sb.WriteString(enPara[x%uint32(len(enPara)-8) : x%uint32(len(enPara)-8)+5])
		sb.WriteString(" ")
	}
	sb.WriteString(rep("The ships passed the harbour wall.", " ", 10))
	text := sb.String()
	opt := DefaultOptions()
	b.SetBytes(int64(len(text)))
	for b.Loop() {
		if !Detect(text, nil, opt).Degenerate {
			b.Fatal("loop not found")
		}
	}
}
