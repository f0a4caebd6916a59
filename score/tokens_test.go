package score

import (
	"math"
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

// TestWordsCJKPunctuationOnLatin: CJK punctuation is not split off Latin
// words, so a text without CJK letters gets the papers' whitespace-split
// metrics under Words too, and a mixed text splits only at its CJK letters.
func TestWordsCJKPunctuationOnLatin(t *testing.T) {
	words := mustScorer(t, Options{Tokens: Words})
	ws := mustScorer(t, Options{Tokens: Whitespace})
	for _, text := range []string{
		"say 「ok」。 say 「ok」。 say",
		"he said，「no」！ and left。 he said，「no」！",
		"ＡＢＣ： one、two、three ＡＢＣ： one",
	} {
		w, r := mustScore(t, words, text), mustScore(t, ws, text)
		assert.Equal(t, r.Tokens, w.Tokens, text)
		assert.Equal(t, r.SeqRep, w.SeqRep, text)
		assert.Equal(t, r.Distinct, w.Distinct, text)
		assert.Equal(t, r.EntropyBits, w.EntropyBits, text)
		assert.Equal(t, r.LongestRepeat, w.LongestRepeat, text)
	}
	// Hand count: say 「ok」。 say 「ok」。 say is 5 tokens of 2 kinds:
	// seq-rep-1 = 1 − 2/5, bigrams 2 kinds of 4 → 0.5; p = 3/5, 2/5.
	r := mustScore(t, words, "say 「ok」。 say 「ok」。 say")
	assert.Equal(t, 5, r.Tokens)
	assert.InDelta(t, 0.6, r.SeqRep[0], 1e-12)
	assert.InDelta(t, 0.5, r.SeqRep[1], 1e-12)
	assert.InDelta(t, -(0.6*math.Log2(0.6) + 0.4*math.Log2(0.4)), r.EntropyBits, 1e-12)
	// Mixed script: 我说「ok」。我说「ok」。 is 我 说 「ok」。 twice (6 tokens,
	// 3 kinds), where a whitespace split sees one token.
	r = mustScore(t, words, "我说「ok」。我说「ok」。")
	assert.Equal(t, 6, r.Tokens)
	assert.InDelta(t, 0.5, r.SeqRep[0], 1e-12)
	assert.Equal(t, 1, mustScore(t, ws, "我说「ok」。我说「ok」。").Tokens)
}
