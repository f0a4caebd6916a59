package detect

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestNextParamsLadder(t *testing.T) {
	prev := map[string]any{"seed": 42, "max_new_tokens": 256, "temperature": 0.0}
	cases := []struct {
		attempt int
		temp    float64
		penalty float64
		ngram   any // nil when absent
	}{
		{1, 0.7, 1.1, nil},
		{2, 0.8, 1.15, nil},
		{3, 0.9, 1.2, 6},
		{4, 1.0, 1.3, 4},
		{5, 1.0, 1.3, 4}, // past the end: last rung
		{9, 1.0, 1.3, 4},
	}
	seeds := map[any]bool{}
	for _, c := range cases {
		p := NextParams(c.attempt, prev)
		assert.Equal(t, true, p["do_sample"])
		assert.Equal(t, c.temp, p["temperature"])
		assert.Equal(t, c.penalty, p["repetition_penalty"])
		assert.Equal(t, 0.95, p["top_p"])
		assert.Equal(t, c.ngram, p["no_repeat_ngram_size"])
		assert.Equal(t, 256, p["max_new_tokens"], "other keys are kept")
		seed, ok := p["seed"].(int64)
		require.True(t, ok)
		assert.GreaterOrEqual(t, seed, int64(0))
		assert.Less(t, seed, int64(1)<<31)
		assert.False(t, seeds[seed], "every attempt gets a new seed")
		seeds[seed] = true
		// Deterministic: same attempt and prev, same params.
		assert.Equal(t, p, NextParams(c.attempt, prev))
	}
	assert.Equal(t, 42, prev["seed"], "prev is not modified")
}

func TestNextParamsFromPrev(t *testing.T) {
	t.Run("never cooler or looser than prev", func(t *testing.T) {
		p := NextParams(1, map[string]any{"do_sample": true, "temperature": 0.95, "repetition_penalty": 1.25, "no_repeat_ngram_size": 3})
		assert.Equal(t, 0.95, p["temperature"])
		assert.Equal(t, 1.25, p["repetition_penalty"])
		assert.Equal(t, 3, p["no_repeat_ngram_size"])
		p = NextParams(4, map[string]any{"no_repeat_ngram_size": 8})
		assert.Equal(t, 4, p["no_repeat_ngram_size"])
	})
	t.Run("seed depends on the base seed", func(t *testing.T) {
		a := NextParams(1, map[string]any{"seed": 1})
		b := NextParams(1, map[string]any{"seed": 2})
		assert.NotEqual(t, a["seed"], b["seed"])
		// JSON-decoded numbers work the same as Go ints.
		var m map[string]any
		require.NoError(t, json.Unmarshal([]byte(`{"seed": 1}`), &m))
		assert.Equal(t, a["seed"], NextParams(1, m)["seed"])
		assert.Equal(t, NextParams(1, nil)["seed"], NextParams(1, map[string]any{"seed": 0})["seed"])
	})
	t.Run("seeds beyond float64 precision stay apart", func(t *testing.T) {
		// generate draws uint64 seeds; as JSON numbers decoded with
		// UseNumber they must keep every bit, above 2^53 and above 2^63
		seeds := []string{"9007199254740993", "9007199254740995", "9223372036854775809", "18446744073709551615"}
		got := map[any]string{}
		for _, s := range seeds {
			d := json.NewDecoder(strings.NewReader(`{"seed": ` + s + `}`))
			d.UseNumber()
			var m map[string]any
			require.NoError(t, d.Decode(&m))
			n := NextParams(1, m)["seed"]
			require.NotContains(t, got, n, "seeds %s and %s give the same retry seed", got[n], s)
			got[n] = s
		}
		u := uint64(18446744073709551615)
		var m map[string]any
		d := json.NewDecoder(strings.NewReader(`{"seed": 18446744073709551615}`))
		d.UseNumber()
		require.NoError(t, d.Decode(&m))
		assert.Equal(t, NextParams(1, map[string]any{"seed": u})["seed"], NextParams(1, m)["seed"])
	})
	t.Run("attempt 0 copies prev", func(t *testing.T) {
		prev := map[string]any{"seed": 7, "temperature": 0.0}
		assert.Equal(t, prev, NextParams(0, prev))
	})
}

func TestNextParamsGreedyTemperatureIgnored(t *testing.T) {
	// Effective params of a greedy output carry temperature 1 (unused):
	// the first retry samples at the ladder's 0.7, not at 1.
	got := NextParams(1, map[string]any{"do_sample": false, "temperature": 1.0})
	if got["temperature"] != 0.7 {
		t.Fatalf("temperature %v, want 0.7", got["temperature"])
	}
	got = NextParams(1, map[string]any{"do_sample": true, "temperature": 0.9})
	if got["temperature"] != 0.9 {
		t.Fatalf("sampled at 0.9: temperature %v, want 0.9", got["temperature"])
	}
}
