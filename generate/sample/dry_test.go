package sample

import (
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// toyVocab: one token per piece; encode splits text greedily into the
// longest pieces, enough for the breaker tails of these tests.
type toyVocab []string

func (v toyVocab) piece(id int) string { return v[id] }

func (v toyVocab) encode(s string) []int32 {
	var out []int32
	for s != "" {
		best, bl := -1, 0
		for id, p := range v {
			if len(p) > bl && strings.HasPrefix(s, p) {
				best, bl = id, len(p)
			}
		}
		if best < 0 {
			return out
		}
		out = append(out, int32(best))
		s = s[bl:]
	}
	return out
}

func (v toyVocab) ids(words string) []int32 {
	var out []int32
	for _, w := range strings.Fields(words) {
		out = append(out, int32(slices.Index(v, w)))
	}
	return out
}

func newDRY(t *testing.T, v toyVocab, m, base float32, allowed, lastN int, breakers ...string) *DRY {
	t.Helper()
	d, err := NewDRY(m, base, allowed, lastN, breakers, len(v), v.piece, v.encode)
	require.NoError(t, err)
	return d
}

// penalties returns how much DRY lowered each id's logit from zero.
func dryPenalties(d *DRY, v toyVocab, toks []int32) []float32 {
	c := cands(make([]float32, len(v))...)
	d.Process(&History{Tokens: toks}, c)
	out := make([]float32, len(v))
	for i, l := range c.Logits {
		out[c.IDs[i]] = -l
	}
	return out
}

func TestDRYWorkedExamples(t *testing.T) {
	abc := toyVocab{"a", "b", "c", "d", "y", "x", "q", ":", "\n", "ab"}
	pen := func(kv ...any) []float32 {
		out := make([]float32, len(abc))
		for i := 0; i < len(kv); i += 2 {
			out[slices.Index(abc, kv[i].(string))] = float32(kv[i+1].(float64))
		}
		return out
	}
	tests := []struct {
		name string
		d    *DRY
		ctx  string
		want []float32
	}{
		// decoding.md §3.4: "d" would extend a length-3 repeat: 0.8·1.75¹.
		{"decoding.md a b c d a b c", newDRY(t, abc, 0.8, 1.75, 2, -1), "a b c d a b c", pen("d", 0.8*1.75)},
		// llama.cpp's comment: repeat counts 0 0 3 1 0 2 0 0 0 0 → c extends
		// a 3-repeat, y a 2-repeat, b only a 1-repeat (below allowed).
		{"llama.cpp a b c c b c y a b c", newDRY(t, abc, 1, 1.75, 2, -1), "a b c c b c y a b c", pen("c", 1.75, "y", 1.0)},
		{"allowed length 1 also penalises b", newDRY(t, abc, 1, 2, 1, -1), "a b c c b c y a b c", pen("c", 4.0, "y", 2.0, "b", 1.0)},
		{"window too short", newDRY(t, abc, 1, 2, 2, -1), "a a", pen()},
		{"last_n keeps only the recent repeat", newDRY(t, abc, 1, 2, 2, 5), "a b c d a b c", pen()},
		{"last_n 6 sees b c d a b c", newDRY(t, abc, 1, 2, 2, 6), "a b c d a b c", pen("d", 1.0)},
		{"off when last_n 0", newDRY(t, abc, 1, 2, 2, 0), "a b c d a b c", pen()},
		{"off when multiplier 0", newDRY(t, abc, 0, 2, 2, -1), "a b c d a b c", pen()},
		{"a run of one token", newDRY(t, abc, 1, 2, 2, -1), "a a a a", pen("a", 2.0)},
		// ": a b" repeats, but the breaker caps the match at the 2 tokens
		// after the newest ":".
		{"breaker caps the length", newDRY(t, abc, 1, 2, 2, -1, ":"), "x : a b q : a b", pen("q", 1.0)},
		{"without the breaker", newDRY(t, abc, 1, 2, 2, -1), "x : a b q : a b", pen("q", 2.0)},
		{"cap below allowed length stops DRY", newDRY(t, abc, 1, 2, 3, -1, ":"), "x : a b q : a b", pen()},
		{"breaker as newest token stops DRY", newDRY(t, abc, 1, 2, 2, -1, ":"), "a b : a b :", pen()},
		{"a one-token breaker is never penalised", newDRY(t, abc, 1, 2, 2, -1, ":"), "a b : a b", pen()},
		{"same without breakers", newDRY(t, abc, 1, 2, 2, -1), "a b : a b", pen(":", 1.0)},
		// Breaker "ab" spans the tokens a, b: the pair caps the repeat
		// "a b c d" at the 2 tokens after it.
		{"multi-token breaker", newDRY(t, abc, 1, 2, 2, -1, "ab"), "a b c d x a b c d", pen("x", 1.0)},
		{"same without", newDRY(t, abc, 1, 2, 2, -1), "a b c d x a b c d", pen("x", 4.0)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.InDeltaSlice(t, tt.want, dryPenalties(tt.d, abc, abc.ids(tt.ctx)), 1e-5)
		})
	}
}

