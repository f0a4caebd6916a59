package score

import (
	"bufio"
	"encoding/json"
	"fmt"
	"github.com/stretchr/testify/assert"
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
		got := z.size(d.Text)
		want := math.Round(float64(len(d.Text)) / ref)
		if float64(got) != want {
			t.Errorf("%s len %d: got %d want %v", d.ID, len(d.Text), got, want)
		}
	}
}

// TestZlibStreaming feeds texts in pieces of many sizes and checks the
// stream size equals the one-shot size (which the test above ties to zlib).
func TestZlibStreaming(t *testing.T) {
	z, ok := newZlibSizer(6)
	require.True(t, ok)
	var all string
	for _, c := range loadCases(t) {
		all += c.Text + " "
	}
	all += all // > 2 windows: slides happen while streaming
	want := z.size(all)
	for _, piece := range []int{1, 7, 261, 262, 4096, 65536, 1 << 20} {
		t.Run(fmt.Sprint(piece), func(t *testing.T) {
			z.reset()
			for p := all; len(p) > 0; {
				n := min(piece, len(p))
				z.write(p[:n])
				p = p[n:]
			}
			assert.Equal(t, want, 2+z.finish()+4)
		})
	}
}

func TestZlibRatioMatchesScorer(t *testing.T) {
	s := mustScorer(t, Options{})
	for _, c := range loadCases(t) {
		if c.Text == "" {
			assert.Zero(t, ZlibRatio(c.Text))
			continue
		}
		r := mustScore(t, s, c.Text)
		assert.Equal(t, r.ZlibRatio, ZlibRatio(c.Text), c.ID)
	}
}
