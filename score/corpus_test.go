package score

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func addText(t testing.TB, c *Corpus, s *Scorer, text, group string) Result {
	t.Helper()
	r := mustScore(t, s, text)
	require.NoError(t, c.Add(&r, s.Keys(), text, group))
	return r
}

func mustCorpus(t testing.TB, o CorpusOptions) *Corpus {
	t.Helper()
	c, err := NewCorpus(o)
	require.NoError(t, err)
	return c
}

// TestCorpusReference reproduces the corpus file: SimCTG pooled over all
// non-empty cases and over each group, and each group's self-BLEU,
// homogenization and self-repetition through the streaming path.
func TestCorpusReference(t *testing.T) {
	ref := loadCorpusRef(t)
	cases := loadCases(t)
	texts := caseTexts(t)
	s := mustScorer(t, Options{Tokens: Whitespace})

	c := mustCorpus(t, CorpusOptions{KeepGroups: true, GroupSize: 4})
	for _, cs := range cases {
		if slices.Contains(ref.SimCTG.MemberIDs, cs.ID) {
			addText(t, c, s, cs.Text, cs.Group)
		}
	}
	sum := c.Summary()
	assert.Equal(t, len(ref.SimCTG.MemberIDs), sum.Records)
	assert.InDelta(t, ref.SimCTG.Rep2, sum.SimCTGRep[0], 1e-9)
	assert.InDelta(t, ref.SimCTG.Rep3, sum.SimCTGRep[1], 1e-9)
	assert.InDelta(t, ref.SimCTG.Rep4, sum.SimCTGRep[2], 1e-9)
	assert.InDelta(t, ref.SimCTG.Diversity, sum.SimCTGDiversity, 1e-9)

	require.Len(t, sum.Groups.List, len(ref.Groups))
	assert.Equal(t, len(ref.Groups), sum.Groups.Count)
	var meanBLEU2 float64
	for _, g := range sum.Groups.List {
		want, ok := ref.Groups[g.Key]
		require.True(t, ok, g.Key)
		assert.Equal(t, 4, g.Records)
		assert.InDelta(t, want.SelfBLEU2, g.SelfBLEU[0], 1e-4, "%s self-BLEU-2", g.Key)
		assert.InDelta(t, want.SelfBLEU3, g.SelfBLEU[1], 1e-4, "%s self-BLEU-3", g.Key)
		assert.InDelta(t, want.SelfBLEU4, g.SelfBLEU[2], 1e-4, "%s self-BLEU-4", g.Key)
		assert.InDelta(t, want.Homogenization, g.Homogenization, 5e-4+1e-9, "%s homogenization", g.Key)
		assert.InDelta(t, want.SelfRep4, g.SelfRepetition, 1e-9, "%s self-repetition", g.Key)
		meanBLEU2 += want.SelfBLEU2 / float64(len(ref.Groups))
	}
	assert.InDelta(t, meanBLEU2, sum.Groups.SelfBLEU[0], 1e-4)

	for name, g := range ref.Groups {
		t.Run("simctg_"+name, func(t *testing.T) {
			gc := mustCorpus(t, CorpusOptions{CompressionLevel: -1})
			for _, id := range g.MemberIDs {
				addText(t, gc, s, texts[id], "")
			}
			gs := gc.Summary()
			assert.InDelta(t, g.SimCTG.Rep2, gs.SimCTGRep[0], 1e-9)
			assert.InDelta(t, g.SimCTG.Rep3, gs.SimCTGRep[1], 1e-9)
			assert.InDelta(t, g.SimCTG.Rep4, gs.SimCTGRep[2], 1e-9)
			assert.InDelta(t, g.SimCTG.Diversity, gs.SimCTGDiversity, 1e-9)
		})
	}
}

