package score

import (
	"bufio"
	"encoding/json"
	"math"
	"os"
	"testing"

	"github.com/degen-llm/degen/internal/shared"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type metricCase struct {
	ID     string              `json:"id"`
	Case   string              `json:"case"`
	Lang   string              `json:"lang"`
	Text   string              `json:"text"`
	Group  string              `json:"group"`
	Expect map[string]*float64 `json:"expect"`
}

func loadCases(t testing.TB) []metricCase {
	t.Helper()
	p, err := shared.Path("eval", "metric_cases_public.jsonl")
	require.NoError(t, err)
	f, err := os.Open(p)
	require.NoError(t, err)
	defer f.Close()
	var cs []metricCase
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<24)
	for sc.Scan() {
		var c metricCase
		require.NoError(t, json.Unmarshal(sc.Bytes(), &c))
		cs = append(cs, c)
	}
	require.NoError(t, sc.Err())
	require.NotEmpty(t, cs)
	return cs
}

// assertNum checks got against a reference that may be null (nil ↔ NaN).
func assertNum(t *testing.T, want *float64, got float64, delta float64, name string) {
	t.Helper()
	if want == nil {
		assert.True(t, math.IsNaN(got), "%s: want null, got %v", name, got)
		return
	}
	assert.InDelta(t, *want, got, delta, "%s", name)
}

func mustScorer(t testing.TB, o Options) *Scorer {
	t.Helper()
	s, err := NewScorer(o)
	require.NoError(t, err)
	return s
}

func mustScore(t testing.TB, s *Scorer, text string) Result {
	t.Helper()
	r, err := s.Score(text)
	require.NoError(t, err)
	return r
}
