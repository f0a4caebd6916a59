package filter

import (
	"github.com/degen-llm/degen/detect"
	"strings"
	"testing"
)

// The new kinds collapse: a 300-character "!!!!" run to three marks, a
// stutter to single words; separator lines, progress bars and "very very"
// stay as they are.
func TestCollapseCharRunsAndStutter(t *testing.T) {
	cases := []struct{ in, want string }{
		{"Great idea" + strings.Repeat("!", 300) + " Let us go.", "Great idea!!! Let us go."},
		{"✦ " + strings.Repeat("ny", 40), "✦ nynyny"},
		{"I I I I see see see see what what what what you you you you did did did did there there there there.", "I see what you did there."},
		{"Title\n" + strings.Repeat("=", 72) + "\nText.", "Title\n" + strings.Repeat("=", 72) + "\nText."},
		{"100%|" + strings.Repeat("█", 120) + "| 8/8", "100%|" + strings.Repeat("█", 120) + "| 8/8"},
		{"It was very very cold, no no, not that.", "It was very very cold, no no, not that."},
	}
	for _, c := range cases {
		got, _ := CollapseRepeats(c.in)
		if got != c.want {
			t.Errorf("CollapseRepeats(%.40q)\n got %q\nwant %q", c.in, got, c.want)
		}
	}
}

// --truncate-loops on a character run keeps the text before it and one
// copy of the unit; on a stutter it keeps the text before the stutter and
// its first word.
func TestTruncateCharRunAndStutter(t *testing.T) {
	cases := []struct{ in, want string }{
		{"Great idea" + strings.Repeat("!", 300), "Great idea!"},
		{"Answer: 5. " + strings.Repeat("ny", 40), "Answer: 5. ny"},
		{"Well. I I I see see see what what what you you you did did did there there there", "Well. I"},
	}
	opt := detect.DefaultOptions()
	for _, c := range cases {
		r := detect.Detect(c.in, nil, opt)
		kept, _ := TruncateLoop(c.in, r.Loop)
		if kept != c.want {
			t.Errorf("TruncateLoop(%.30q) = %q, want %q (reasons %v)", c.in, kept, c.want, r.Reasons)
		}
	}
}
