package detect

import (
	"fmt"
	"math"
	"strconv"
)

// Rung is one step of the regeneration ladder.
type Rung struct {
	Temperature       float64
	TopP              float64
	RepetitionPenalty float64
	NoRepeatNgramSize int // 0: off
}

// Ladder is the regeneration ladder of [NextParams], in the spirit of
// Whisper's temperature fallback (0.0, 0.2, …, 1.0 on a too-compressible
// segment): each failed attempt samples hotter and penalises repetition
// harder, and the last rung also forbids repeating any 4-gram. Attempts
// past the end stay on the last rung with fresh seeds.
var Ladder = []Rung{
	{Temperature: 0.7, TopP: 0.95, RepetitionPenalty: 1.1},
	{Temperature: 0.8, TopP: 0.95, RepetitionPenalty: 1.15},
	{Temperature: 0.9, TopP: 0.95, RepetitionPenalty: 1.2, NoRepeatNgramSize: 6},
	{Temperature: 1.0, TopP: 0.95, RepetitionPenalty: 1.3, NoRepeatNgramSize: 4},
}

// NextParams returns the generation parameters for regeneration attempt
// (1 for the first retry) of an output generated with prev, using Hugging
// Face's snake_case names: seed, do_sample, temperature, top_p,
// repetition_penalty, no_repeat_ngram_size. Other keys of prev (such as
// max_new_tokens) are copied. The result depends only on attempt and prev:
//
//   - seed is derived from prev's seed (0 when absent) and attempt, so
//     reruns of a pipeline regenerate identically;
//   - temperature (when prev sampled) and repetition_penalty never drop
//     below prev's, and a
//     no_repeat_ngram_size already in prev is never loosened: a retry is
//     never less exploratory than what failed.
//
// attempt < 1 returns a copy of prev.
func NextParams(attempt int, prev map[string]any) map[string]any {
	out := make(map[string]any, len(prev)+6)
	for k, v := range prev {
		out[k] = v
	}
	if attempt < 1 {
		return out
	}
	r := Ladder[min(attempt, len(Ladder))-1]
	out["seed"] = deriveSeed(seedOf(prev["seed"]), attempt)
	out["do_sample"] = true
	out["temperature"] = r.Temperature
	// A greedy output's temperature (1 by default) was never used: only a
	// sampled one sets the floor.
	if t, ok := number(prev["temperature"]); ok && t > r.Temperature && prev["do_sample"] == true {
		out["temperature"] = t
	}
	out["top_p"] = r.TopP
	out["repetition_penalty"] = r.RepetitionPenalty
	if p, ok := number(prev["repetition_penalty"]); ok && p > r.RepetitionPenalty {
		out["repetition_penalty"] = p
	}
	n := r.NoRepeatNgramSize
	if p, ok := number(prev["no_repeat_ngram_size"]); ok && p >= 1 && (n == 0 || int(p) < n) {
		n = int(p)
	}
	if n > 0 {
		out["no_repeat_ngram_size"] = n
	}
	return out
}

// deriveSeed mixes the base seed and the attempt with SplitMix64 into
// [0, 2^31): small enough for every seed API (numpy wants < 2^32) and exact
// in JSON.
func deriveSeed(base int64, attempt int) int64 {
	s := uint64(base) ^ uint64(attempt)*0x9e3779b97f4a7c15
	return int64(splitmix64(s) >> 33)
}

// seedOf reads an integer seed exactly (a float64 would round seeds above
// 2^53); 0 when absent or not a number.
func seedOf(v any) int64 {
	switch x := v.(type) {
	case int:
		return int64(x)
	case int64:
		return x
	case uint64:
		return int64(x)
	case interface{ Int64() (int64, error) }:
		if n, err := x.Int64(); err == nil {
			return n
		}
		// json.Number above 2^63-1: a uint64 seed, taken bit for bit as
		// the uint64 case does
		if s, ok := v.(fmt.Stringer); ok {
			if u, err := strconv.ParseUint(s.String(), 10, 64); err == nil {
				return int64(u)
			}
		}
	}
	f, _ := number(v)
	return int64(f)
}

func splitmix64(z uint64) uint64 {
	z += 0x9e3779b97f4a7c15
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// number reads a JSON-ish number: Go integers, floats, and anything with a
// Float64 method (json.Number).
func number(v any) (float64, bool) {
	switch x := v.(type) {
	case int:
		return float64(x), true
	case int32:
		return float64(x), true
	case int64:
		return float64(x), true
	case uint64:
		return float64(x), true
	case float32:
		return float64(x), true
	case float64:
		if math.IsNaN(x) {
			return 0, false
		}
		return x, true
	case interface{ Float64() (float64, error) }:
		f, err := x.Float64()
		return f, err == nil
	}
	return 0, false
}
