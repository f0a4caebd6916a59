package detect

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/degen-llm/degen/detect/minhash"
)

const story = "Once upon a time there was a little cat named Tom. Tom liked to play in the garden with his red ball. " +
	"One day the ball rolled under the fence and Tom could not reach it. He asked the dog for help, and together they pushed the fence until the ball came back. " +
	"Tom was happy and thanked the dog. From that day on they played together every morning."

func TestGroupDetector(t *testing.T) {
	g := DefaultGroupDetector()
	edits := []string{
		story,
		strings.Replace(story, "little", "small", 1),
		strings.Replace(story, ".", "!", 2),
		strings.Join(strings.Fields(story)[:len(strings.Fields(story))-3], " "),
	}
	diverse := []string{
		story,
		"The sun was hot and the children went to the lake. They swam until the evening and ate cold watermelon on the shore.",
		"Grandma baked bread every Sunday. The smell filled the whole street and the neighbours always came to ask for a slice.",
		"A small boat drifted away from the harbour in the night. In the morning a fisherman found it near the rocks and towed it home.",
	}
	cases := []struct {
		name  string
		texts []string
		want  bool
	}{
		{"trivial edits", edits, true},
		{"exact copies", []string{story, story, story}, true},
		{"different stories", diverse, false},
		{"single member", []string{story}, false},
		{"empty", nil, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res := g.Check(c.texts)
			assert.Equal(t, c.want, res.Degenerate, "mean %v", res.MeanSimilarity)
			if c.want {
				assert.Equal(t, []string{ReasonHomogeneousGroup}, res.Reasons)
				assert.GreaterOrEqual(t, res.MeanSimilarity, 0.8)
			} else {
				assert.Empty(t, res.Reasons)
			}
		})
	}
	assert.Equal(t, 1.0, g.Check([]string{story, story}).MeanSimilarity)
}

func TestJaccard(t *testing.T) {
	h2, err := minhash.NewHasher(1, 2)
	require.NoError(t, err)
	h3, err := minhash.NewHasher(1, 3)
	require.NoError(t, err)
	a := shingleSet(h2, "a b c d")  // ab bc cd
	b := shingleSet(h2, "A, b c e") // ab bc ce
	assert.Len(t, a, 3)
	assert.InDelta(t, 2.0/4, jaccard(a, b), 1e-12)
	assert.Equal(t, 1.0, jaccard(shingleSet(h3, ""), shingleSet(h3, "...")))
	// Shorter than a shingle: the whole text is one shingle.
	assert.Len(t, shingleSet(h3, "one two"), 1)
	// CJK characters are tokens: 5 characters give 3 trigrams.
	assert.Len(t, shingleSet(h3, "插座插座好"), 3)
}

func TestCorpusIndex(t *testing.T) {
	c, err := NewCorpusIndex(0.8)
	require.NoError(t, err)
	// Stories that share the template but differ in most shingles.
	for i := range 50 {
		text := fmt.Sprintf("Story %d: the %d foxes met %d owls near river %d and talked about %d stars until day %d came.", i, i*7, i*3, i%9, i*11, i*13)
		c.Add(fmt.Sprintf("r%d", i), "", text)
	}
	c.Add("story", "g1", story)

	dup, sim := c.Query("", strings.Replace(story, "little", "small", 1))
	assert.Equal(t, "story", dup)
	assert.GreaterOrEqual(t, sim, 0.8)

	// Same group: the group detector's business, not a corpus duplicate.
	dup, _ = c.Query("g1", story)
	assert.Equal(t, "", dup)
	dup, sim = c.Query("g2", story)
	assert.Equal(t, "story", dup)
	assert.Equal(t, 1.0, sim)

	dup, sim = c.Query("", "A completely different text about the weather in the mountains during a long cold winter.")
	assert.Equal(t, "", dup)
	assert.Equal(t, 0.0, sim)

	_, err = NewCorpusIndex(0)
	assert.Error(t, err)
}

// Reworded copies of one answer (one word in six changed, so most
// 3-shingles break) share their bigrams: self-BLEU-2 flags the group that
// the shingle Jaccard lets through.
func TestGroupSelfBLEUReworded(t *testing.T) {
	base := strings.Fields("the old harbour town wakes early and the fishermen carry their nets down to the boats while the gulls circle above the grey water and the bakers open their doors to the first customers of the day")
	texts := make([]string, 4)
	for v := range texts {
		w := slices.Clone(base)
		for i := v; i < len(w); i += 6 {
			w[i] = w[i] + "s"
		}
		texts[v] = strings.Join(w, " ")
	}
	g := DefaultGroupDetector()
	r := g.Check(texts)
	if r.MeanSimilarity >= g.Threshold {
		t.Fatalf("test texts too alike for the shingle check: %v", r.MeanSimilarity)
	}
	if !r.Degenerate || r.SelfBLEU2 < g.SelfBLEU {
		t.Errorf("reworded group not flagged: %+v", r)
	}
	g.SelfBLEU = 0
	if g.Check(texts).Degenerate {
		t.Errorf("flagged with the self-BLEU check off")
	}
}
