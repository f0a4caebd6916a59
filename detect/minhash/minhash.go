// Package minhash estimates the Jaccard similarity of texts' shingle sets
// with MinHash signatures and finds candidate pairs with LSH banding, in
// bounded memory: an Index keeps only the compact signatures (K uint32 per
// indexed text) and one uint32 per band in its bucket tables, never the texts.
//
// Shingles are runs of ShingleSize consecutive normalised tokens from
// internal/textseg (words; every CJK character is a token of its own, so for
// Chinese a shingle of 5 tokens is 5 characters). Each shingle is hashed once
// to 64 bits and permutation i is the multiply-shift hash
// (a_i·h + b_i) >> 32 with odd a_i, which is cheap and 2-universal enough for
// MinHash; the a_i, b_i come from a fixed seed, so signatures are stable
// across runs and processes.
//
// Banding splits a signature of K = B·R values into B bands of R rows; two
// texts are candidates when any band is equal, which happens with
// probability 1 − (1 − J^R)^B for Jaccard J. [ChooseBands] picks B and R for a
// threshold by minimising the weighted false-positive and false-negative
// areas under that curve (the same criterion as datasketch's
// _optimal_param, with false negatives weighted up). Candidates are then verified on their full signatures, so
// a band-hash collision costs a comparison, never a wrong answer.
package minhash

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"unicode"

	"github.com/degen-llm/degen/internal/textseg"
)

// Hasher turns texts into MinHash signatures.
type Hasher struct {
	K           int      // number of permutations (signature length)
	ShingleSize int      // tokens per shingle
	a, b        []uint64 // (K) multiply-shift parameters, a odd
}

// NewHasher returns a Hasher with k permutations over shingles of size
// tokens.
func NewHasher(k, size int) (*Hasher, error) {
	if k <= 0 {
		return nil, fmt.Errorf("minhash: number of permutations must be positive, got %d", k)
	}
	if size <= 0 {
		return nil, fmt.Errorf("minhash: shingle size must be positive, got %d", size)
	}
	h := &Hasher{K: k, ShingleSize: size, a: make([]uint64, k), b: make([]uint64, k)}
	s := uint64(0x6d696e6861736831) // fixed seed: signatures must not change between runs
	for i := range k {
		h.a[i] = splitmix(&s) | 1
		h.b[i] = splitmix(&s)
	}
	return h, nil
}

// splitmix is SplitMix64, used only to draw the permutation parameters.
func splitmix(s *uint64) uint64 {
	*s += 0x9e3779b97f4a7c15
	z := *s
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// Normalize lowercases a token and strips the punctuation and symbols at
// its ends, so "Menschen," and "menschen" are the same token. It returns ""
// for tokens made only of punctuation.
func Normalize(tok string) string {
	tok = strings.TrimFunc(tok, func(r rune) bool { return unicode.IsPunct(r) || unicode.IsSymbol(r) })
	return strings.ToLower(tok)
}

// fnv64 hashes s with FNV-1a, then finalises it (FNV's low bits mix poorly).
func fnv64(h uint64, s string) uint64 {
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 0x100000001b3
	}
	return h
}

func fmix(z uint64) uint64 {
	z ^= z >> 33
	z *= 0xff51afd7ed558ccd
	z ^= z >> 33
	z *= 0xc4ceb9fe1a85ec53
	return z ^ (z >> 33)
}

// Shingles returns the 64-bit hashes of the text's shingles. A text shorter
// than one shingle yields a single shingle of all its tokens; an empty text
// yields none.
func (h *Hasher) Shingles(dst []uint64, text string) []uint64 {
	var toks []uint64
	for _, t := range textseg.Split(nil, text, textseg.Words) {
		n := Normalize(t.Text)
		if n == "" {
			continue
		}
		toks = append(toks, fnv64(0xcbf29ce484222325, n))
	}
	if len(toks) == 0 {
		return dst
	}
	size := min(h.ShingleSize, len(toks))
	for i := 0; i+size <= len(toks); i++ {
		var x uint64 = 0x9ae16a3b2f90404f
		for _, t := range toks[i : i+size] {
			x = fmix(x ^ t)
		}
		dst = append(dst, x)
	}
	return dst
}

// Signature writes the MinHash signature of the shingle hashes into sig
// (length K) and reports whether the set was non-empty. An empty set gets
// the all-ones signature, which is similar only to other empty texts.
func (h *Hasher) Signature(sig []uint32, shingles []uint64) bool {
	for i := range sig {
		sig[i] = math.MaxUint32
	}
	for _, x := range shingles {
		for i := range sig {
			v := uint32((h.a[i]*x + h.b[i]) >> 32)
			if v < sig[i] {
				sig[i] = v
			}
		}
	}
	return len(shingles) > 0
}

// Sign returns the signature of text.
func (h *Hasher) Sign(text string) []uint32 {
	sig := make([]uint32, h.K)
	h.Signature(sig, h.Shingles(nil, text))
	return sig
}

// Similarity estimates the Jaccard similarity of two signatures: the
// fraction of equal positions. Its standard error is sqrt(J(1−J)/K).
func Similarity(a, b []uint32) float64 {
	if len(a) == 0 || len(a) != len(b) {
		return 0
	}
	eq := 0
	for i := range a {
		if a[i] == b[i] {
			eq++
		}
	}
	return float64(eq) / float64(len(a))
}