func TestCorpusHand(t *testing.T) {
	s := mustScorer(t, Options{Tokens: Whitespace})
	c := mustCorpus(t, CorpusOptions{})
	texts := []string{"the cat sat on the mat", "the cat sat on the mat", "a dog ran", ""}
	var rs []Result
	for _, x := range texts {
		rs = append(rs, addText(t, c, s, x, ""))
	}
	sum := c.Summary()
	assert.Equal(t, 4, sum.Records)
	assert.EqualValues(t, 15, sum.Tokens)
	// the cat sat on mat a dog ran
	assert.Equal(t, 8, sum.UniqSeq)

	byName := map[string]MetricSummary{}
	for _, m := range sum.Metrics {
		byName[m.Name] = m
	}
	// seq_rep_1: 1/6, 1/6, 0 and null for the empty text.
	m := byName["seq_rep_1"]
	assert.Equal(t, 3, m.Count)
	assert.Equal(t, 1, m.Null)
	assert.InDelta(t, (1.0/6+1.0/6+0)/3, m.Mean, 1e-12)
	assert.InDelta(t, (6*(1.0/6)+6*(1.0/6)+3*0)/15, m.TokenWeightedMean, 1e-12)
	// seq_rep_4: 0, 0, null (3 tokens), null.
	m = byName["seq_rep_4"]
	assert.Equal(t, 2, m.Count)
	assert.Equal(t, 2, m.Null)
	m = byName["tokens"]
	assert.InDelta(t, 15.0/4, m.Mean, 1e-12)
	assert.InDelta(t, (36.0+36+9)/15, m.TokenWeightedMean, 1e-12)
	// zlib_ratio is defined for all non-empty texts; the pooled ratio is
	// Σ bytes / Σ sizes.
	m = byName["zlib_ratio"]
	assert.Equal(t, 3, m.Count)
	assert.InDelta(t, float64(22+22+9)/float64(rs[0].ZlibSize+rs[1].ZlibSize+rs[2].ZlibSize), sum.ZlibRatioPooled, 1e-12)

	// Pooled distinct-1: 8 distinct of 15; distinct-2: the cat, cat sat,
	// sat on, on the, the mat, a dog, dog ran = 7 of 12.
	assert.Equal(t, []int{1, 2, 3, 4}, sum.PooledNGrams)
	assert.InDelta(t, 8.0/15, sum.PooledDistinct[0], 1e-12)
	assert.InDelta(t, 7.0/12, sum.PooledDistinct[1], 1e-12)
	// 4-grams: 3 distinct (of one text) over 3+3 = 6.
	assert.InDelta(t, 0.5, sum.PooledDistinct[3], 1e-12)
	// SimCTG: rep-2 counts 4+4+1 bigrams, unique 4+4+1 → 0.
	assert.Equal(t, [3]float64{0, 0, 0}, sum.SimCTGRep)
	// Python: len(' '.join(texts)) / len(gzip.compress(joined, 6)) = 56/52.
	assert.Equal(t, 6, sum.CompressionLevel)
	assert.InDelta(t, 56.0/52, sum.CompressionRatio, 1e-12)
	assert.Equal(t, 0, sum.Groups.Count)
	assert.True(t, math.IsNaN(sum.Groups.Homogenization))

	// Summary is final.
	r := mustScore(t, s, "x")
	assert.Error(t, c.Add(&r, s.Keys(), "x", ""))
	again := c.Summary()
	assert.Equal(t, string(sum.AppendJSON(nil)), string(again.AppendJSON(nil)))
}

