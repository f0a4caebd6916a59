package score

import (
	"math"
	"testing"

	"github.com/degen-llm/degen/internal/textseg"
)

// FuzzScore runs every tokenisation on arbitrary text and checks what
// must hold whatever the text: no panic, the token count of textseg's
// split, ratios in range, distinct = 1 − seq_rep, nulls exactly when the
// text is too short, the longest repeat
// equal to the quadratic definition, zlib sizes positive.
func FuzzScore(f *testing.F) {
	for _, s := range segSeeds {
		f.Add(s)
	}
	f.Add("a a a a a")
	f.Add("我爱你我爱你我爱你")
	scorers := map[Tokenization]*Scorer{}
	for _, tk := range []Tokenization{Words, Chars, Whitespace} {
		scorers[tk] = mustScorer(f, Options{Tokens: tk, NGrams: []int{1, 2, 3, 4, 7}})
	}
	f.Fuzz(func(t *testing.T, text string) {
		if len(text) > 4000 {
			return
		}
		for tk, s := range scorers {
			r, err := s.Score(text)
			if err != nil {
				t.Fatal(err)
			}
			var toks []string
			switch tk {
			case Whitespace:
				toks = WhitespaceTokens(text)
			case Chars:
				toks = textseg.Strings(text, textseg.Chars)
			default:
				toks = textseg.Strings(text, textseg.Words)
			}
			if r.Tokens != len(toks) {
				t.Fatalf("%v %q: %d tokens, want %d", tk, text, r.Tokens, len(toks))
			}
			for j, n := range r.NGrams {
				if (len(toks) < n) != math.IsNaN(r.SeqRep[j]) {
					t.Fatalf("%v %q: seq_rep_%d = %v with %d tokens", tk, text, n, r.SeqRep[j], len(toks))
				}
				if !math.IsNaN(r.SeqRep[j]) && (r.SeqRep[j] < 0 || r.SeqRep[j] >= 1 || math.Abs(r.SeqRep[j]+r.Distinct[j]-1) > 1e-12) {
					t.Fatalf("%v %q: seq_rep_%d %v distinct %v", tk, text, n, r.SeqRep[j], r.Distinct[j])
				}
			}
			// The naive check is cubic on a run of one token: keep it short.
			if len(toks) <= 300 {
				if want := naiveLongestRepeat(toks); r.LongestRepeat != want {
					t.Fatalf("%v %q: longest repeat %d, want %d", tk, text, r.LongestRepeat, want)
				}
			}
			if (text == "") != (r.ZlibSize == 0) || (len(toks) == 0) != math.IsNaN(r.EntropyBits) {
				t.Fatalf("%v %q: zlib size %d entropy %v", tk, text, r.ZlibSize, r.EntropyBits)
			}
			if r.EntropyBits < 0 || r.EntropyBits > math.Log2(float64(len(toks)))+1e-9 {
				t.Fatalf("%v %q: entropy %v for %d tokens", tk, text, r.EntropyBits, len(toks))
			}
		}
	})
}
