package sample

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestMassCut(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	for trial := range 200 {
		n := 1 + r.IntN(500)
		keys := make([]wkey, n)
		for i := range keys {
			keys[i] = wkey{k: float64(r.IntN(50)), w: r.Float64(), id: int32(i), i: int32(i)}
		}
		var total float64
		for _, k := range keys {
			total += k.w
		}
		target := r.Float64() * total * 1.1 // sometimes unreachable
		ref := slices.Clone(keys)
		slices.SortFunc(ref, cmpW)
		want, acc := n, 0.0
		for j, k := range ref {
			acc += k.w
			if acc >= target {
				want = j + 1
				break
			}
		}
		got := massCut(keys, target)
		// Summation order differs: the cut may move only where the running
		// mass is within rounding of the target. It must reach the target
		// (up to rounding) with got keys, and not before the last of them.
		if got != want {
			eps := 1e-9 * total
			mass := func(n int) (s float64) {
				for _, k := range ref[:n] {
					s += k.w
				}
				return s
			}
			if got < n {
				require.GreaterOrEqual(t, mass(got), target-eps, "trial %d: cut at %d stops short of the target", trial, got)
			}
			require.Less(t, mass(got-1), target+eps, "trial %d: cut at %d keeps a key past the target", trial, got)
			continue
		}
		gotSet := slices.Clone(keys[:got])
		slices.SortFunc(gotSet, cmpW)
		require.Equal(t, ref[:want], gotSet, "trial %d: the first K in order", trial)
	}
}

// naiveTopP and naiveTypical are direct readings of HF's definitions with a
// full sort, to check the selection-based paths on large vocabularies.
func naiveTopP(z []float32, p float64) []int32 {
	c := cands(z...)
	c.Softmax()
	c.Sort()
	var before float64
	var out []int32
	for i, id := range c.IDs {
		if i >= 1 && before >= p {
			break
		}
		before += float64(c.Probs[i])
		out = append(out, id)
	}
	slices.Sort(out)
	return out
}

func naiveTypical(z []float32, mass float64) []int32 {
	c := cands(z...)
	c.Softmax()
	var h float64
	for _, p := range c.Probs {
		if p > 0 {
			h -= float64(p) * math.Log(float64(p))
		}
	}
	type sc struct {
		s  float64
		id int32
		p  float64
	}
	var ss []sc
	for i, p := range c.Probs {
		s := math.Inf(1)
		if p > 0 {
			s = math.Abs(-math.Log(float64(p)) - h)
		}
		ss = append(ss, sc{s, int32(i), float64(p)})
	}
	slices.SortFunc(ss, func(a, b sc) int {
		if a.s != b.s {
			return cmpW(wkey{k: a.s}, wkey{k: b.s})
		}
		return int(a.id - b.id)
	})
	var cum float64
	last := 0
	for _, x := range ss {
		cum += x.p
		if cum >= mass {
			break
		}
		last++
	}
	last = min(last, len(ss)-1)
	var out []int32
	for r, x := range ss {
		if x.s <= ss[last].s || r < 1 {
			out = append(out, x.id)
		}
	}
	slices.Sort(out)
	return out
}

func TestLargeVocabTopPAndTypicalMatchDefinitions(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 14))
	for trial := range 20 {
		n := 300 + r.IntN(4000)
		z := make([]float32, n)
		for i := range z {
			z[i] = float32(math.Round(r.NormFloat64()*20) / 8) // coarse: many ties
		}
		for _, p := range []float32{0.05, 0.5, 0.9, 0.99} {
			c := cands(z...)
			TopP{P: p}.Process(nil, c)
			checkAligned(t, c)
			assert.Equal(t, naiveTopP(z, float64(p)), ids(c), "top_p trial %d p %v", trial, p)

			c = cands(z...)
			TypicalP{P: p}.Process(nil, c)
			checkAligned(t, c)
			assert.Equal(t, naiveTypical(z, float64(p)), ids(c), "typical trial %d p %v", trial, p)
		}
	}
}