func TestCorpusEmptyAndErrors(t *testing.T) {
	c := mustCorpus(t, CorpusOptions{})
	sum := c.Summary()
	assert.Equal(t, 0, sum.Records)
	assert.True(t, math.IsNaN(sum.SimCTGRep[0]) && math.IsNaN(sum.SimCTGDiversity))
	assert.True(t, math.IsNaN(sum.PooledDistinct[0]) && math.IsNaN(sum.CompressionRatio))
	var v map[string]any
	require.NoError(t, json.Unmarshal(sum.AppendJSON(nil), &v))

	for _, o := range []CorpusOptions{{NGrams: []int{0}}, {BLEUOrders: []int{40}}, {CompressionLevel: 2}, {GroupSize: -1}, {SelfRepetitionN: -1}} {
		_, err := NewCorpus(o)
		assert.Error(t, err, "%+v", o)
	}

	s := mustScorer(t, Options{})
	c = mustCorpus(t, CorpusOptions{GroupSize: 2})
	r := mustScore(t, s, "a b")
	assert.Error(t, c.Add(&r, s.Keys()[:1], "a b", ""), "keys do not match")
	require.NoError(t, c.Add(&r, s.Keys(), "a b", "g"))
	require.NoError(t, c.Add(&r, s.Keys(), "a b", "g")) // g finishes here
	assert.Error(t, c.Add(&r, s.Keys(), "a b", "g"), "g reappears")
	s2 := mustScorer(t, Options{NGrams: []int{2}})
	r2 := mustScore(t, s2, "a b")
	assert.Error(t, c.Add(&r2, s2.Keys(), "a b", ""), "different n-gram orders")
}

func TestCorpusGroups(t *testing.T) {
	s := mustScorer(t, Options{})
	// Interleaved groups held until Summary; a one-record group is counted
	// apart and stays out of the means.
	c := mustCorpus(t, CorpusOptions{KeepGroups: true})
	addText(t, c, s, "a b c d", "p1")
	addText(t, c, s, "x y z", "p2")
	addText(t, c, s, "a c d e", "p1")
	addText(t, c, s, "lonely text", "p3")
	addText(t, c, s, "x y z", "p2")
	addText(t, c, s, "no group", "")
	sum := c.Summary()
	g := sum.Groups
	assert.Equal(t, 2, g.Count)
	assert.Equal(t, 1, g.Singletons)
	require.Len(t, g.List, 3)
	assert.Equal(t, []string{"p1", "p2", "p3"}, []string{g.List[0].Key, g.List[1].Key, g.List[2].Key})
	assert.InDelta(t, 0.75, g.List[0].Homogenization, 1e-12) // LCS a c d of 4 and 4
	assert.Equal(t, 1.0, g.List[1].Homogenization)           // identical
	assert.True(t, math.IsNaN(g.List[2].Homogenization))
	assert.InDelta(t, (0.75+1)/2, g.Homogenization, 1e-12)
	want := SelfBLEU([]string{"a b c d", "a c d e"}, 2, 3, 4)
	assert.InDeltaSlice(t, want, g.List[0].SelfBLEU, 1e-12)
	assert.InDelta(t, (want[0]+1)/2, g.SelfBLEU[0], 1e-12)
	// p2: the 4-gram-free texts share nothing → ln 1 = 0 each.
	assert.Equal(t, 0.0, g.List[1].SelfRepetition)

	js := string(sum.AppendJSON(nil))
	var v map[string]any
	require.NoError(t, json.Unmarshal([]byte(js), &v), js)
	assert.True(t, strings.HasPrefix(js, `{"records":6,"tokens":18,"metrics":{"tokens":{"count":6,"null":0,"mean":`), js)
	assert.Contains(t, js, `"groups":{"count":2,"singletons":1,"self_bleu_2":`)
	assert.Contains(t, js, `"list":[{"group":"p1","records":2,"self_bleu_2":`)
	assert.Contains(t, js, `{"group":"p3","records":1,"self_bleu_2":null,"self_bleu_3":null,"self_bleu_4":null,"homogenization_rougel":null,"self_repetition_4":0}`)

	md := sum.Markdown()
	assert.Contains(t, md, "| metric | records | null | mean | token-weighted mean |\n|---|---:|---:|---:|---:|\n| tokens | 6 | 0 | ")
	assert.Contains(t, md, "| homogenization ROUGE-L (mean over groups) | 0.875 |")
	assert.Contains(t, md, "| single-record groups | 1 |")
	// Two headers, the metric rows, a blank line and 20 corpus rows.
	assert.Equal(t, 2+len(sum.Metrics)+1+2+20, strings.Count(md, "\n"))
}

