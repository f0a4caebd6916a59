package sample

import (
	"maps"
	"slices"
	"strconv"
)

// LogitBias adds a fixed bias to the logits of chosen ids (OpenAI, vLLM and
// llama.cpp logit_bias; HF's sequence_bias for one-token sequences). A large
// negative bias (−100) practically bans a token, a large positive one forces
// it.
type LogitBias struct {
	ids  []int32   // sorted
	bias []float32 // (len(ids))
}

// NewLogitBias builds the processor from an id → bias map.
func NewLogitBias(m map[int32]float32) LogitBias {
	var b LogitBias
	b.ids = slices.Sorted(maps.Keys(m))
	for _, id := range b.ids {
		b.bias = append(b.bias, m[id])
	}
	return b
}

func (b LogitBias) String() string { return "logit_bias(" + strconv.Itoa(len(b.ids)) + ")" }

func (b LogitBias) Process(_ *History, c *Candidates) {
	if len(b.ids) == 0 {
		return
	}
	if c.full && c.Len() == c.vocab {
		for k, id := range b.ids {
			if int(id) < c.vocab {
				c.Logits[id] += b.bias[k]
			}
		}
	} else {
		for i, id := range c.IDs {
			if k, ok := slices.BinarySearch(b.ids, id); ok {
				c.Logits[i] += b.bias[k]
			}
		}
	}
	c.Sorted = false
}
