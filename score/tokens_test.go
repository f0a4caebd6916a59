package score

import (
	"strings"
	"testing"

	"github.com/degen-llm/degen/internal/textseg"
	"github.com/stretchr/testify/assert"
)

func collect(text string, chars bool) []string {
	var out []string
	splitSeg(text, chars, func(t string) { out = append(out, t) })
	return out
}

var segSeeds = []string{
	"", " ", "hello world", "  lead and trail  ", "tab\tnew\nline\r\nvt\vff\f",
	"我爱你，中国。Hello世界 ok", "カタカナ ひらがな 한국어", "nbsp\u00a0here\u2003em\u3000ideo",
	"\x1cfs\x1dgs", "e\u0301t Straße", "\xff\xfe bad utf8 \xc3", "ＡＢＣ，！", "x_y-z 3.14",
}

func TestSplitSegMatchesTextseg(t *testing.T) {
	for _, s := range segSeeds {
		for _, chars := range []bool{false, true} {
			mode := textseg.Words
			if chars {
				mode = textseg.Chars
			}
			want := textseg.Strings(s, mode)
			if len(want) == 0 {
				want = nil
			}
			assert.Equal(t, want, collect(s, chars), "%q chars=%v", s, chars)
		}
	}
	// Python's split differs from Go's IsSpace on U+001C..U+001F only.
	assert.Equal(t, []string{"\x1cfs\x1dgs"}, collect("\x1cfs\x1dgs", false))
	assert.Equal(t, []string{"fs", "gs"}, WhitespaceTokens("\x1cfs\x1dgs"))
	assert.Equal(t, strings.Fields("a b"), WhitespaceTokens(" a  b "))
}

func FuzzSplitSeg(f *testing.F) {
	for _, s := range segSeeds {
		f.Add(s, false)
	}
	f.Fuzz(func(t *testing.T, s string, chars bool) {
		mode := textseg.Words
		if chars {
			mode = textseg.Chars
		}
		want := textseg.Strings(s, mode)
		got := collect(s, chars)
		if len(want) != len(got) {
			t.Fatalf("%q: textseg %q, splitSeg %q", s, want, got)
		}
		for i := range want {
			if want[i] != got[i] {
				t.Fatalf("%q: textseg %q, splitSeg %q", s, want, got)
			}
		}
	})
}
