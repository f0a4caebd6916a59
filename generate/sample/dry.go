package sample

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
)

// DRY is the "Don't Repeat Yourself" penalty (koboldcpp PR #982 by pi6am,
// llama.cpp llama_sampler_dry), reimplemented to give llama.cpp's numbers:
//
//  1. The window is the last N tokens of the context, N = min(scope window,
//     LastN). If N ≤ AllowedLength nothing happens.
//  2. Restart limit: scanning back from the newest token, the first token
//     that ends a sequence breaker (a head token plus, for breakers spanning
//     tokens, the tail tokens that follow it) caps the length a repeat may be
//     counted with. If that cap is below AllowedLength nothing happens.
//  3. For every earlier position, L = the length of the longest suffix of
//     the window ending there that is also a suffix of the whole window (a
//     Z-algorithm pass over the reversed window), capped by the restart
//     limit.
//  4. Where L ≥ AllowedLength, the token that followed that position would
//     extend the repeat; each such token keeps its largest L.
//  5. Each such token, unless it is on its own a sequence breaker, loses
//     Multiplier · Base^(L − AllowedLength) from its logit (the exponent
//     clamped at ln(FLT_MAX)/ln(Base) as llama.cpp does).
//
// Breakers are strings, matched against the text of tokens: every token whose
// text contains a breaker is a one-token breaker; a token whose text ends
// with a proper prefix of a breaker is the head of a multi-token breaker whose
// tail is the rest of the breaker, encoded (at most 20 tokens). Breakers are
// limited to 40 bytes, longer ones are cut as llama.cpp does.
type DRY struct {
	Multiplier    float32
	Base          float32
	AllowedLength int
	// LastN > 0 limits the window to the last LastN tokens (after the
	// penalty scope); −1 leaves the scope's window; 0 switches DRY off.
	LastN int
	Scope Scope

	breakerNames []string
	breakers     map[int32][][]int32 // head id → tails; an empty tail is a one-token breaker
}

const (
	dryMaxBreakerBytes = 40
	dryMaxTailTokens   = 20
)

// NewDRY builds a DRY processor. piece returns the text of a token (the
// decoded bytes, "▁" shown as a space, byte tokens as their byte); encode
// tokenises a string without BOS and is needed only for breakers that span
// tokens (it may be nil when none does). vocab is the number of ids.
func NewDRY(multiplier, base float32, allowedLength, lastN int, breakers []string, vocab int, piece func(int) string, encode func(string) []int32) (*DRY, error) {
	d := &DRY{
		Multiplier:    multiplier,
		Base:          base,
		AllowedLength: allowedLength,
		LastN:         lastN,
		breakers:      map[int32][][]int32{},
	}
	var strs []string
	for _, b := range breakers {
		if b == "" {
			continue
		}
		if len(b) > dryMaxBreakerBytes {
			b = b[:dryMaxBreakerBytes]
		}
		strs = append(strs, b)
	}
	d.breakerNames = strs
	if len(strs) == 0 {
		return d, nil
	}
	if piece == nil {
		return nil, errors.New("dry: sequence breakers need the token texts of the vocabulary")
	}
	for id := range vocab {
		word := piece(id)
		for _, s := range strs {
			if err := d.addBreaker(int32(id), word, s, encode); err != nil {
				return nil, err
			}
		}
	}
	return d, nil
}

// addBreaker records how token id (whose text is word) starts breaker s.
func (d *DRY) addBreaker(id int32, word, s string, encode func(string) []int32) error {
	if strings.Contains(word, s) {
		d.addTail(id, nil)
		return nil
	}
	// Every place where word ends with a proper prefix of s makes id the
	// head of s, with the rest of s as the tail.
	for pos := strings.IndexByte(word, s[0]); pos >= 0; {
		rest := word[pos:]
		if strings.HasPrefix(s, rest) {
			if encode == nil {
				return fmt.Errorf("dry: sequence breaker %q spans tokens and the vocabulary has no encoder", s)
			}
			tail := encode(s[len(rest):])
			if len(tail) > dryMaxTailTokens {
				tail = tail[:dryMaxTailTokens]
			}
			d.addTail(id, tail)
		}
		next := strings.IndexByte(word[pos+1:], s[0])
		if next < 0 {
			break
		}
		pos += 1 + next
	}
	return nil
}