// TestCorpusPooledExact checks the pooled sets against exact
// string sets on a corpus with many distinct n-grams.
func TestCorpusPooledExact(t *testing.T) {
	s := mustScorer(t, Options{Tokens: Whitespace})
	c := mustCorpus(t, CorpusOptions{CompressionLevel: -1})
	exact := make([]map[string]struct{}, 4)
	for i := range exact {
		exact[i] = map[string]struct{}{}
	}
	total := make([]int, 4)
	state := uint64(9)
	for range 300 {
		var words []string
		for range 50 {
			state = state*6364136223846793005 + 1442695040888963407
			words = append(words, "w"+strings.Repeat("x", int(state>>60))+string(rune('a'+(state>>33)%26)))
		}
		addText(t, c, s, strings.Join(words, " "), "")
		for n := 1; n <= 4; n++ {
			for i := 0; i+n <= len(words); i++ {
				exact[n-1][strings.Join(words[i:i+n], " ")] = struct{}{}
			}
			total[n-1] += len(words) - n + 1
		}
	}
	sum := c.Summary()
	for n := 1; n <= 4; n++ {
		assert.InDelta(t, float64(len(exact[n-1]))/float64(total[n-1]), sum.PooledDistinct[n-1], 1e-12, "n=%d", n)
	}
	assert.Equal(t, len(exact[0]), sum.UniqSeq)
}

// TestPooledDistinctEstimate pushes more distinct n-grams through a Corpus
// than its exact limit: the estimate must stay within 3 % (about four
// standard errors of the sketch) of the exact count, and be flagged.
func TestPooledDistinctEstimate(t *testing.T) {
	s := mustScorer(t, Options{NGrams: []int{1, 2}})
	exact, err := NewCorpus(CorpusOptions{NGrams: []int{1, 2}, ExactDistinct: -1, CompressionLevel: -1})
	require.NoError(t, err)
	sketch, err := NewCorpus(CorpusOptions{NGrams: []int{1, 2}, ExactDistinct: 5000, CompressionLevel: -1})
	require.NoError(t, err)
	var sb strings.Builder
	for doc := 0; doc < 400; doc++ {
		sb.Reset()
		for w := 0; w < 60; w++ {
			fmt.Fprintf(&sb, "w%d ", (doc*7919+w*104729)%30011)
		}
		r := mustScore(t, s, sb.String())
		require.NoError(t, exact.Add(&r, s.Keys(), sb.String(), ""))
		require.NoError(t, sketch.Add(&r, s.Keys(), sb.String(), ""))
	}
	e, k := exact.Summary(), sketch.Summary()
	assert.False(t, e.PooledDistinctEstimated)
	assert.True(t, k.PooledDistinctEstimated)
	assert.InEpsilon(t, e.PooledDistinct[1], k.PooledDistinct[1], 0.03)
	assert.Contains(t, string(k.AppendJSON(nil)), `"pooled_distinct_estimated":true`)
}

// TestFastCompression: klauspost's deflate gives a ratio close to zlib's on
// a corpus of some size.
func TestFastCompression(t *testing.T) {
	s := mustScorer(t, Options{})
	exact, err := NewCorpus(CorpusOptions{})
	require.NoError(t, err)
	fast, err := NewCorpus(CorpusOptions{FastCompression: true})
	require.NoError(t, err)
	for _, c := range loadCases(t) {
		r := mustScore(t, s, c.Text)
		require.NoError(t, exact.Add(&r, s.Keys(), c.Text, ""))
		require.NoError(t, fast.Add(&r, s.Keys(), c.Text, ""))
	}
	e, f := exact.Summary(), fast.Summary()
	t.Logf("compression ratio: zlib %.4f, klauspost %.4f", e.CompressionRatio, f.CompressionRatio)
	assert.InEpsilon(t, e.CompressionRatio, f.CompressionRatio, 0.05)
}
