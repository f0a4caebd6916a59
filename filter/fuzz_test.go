package filter

import (
	"testing"
	"unicode/utf8"

	"github.com/degen-llm/degen/detect"
)

// isSubsequence reports whether a can be made from b by deleting bytes.
func isSubsequence(a, b string) bool {
	i := 0
	for j := 0; j < len(b) && i < len(a); j++ {
		if a[i] == b[j] {
			i++
		}
	}
	return i == len(a)
}

// FuzzCollapse checks that CollapseRepeats only deletes (what is kept is
// the original text), keeps UTF-8 valid, reports a removal exactly when the
// text changed, and that TruncateLoop splits the text without losing any
// of it.
func FuzzCollapse(f *testing.F) {
	f.Add("wäre wäre wäre wäre wäre wäre wäre wäre wäre.")
	f.Add("He was happy with his new bike.\nHe was happy with his new bike.\nHe was happy with his new bike.")
	f.Add("后来怎么大作业写不出来，大作业写不出来，大作业写不出来，大作业写不出来，大作业写不出来。")
	f.Fuzz(func(t *testing.T, text string) {
		out, removed := CollapseRepeats(text)
		if !isSubsequence(out, text) {
			t.Fatalf("output %q is not the input %q with parts deleted", out, text)
		}
		if utf8.ValidString(text) && !utf8.ValidString(out) {
			t.Fatalf("invalid UTF-8 from valid input: %q", out)
		}
		if (removed == 0) != (out == text) {
			t.Fatalf("removed %d but changed=%v", removed, out != text)
		}
		res := detect.Detect(text, nil, detect.DefaultOptions())
		kept, _ := TruncateLoop(text, res.Loop)
		if utf8.ValidString(text) && !utf8.ValidString(kept) {
			t.Fatalf("cut %q inside a character: kept %q", text, kept)
		}
	})
}
