package detect

import (
	"fmt"

	"github.com/degen-llm/degen/detect/minhash"
	"github.com/degen-llm/degen/score"
)

// GroupDetector flags a group of outputs of one prompt whose members are
// near-identical (mode collapse across seeds): the mean pairwise Jaccard
// similarity of their shingle sets is at least Threshold.
type GroupDetector struct {
	// Threshold on the mean pairwise similarity. Default 0.6: trivial
	// edits (a swapped synonym, punctuation, a dropped last word) keep
	// 3-shingle Jaccard above 0.8, while different samples of one prompt,
	// or poems of one author, share few 3-shingles (below 0.1).
	Threshold float64
	// ShingleSize is the number of normalised tokens per shingle (CJK
	// characters count one each). Default 3.
	ShingleSize int
	// SelfBLEU is the group's self-BLEU-2 (score.SelfBLEU: each text
	// against the others, Texygen's definition) at or above which the
	// group is homogeneous even when its texts share few 3-shingles:
	// reworded versions of one answer keep their bigrams. Default 0.7
	// (0 turns it off), measured on the public set: groups of different
	// samples, poems of one poet or recipes on one template score
	// 0.18–0.39, groups of near-copies 0.98–0.99.
	SelfBLEU float64
}

// DefaultGroupDetector returns a GroupDetector with the documented
// defaults.
func DefaultGroupDetector() GroupDetector {
	return GroupDetector{Threshold: 0.6, ShingleSize: 3, SelfBLEU: 0.7}
}

// GroupResult is the verdict on a group.
type GroupResult struct {
	Degenerate     bool     `json:"degenerate"`
	Reasons        []string `json:"reasons"`
	MeanSimilarity float64  `json:"mean_similarity"`
	MinSimilarity  float64  `json:"min_similarity"`
	SelfBLEU2      float64  `json:"self_bleu_2"`
}

// Check judges the texts of one group. Fewer than two texts are never
// degenerate.
func (g GroupDetector) Check(texts []string) GroupResult {
	res := GroupResult{Reasons: []string{}}
	if len(texts) < 2 {
		return res
	}
	h, err := minhash.NewHasher(1, max(1, g.ShingleSize))
	if err != nil { // unreachable: both arguments are positive
		panic(err)
	}
	sets := make([]map[uint64]struct{}, len(texts))
	for i, t := range texts {
		sets[i] = shingleSet(h, t)
	}
	sum, pairs := 0.0, 0
	res.MinSimilarity = 1
	for i := range sets {
		for j := i + 1; j < len(sets); j++ {
			s := jaccard(sets[i], sets[j])
			sum += s
			pairs++
			res.MinSimilarity = min(res.MinSimilarity, s)
		}
	}
	res.MeanSimilarity = round4(sum / float64(pairs))
	res.MinSimilarity = round4(res.MinSimilarity)
	res.SelfBLEU2 = round4(score.SelfBLEU(texts, 2)[0])
	if res.MeanSimilarity >= g.Threshold || (g.SelfBLEU > 0 && res.SelfBLEU2 >= g.SelfBLEU) {
		res.Degenerate = true
		res.Reasons = append(res.Reasons, ReasonHomogeneousGroup)
	}
	return res
}

// shingleSet is the set of the hashed runs of h.ShingleSize normalised
// tokens of text (the whole text when it is shorter): the shingles of the
// near-duplicate index, so that both measure overlap the same way.
func shingleSet(h *minhash.Hasher, text string) map[uint64]struct{} {
	set := map[uint64]struct{}{}
	for _, x := range h.Shingles(nil, text) {
		set[x] = struct{}{}
	}
	return set
}

// jaccard is |a∩b|/|a∪b|; 1 for two empty sets.
func jaccard(a, b map[uint64]struct{}) float64 {
	if len(a) == 0 && len(b) == 0 {
		return 1
	}
	if len(a) > len(b) {
		a, b = b, a
	}
	inter := 0
	for k := range a {
		if _, ok := b[k]; ok {
			inter++
		}
	}
	return float64(inter) / float64(len(a)+len(b)-inter)
}

// CorpusIndex finds near-duplicates across a corpus (the same text given
// for different prompts) with MinHash and LSH banding; see package
// minhash. Query a record before adding it, so that the first occurrence
// stays unflagged and later ones point back at it.
type CorpusIndex struct {
	// Threshold is the estimated Jaccard similarity (over 5-token
	// shingles) at which a text is a near-duplicate.
	Threshold float64
	hasher    *minhash.Hasher
	index     *minhash.Index
	ids       []string // (entries) record id
	groups    []string // (entries) record group, "" for none
}

// NewCorpusIndex returns an empty index: 128 permutations, 5-token
// shingles, bands chosen for threshold (0.8 is a good default).
func NewCorpusIndex(threshold float64) (*CorpusIndex, error) {
	if threshold <= 0 || threshold > 1 {
		return nil, fmt.Errorf("corpus index: threshold %v outside (0, 1]", threshold)
	}
	const k, size = 128, 5
	h, err := minhash.NewHasher(k, size)
	if err != nil {
		return nil, fmt.Errorf("corpus index: %w", err)
	}
	b, r := minhash.ChooseBands(k, threshold)
	ix, err := minhash.NewIndex(k, b, r)
	if err != nil {
		return nil, fmt.Errorf("corpus index: %w", err)
	}
	return &CorpusIndex{Threshold: threshold, hasher: h, index: ix}, nil
}

// Add indexes the text of record id, a member of group ("" for none).
func (c *CorpusIndex) Add(id, group, text string) {
	c.index.Add(c.hasher.Sign(text))
	c.ids = append(c.ids, id)
	c.groups = append(c.groups, group)
}

// Query returns the id of the indexed record most similar to text, with
// the estimated similarity, if it reaches Threshold; records of the same
// group (when group is not "") are skipped, since the group detector
// judges those. dupOf is "" when there is none.
func (c *CorpusIndex) Query(group, text string) (dupOf string, similarity float64) {
	keep := func(e int) bool { return group == "" || c.groups[e] != group }
	e, sim := c.index.Best(c.hasher.Sign(text), keep)
	if e < 0 || sim < c.Threshold {
		return "", 0
	}
	return c.ids[e], sim
}
