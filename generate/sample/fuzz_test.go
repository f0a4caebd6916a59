package sample

import (
	"math"
	"testing"
)

// FuzzDRY checks the Z-algorithm DRY against the O(n²) reading of its
// definition on arbitrary token sequences over a 5-token alphabet (token 3
// is ":" and, when breakers is odd, a sequence breaker).
func FuzzDRY(f *testing.F) {
	f.Add([]byte{0, 1, 2, 4, 0, 1, 2}, uint8(2), uint8(0))
	f.Add([]byte{0, 1, 3, 0, 1}, uint8(2), uint8(1))
	f.Add([]byte{0, 0, 0, 0, 0, 0}, uint8(1), uint8(0))
	v := toyVocab{"a", "b", "c", ":", "d"}
	f.Fuzz(func(t *testing.T, seq []byte, allowed, breakers uint8) {
		if len(seq) > 200 {
			seq = seq[:200]
		}
		toks := make([]int32, len(seq))
		for i, b := range seq {
			toks[i] = int32(b % 5)
		}
		a := int(allowed % 6)
		var br []string
		if breakers%2 == 1 {
			br = []string{":"}
		}
		d, err := NewDRY(0.5, 1.5, a, -1, br, len(v), v.piece, v.encode)
		if err != nil {
			t.Fatal(err)
		}
		got := dryPenalties(d, v, toks)
		want := naiveDRY(toks, a, 0.5, 1.5, len(v), len(br) > 0)
		for i := range want {
			if math.Abs(float64(got[i]-want[i])) > 1e-3*math.Max(1, float64(want[i])) {
				t.Fatalf("id %d: got %v want %v (toks %v allowed %d breakers %v)", i, got[i], want[i], toks, a, br)
			}
		}
	})
}

// FuzzTruncation runs every truncation processor on arbitrary logits and
// checks the invariants: aligned slices, distinct ids, at least one
// candidate, the arg-max kept (except by typical_p, which may drop it), and
// logits untouched.
func FuzzTruncation(f *testing.F) {
	f.Add([]byte{10, 20, 30, 40, 50}, uint8(2), uint8(128))
	f.Add([]byte{7, 7, 7, 7, 7, 7, 7, 7}, uint8(3), uint8(10))
	f.Add([]byte{0, 255, 0, 255, 1}, uint8(1), uint8(250))
	f.Fuzz(func(t *testing.T, raw []byte, k, q uint8) {
		if len(raw) == 0 || len(raw) > 2000 {
			return
		}
		z := make([]float32, len(raw))
		for i, b := range raw {
			if b == 0 {
				z[i] = float32(math.Inf(-1))
			} else {
				z[i] = float32(b) / 16
			}
		}
		z[0] = max(z[0], 0) // one finite logit at least
		p := float32(q) / 255
		best := Greedy(cands(z...))
		for _, pr := range []Processor{
			TopK{K: int(k)}, TopK{K: int(k), Exact: true}, TopP{P: p}, MinP{P: p}, TypicalP{P: p},
			EpsilonCutoff{Epsilon: p}, EtaCutoff{Epsilon: p}, TopNSigma{N: p * 4}, Temperature{T: 0},
		} {
			c := cands(z...)
			pr.Process(nil, c)
			checkAligned(t, c)
			if c.Len() == 0 {
				t.Fatalf("%s removed every candidate", pr)
			}
			hasBest := false
			for i, id := range c.IDs {
				hasBest = hasBest || id == best
				if c.Logits[i] != z[id] {
					t.Fatalf("%s changed a logit", pr)
				}
			}
			if _, typ := pr.(TypicalP); !typ && !hasBest {
				t.Fatalf("%s dropped the arg-max", pr)
			}
		}
	})
}
