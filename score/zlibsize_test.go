package score

import (
	"bufio"
	"encoding/json"
	"math"
	"os"
	"testing"

	"github.com/degen-llm/degen/internal/shared"
	"github.com/stretchr/testify/require"
)

func TestZlibSizeReferenceCases(t *testing.T) {
	p, err := shared.Path("eval", "metric_cases_public.jsonl")
	require.NoError(t, err)
	f, err := os.Open(p)
	require.NoError(t, err)
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<24)
	z, ok := newZlibSizer(6)
	require.True(t, ok)
	for sc.Scan() {
		var d struct {
			ID     string
			Text   string
			Expect map[string]any
		}
		require.NoError(t, json.Unmarshal(sc.Bytes(), &d))
		ref, ok := d.Expect["zlib_ratio_6"].(float64)
		if !ok {
			continue
		}
		got := z.size([]byte(d.Text))
		want := math.Round(float64(len(d.Text)) / ref)
		if float64(got) != want {
			t.Errorf("%s len %d: got %d want %v", d.ID, len(d.Text), got, want)
		}
	}
}