func TestDRYBreakerPreprocessing(t *testing.T) {
	v := toyVocab{"a", "b", "ab", "xa", "c:d", "\n\n", "<0x0A>", "bab"}
	d := newDRY(t, v, 1, 1.75, 2, -1, "ab", "\n")
	assert.Equal(t, map[int32][][]int32{
		0: {{1}}, // "a" ends with "a", the tail "b" is token 1
		2: {nil}, // contains "ab"
		3: {{1}}, // "xa" ends with "a"
		5: {nil}, // contains "\n"
		7: {nil}, // "bab" contains "ab"
	}, d.breakers)
	assert.True(t, d.singleBreaker(2))
	assert.False(t, d.singleBreaker(0))

	t.Run("long breakers are cut to 40 bytes", func(t *testing.T) {
		d := newDRY(t, v, 1, 1.75, 2, -1, strings.Repeat("z", 50))
		assert.Equal(t, []string{strings.Repeat("z", 40)}, d.breakerNames)
	})
	t.Run("multi-token breaker needs an encoder", func(t *testing.T) {
		_, err := NewDRY(1, 1.75, 2, -1, []string{"ab"}, len(v), v.piece, nil)
		assert.ErrorContains(t, err, "spans tokens")
	})
	t.Run("breakers need the texts", func(t *testing.T) {
		_, err := NewDRY(1, 1.75, 2, -1, []string{"\n"}, len(v), nil, nil)
		assert.Error(t, err)
	})
}

func TestDRYExponentClamp(t *testing.T) {
	v := toyVocab{"a", "b"}
	toks := make([]int32, 201) // 200 repeats of "a"
	// Base 3: llama.cpp clamps the exponent to int(88.7228391f / logf(3)) =
	// 80, so the penalty is 3^80 rather than 3^198.
	got := dryPenalties(newDRY(t, v, 1, 3, 2, -1), v, toks)
	assert.Equal(t, float32(math.Pow(3, 80)), got[0])
	// Base 2: in float32 the bound is exactly 128 and 2^128 overflows, so
	// llama.cpp's penalty is +Inf there; we reproduce that edge.
	got = dryPenalties(newDRY(t, v, 1, 2, 2, -1), v, toks)
	assert.True(t, math.IsInf(float64(got[0]), 1))
}

// The Z-algorithm pass must give the same penalties as a direct O(n²)
// reading of the definition, with and without breakers.
func TestDRYMatchesNaiveDefinition(t *testing.T) {
	v := toyVocab{"a", "b", "c", ":", "d"}
	r := rand.New(rand.NewPCG(5, 6))
	for trial := range 300 {
		n := r.IntN(40)
		toks := make([]int32, n)
		for i := range toks {
			toks[i] = int32(r.IntN(len(v)))
			if r.IntN(3) > 0 {
				toks[i] = int32(r.IntN(2)) // mostly a and b: many repeats
			}
		}
		allowed := r.IntN(4)
		var br []string
		if r.IntN(2) == 0 {
			br = []string{":"}
		}
		d := newDRY(t, v, 0.5, 1.5, allowed, -1, br...)
		want := naiveDRY(toks, allowed, 0.5, 1.5, len(v), slices.Contains(br, ":"))
		require.InDeltaSlice(t, want, dryPenalties(d, v, toks), 1e-4, "trial %d %v allowed %d breakers %v", trial, toks, allowed, br)
	}
}

// naiveDRY: token 3 (":") is the only breaker when colon is set.
func naiveDRY(w []int32, allowed int, m, base float64, vocab int, colon bool) []float32 {
	out := make([]float32, vocab)
	n := len(w)
	if n <= allowed {
		return out
	}
	limit := n
	if colon {
		for i := 0; i < n; i++ {
			if w[n-1-i] == 3 {
				limit = i
				break
			}
		}
	}
	if limit < allowed {
		return out
	}
	best := map[int32]int{}
	for i := 0; i < n-1; i++ {
		l := 0
		for l <= i && w[i-l] == w[n-1-l] {
			l++
		}
		l = min(l, limit)
		if l >= allowed {
			if b, ok := best[w[i+1]]; !ok || l > b {
				best[w[i+1]] = l
			}
		}
	}
	for tok, l := range best {
		if colon && tok == 3 {
			continue
		}
		out[tok] = float32(m * math.Pow(base, float64(l-allowed)))
	}
	return out
}