// CandidateProb is the probability 1 − (1 − s^r)^b that two texts of
// Jaccard similarity s share at least one of b bands of r rows.
func CandidateProb(s float64, b, r int) float64 {
	return 1 - math.Pow(1-math.Pow(s, float64(r)), float64(b))
}

// ChooseBands splits k permutations into b bands of r rows (b·r ≤ k, the
// rest unused) for the threshold t, minimising
// 0.2·∫₀ᵗ P(s) ds + 0.8·∫ₜ¹ (1 − P(s)) ds: the false-positive area below
// the threshold and the false-negative area above it. False negatives
// weigh four times as much because they are lost for good, while a false
// candidate only costs one signature comparison (candidates are verified).
// For k = 128, t = 0.8 this gives 12 bands of 10 rows: pairs at Jaccard
// 0.9 become candidates with probability 0.994, at 0.8 with 0.74, at 0.5
// with 0.012.
func ChooseBands(k int, t float64) (b, r int) {
	const fpWeight, fnWeight = 0.2, 0.8
	best := math.Inf(1)
	for rr := 1; rr <= k; rr++ {
		bb := k / rr
		fp := integrate(func(s float64) float64 { return CandidateProb(s, bb, rr) }, 0, t)
		fn := integrate(func(s float64) float64 { return 1 - CandidateProb(s, bb, rr) }, t, 1)
		if e := fpWeight*fp + fnWeight*fn; e < best {
			best, b, r = e, bb, rr
		}
	}
	return b, r
}

// integrate is the midpoint rule with 200 steps, plenty for smooth S-curves.
func integrate(f func(float64) float64, lo, hi float64) float64 {
	const n = 200
	w := (hi - lo) / n
	sum := 0.0
	for i := range n {
		sum += f(lo + (float64(i)+0.5)*w)
	}
	return sum * w
}

// bandHash hashes rows [lo, hi) of a signature with the band number, to a
// uint32 bucket key. Collisions only add candidates, which are verified.
func bandHash(sig []uint32, band int) uint32 {
	x := uint64(band)*0x9e3779b97f4a7c15 + 1
	for _, v := range sig {
		x = fmix(x ^ uint64(v))
	}
	return uint32(x >> 32)
}

// chunkSigs is how many signatures one chunk of an Index holds; chunks keep
// growth from copying (and briefly doubling) the whole signature store.
const chunkSigs = 4096

// Index stores signatures and finds the indexed ones similar to a query.
// Entries are numbered 0, 1, 2, … in the order they were added.
type Index struct {
	K, B, R int
	buckets []map[uint32]int32 // (B) band key → most recent entry with that key
	next    [][]int32          // (B, n) older entry with the same band key, −1 at the end
	chunks  [][]uint32         // signatures, chunkSigs·K values per chunk
	n       int
}

// NewIndex returns an empty index for signatures of k values split into b
// bands of r rows.
func NewIndex(k, b, r int) (*Index, error) {
	if b <= 0 || r <= 0 || b*r > k {
		return nil, fmt.Errorf("minhash: %d bands of %d rows do not fit %d permutations", b, r, k)
	}
	ix := &Index{K: k, B: b, R: r, buckets: make([]map[uint32]int32, b), next: make([][]int32, b)}
	for i := range ix.buckets {
		ix.buckets[i] = map[uint32]int32{}
	}
	return ix, nil
}

// Len is the number of indexed signatures.
func (ix *Index) Len() int { return ix.n }

// Sig returns the signature of entry i (a view into the index).
func (ix *Index) Sig(i int) []uint32 {
	c := ix.chunks[i/chunkSigs]
	o := (i % chunkSigs) * ix.K
	return c[o : o+ix.K]
}

// Add indexes sig (copied) and returns its entry number.
func (ix *Index) Add(sig []uint32) int {
	if len(sig) != ix.K {
		panic("minhash: signature length does not match the index")
	}
	i := ix.n
	if i%chunkSigs == 0 {
		ix.chunks = append(ix.chunks, make([]uint32, 0, chunkSigs*ix.K))
	}
	c := &ix.chunks[len(ix.chunks)-1]
	*c = append(*c, sig...)
	for band := range ix.B {
		key := bandHash(sig[band*ix.R:(band+1)*ix.R], band)
		prev, ok := ix.buckets[band][key]
		if !ok {
			prev = -1
		}
		ix.next[band] = append(ix.next[band], prev)
		ix.buckets[band][key] = int32(i)
	}
	ix.n++
	return i
}

// Best returns the indexed entry most similar to sig among the LSH
// candidates for which keep (if not nil) is true, with its estimated
// similarity; (−1, 0) when there is no candidate. Ties go to the earliest
// entry.
func (ix *Index) Best(sig []uint32, keep func(entry int) bool) (int, float64) {
	best, bestSim := -1, 0.0
	// Candidates are few (usually none), so a slice beats a map for
	// skipping the ones already compared in an earlier band.
	var seenBuf [16]int32
	seen := seenBuf[:0]
	for band := range ix.B {
		key := bandHash(sig[band*ix.R:(band+1)*ix.R], band)
		e, ok := ix.buckets[band][key]
		if !ok {
			continue
		}
		for ; e >= 0; e = ix.next[band][e] {
			if slices.Contains(seen, e) {
				continue
			}
			seen = append(seen, e)
			if keep != nil && !keep(int(e)) {
				continue
			}
			s := Similarity(sig, ix.Sig(int(e)))
			if s > bestSim || (s == bestSim && int(e) < best) {
				best, bestSim = int(e), s
			}
		}
	}
	return best, bestSim
}
