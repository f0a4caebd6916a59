package detect

import (
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/degen-llm/degen/internal/shared"
)

// TestEvaluatePublic runs the detector over eval/detect_public.jsonl and
// holds it to the targets: overall F1 ≥ 0.95, precision ≥ 0.97 when the
// clean side is only hard negatives, ≥ 97% of hard negatives left clean,
// and every kind at least as good as the rule baseline of eval/README.md.
func TestEvaluatePublic(t *testing.T) {
	p, err := shared.Path("eval", "detect_public.jsonl")
	require.NoError(t, err)
	f, err := os.Open(p)
	require.NoError(t, err)
	defer f.Close()
	recs, err := ReadRecords(f)
	require.NoError(t, err)
	require.Len(t, recs, 413)

	rep := Evaluate(recs)
	t.Log("\n" + rep.Table())

	assert.Equal(t, 413, rep.Overall.N)
	assert.GreaterOrEqual(t, rep.Overall.F1(), 0.95)
	assert.GreaterOrEqual(t, rep.HardNegatives.Precision(), 0.97)
	assert.GreaterOrEqual(t, rep.HardNegatives.Specificity(), 0.97)

	// Recall per kind of the rule baseline (eval/README.md), the floor.
	baseline := map[string]float64{
		"group_homogeneous": 1, "model_loop": 1, "near_loop": 0.767, "paragraph_loop": 1,
		"phrase_loop": 0.700, "sentence_loop": 0.900, "word_loop": 0.233,
	}
	for _, row := range rep.ByKind {
		if floor, ok := baseline[row.Name]; ok {
			assert.GreaterOrEqual(t, row.Counts.Recall(), floor, row.Name)
		} else {
			// Clean kinds: the baseline flags none.
			assert.Equal(t, 0, row.Counts.FP, row.Name)
		}
	}
	for i, pr := range rep.Predictions {
		if pr.Degenerate != (recs[i].Label == "degenerate") {
			t.Logf("wrong: %s (%s) flagged=%v %v", recs[i].ID, recs[i].Kind, pr.Degenerate, pr.Reasons)
		}
	}
}

// The evaluation must not let the labels reach the detector: relabelling
// and renaming kinds changes the scores, never the predictions.
func TestEvaluateHidesLabels(t *testing.T) {
	recs := []Record{
		{ID: "a", Text: enBase + rep("ships", " ", 12), Label: "degenerate", Kind: "word_loop", Lang: "en"},
		{ID: "b", Text: enBase, Label: "clean", Kind: "prose", Lang: "en"},
		{ID: "c", Text: story, Group: "g", Label: "degenerate", Kind: "group_homogeneous", Lang: "en"},
		{ID: "d", Text: strings.Replace(story, "little", "small", 1), Group: "g", Label: "degenerate", Kind: "group_homogeneous", Lang: "en"},
		{ID: "e", Text: "He read the letter twice, ha ha ha, and folded it.", Label: "clean", Kind: "hardneg_interjection", Lang: "en"},
	}
	rep := Evaluate(recs)
	assert.Equal(t, Counts{N: 5, TP: 3, TN: 2}, rep.Overall)
	assert.Equal(t, Counts{N: 4, TP: 3, TN: 1}, rep.HardNegatives)
	assert.Equal(t, []string{ReasonHomogeneousGroup}, rep.Predictions[2].Reasons)
	assert.Equal(t, 1.0, rep.Overall.F1())

	flipped := make([]Record, len(recs))
	for i, r := range recs {
		r.Label = map[string]string{"clean": "degenerate", "degenerate": "clean"}[r.Label]
		r.Kind, r.Source, r.Note = "x", "y", "z"
		flipped[i] = r
	}
	rep2 := Evaluate(flipped)
	assert.Equal(t, rep.Predictions, rep2.Predictions)
	assert.Equal(t, Counts{N: 5, FP: 3, FN: 2}, rep2.Overall)
	assert.Equal(t, 0.0, rep2.Overall.F1())
}

func TestReadRecords(t *testing.T) {
	recs, err := ReadRecords(strings.NewReader("{\"id\":\"a\",\"text\":\"x\",\"label\":\"clean\"}\n\n{\"id\":\"b\",\"text\":\"y\"}"))
	require.NoError(t, err)
	require.Len(t, recs, 2)
	assert.Equal(t, "b", recs[1].ID)
	_, err = ReadRecords(strings.NewReader("{\"id\":\"a\"}\nnot json\n"))
	assert.ErrorContains(t, err, "line 2")
}

func TestCountsMetrics(t *testing.T) {
	c := Counts{N: 10, TP: 4, FP: 1, FN: 2, TN: 3}
	assert.InDelta(t, 0.8, c.Precision(), 1e-12)
	assert.InDelta(t, 4.0/6, c.Recall(), 1e-12)
	assert.InDelta(t, 2*0.8*(4.0/6)/(0.8+4.0/6), c.F1(), 1e-12)
	assert.InDelta(t, 0.75, c.Specificity(), 1e-12)
	assert.Equal(t, 0.0, Counts{}.F1())
}
