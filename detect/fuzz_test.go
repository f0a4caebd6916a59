package detect

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzDetect checks that Detect never panics and that a reported loop is
// placed consistently: offsets agree, the unit is at the start, and the
// loop has at least one copy.
func FuzzDetect(f *testing.F) {
	f.Add("carrying carrying carrying carrying carrying carrying carrying carrying carrying")
	f.Add("插座插座插座插座插座插座插座插座插座")
	f.Add("Day 3: it rained. Day 4: it rained. Day 5: it rained. Day 6: it rained.")
	f.Fuzz(func(t *testing.T, text string) {
		res := Detect(text, nil, DefaultOptions())
		if res.Degenerate != (len(res.Reasons) > 0) {
			t.Fatalf("degenerate=%v with reasons %v", res.Degenerate, res.Reasons)
		}
		l := res.Loop
		if l == nil {
			return
		}
		if l.StartByte < 0 || l.StartByte > len(text) {
			t.Fatalf("start byte %d outside text of %d bytes", l.StartByte, len(text))
		}
		if !strings.HasPrefix(text[l.StartByte:], l.Unit) {
			t.Fatalf("text at %d does not start with unit %q", l.StartByte, l.Unit)
		}
		if utf8.ValidString(text) && l.StartChar != utf8.RuneCountInString(text[:l.StartByte]) {
			t.Fatalf("start char %d does not match start byte %d", l.StartChar, l.StartByte)
		}
		if l.Period < 1 || l.Copies < 1 {
			t.Fatalf("period %d copies %v", l.Period, l.Copies)
		}
	})
}