func (d *DRY) addTail(id int32, tail []int32) {
	for _, t := range d.breakers[id] {
		if slices.Equal(t, tail) {
			return
		}
	}
	d.breakers[id] = append(d.breakers[id], slices.Clone(tail))
}

func (d *DRY) String() string {
	return "dry(" + ff(d.Multiplier) + "," + ff(d.Base) + "," + strconv.Itoa(d.AllowedLength) + "," +
		strconv.Itoa(d.LastN) + d.Scope.suffix() + ")"
}

// singleBreaker reports whether id is on its own a sequence breaker.
func (d *DRY) singleBreaker(id int32) bool {
	for _, t := range d.breakers[id] {
		if len(t) == 0 {
			return true
		}
	}
	return false
}

// floatMaxLog is ln(math.MaxFloat32), the bound llama.cpp uses to clamp the
// exponent.
const floatMaxLog = 88.7228391

func (d *DRY) Process(h *History, c *Candidates) {
	if d.Multiplier == 0 || d.Base < 1 || d.LastN == 0 {
		return
	}
	w := d.Scope.Window(h)
	if d.LastN > 0 && len(w) > d.LastN {
		w = w[len(w)-d.LastN:]
	}
	n, allowed := len(w), d.AllowedLength
	if n <= allowed {
		return
	}
	limit := d.restartLimit(w)
	if limit < allowed {
		return
	}

	// z[k] = length of the longest common prefix of the reversed window r
	// and r[k:], i.e. how many tokens ending at position n−1−k equal the
	// tokens ending at the newest one.
	r := func(i int) int32 { return w[n-1-i] }
	z := c.scratchInts(n)
	z[0] = int32(n)
	for k, lo, hi := 1, 0, 0; k < n; k++ {
		zk := 0
		if k < hi {
			zk = min(hi-k, int(z[k-lo]))
		}
		for k+zk < n && r(zk) == r(k+zk) {
			zk++
		}
		z[k] = int32(zk)
		if k+zk > hi {
			lo, hi = k, k+zk
		}
	}

	// For each position i that ends a repeat of length ≥ allowed, the token
	// that followed it, w[i+1], would extend the repeat. counts holds the
	// largest such length + 1 (0 means none).
	c.touched = c.touched[:0]
	for i := 0; i < n-1; i++ {
		l := min(int(z[n-1-i]), limit)
		if l < allowed {
			continue
		}
		t := w[i+1]
		if t < 0 || int(t) >= c.vocab {
			continue
		}
		if c.counts[t] == 0 {
			c.touched = append(c.touched, t)
		}
		c.counts[t] = max(c.counts[t], int32(l+1))
	}

	// In float32 like llama.cpp, whose bound then sits exactly at the edge
	// for some bases (2 gives 128, and 2^128 overflows to +Inf).
	maxExp := 0
	if d.Base > 1.000001 {
		maxExp = int(float32(floatMaxLog) / float32(math.Log(float64(d.Base))))
	}
	c.eachTallied(func(i int, l1 int32) {
		if d.singleBreaker(c.IDs[i]) {
			return
		}
		e := int(l1-1) - allowed
		if maxExp > 0 && e > maxExp {
			e = maxExp
		}
		c.Logits[i] -= d.Multiplier * float32(math.Pow(float64(d.Base), float64(e)))
	})
	if len(c.touched) > 0 {
		c.Sorted = false
	}
	c.untally()
}

// restartLimit scans back from the newest token for the first complete
// sequence breaker and returns how many tokens after it the window has (the
// window length when there is none).
func (d *DRY) restartLimit(w []int32) int {
	n := len(w)
	if len(d.breakers) == 0 {
		return n
	}
	for i := 0; i < n; i++ { // i tokens from the end
		tails, ok := d.breakers[w[n-1-i]]
		if !ok {
			continue
		}
		longest := -1
		for _, t := range tails {
			if len(t) <= longest || len(t) > i {
				continue
			}
			match := true
			for o, id := range t {
				if w[n-i+o] != id {
					match = false
					break
				}
			}
			if match {
				longest = len(t)
			}
		}
		if longest >= 0 {
			return i - longest
		}
	}
	return n
}
