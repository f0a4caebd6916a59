package filter

import (
	"math/rand/v2"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/degen-llm/degen/detect/minhash"
)

// vocab is a list of n distinct pseudo-words.
func vocab(n int) []string {
	syl := []string{"ka", "lo", "mi", "ne", "ru", "sa", "ti", "vo", "pe", "du", "ga", "ho", "ji", "ze", "fu", "bi"}
	out := make([]string, n)
	for i := range out {
		var b strings.Builder
		for x := i + 16; x > 0; x /= 16 {
			b.WriteString(syl[x%16])
		}
		out[i] = b.String()
	}
	return out
}

func randomWords(r *rand.Rand, voc []string, n int) []string {
	w := make([]string, n)
	for i := range w {
		w[i] = voc[r.IntN(len(voc))]
	}
	return w
}

// trueJaccard is the exact Jaccard similarity of the shingle sets that the
// deduper estimates.
func trueJaccard(h *minhash.Hasher, a, b string) float64 {
	sa, sb := map[uint64]bool{}, map[uint64]bool{}
	for _, x := range h.Shingles(nil, a) {
		sa[x] = true
	}
	for _, x := range h.Shingles(nil, b) {
		sb[x] = true
	}
	inter := 0
	for x := range sa {
		if sb[x] {
			inter++
		}
	}
	return float64(inter) / float64(len(sa)+len(sb)-inter)
}

// TestNearDeduperRecall builds near-duplicates with a known true Jaccard
// similarity (random word substitutions and truncations of random texts)
// and checks that at least 95% of pairs at J ≥ 0.9 are found and that
// pairs at J < 0.5 almost never are.
func TestNearDeduperRecall(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	voc := vocab(3000)
	d, err := NewNearDeduper(DefaultNearOptions())
	require.NoError(t, err)
	h, err := minhash.NewHasher(1, 5)
	require.NoError(t, err)

	const nBase = 400
	bases := make([][]string, nBase)
	for i := range bases {
		bases[i] = randomWords(r, voc, 150+r.IntN(100))
		c, dup, _ := d.Add(strings.Join(bases[i], " "))
		require.False(t, dup, "random texts are not duplicates")
		require.Equal(t, i, c)
	}
	var hi, hiFound, lo, loFound, mid, midFound int
	for i, base := range bases {
		for range 3 {
			v := append([]string(nil), base...)
			for range r.IntN(25) {
				v[r.IntN(len(v))] = voc[r.IntN(len(voc))]
			}
			v = v[:len(v)-r.IntN(10)]
			a, b := strings.Join(base, " "), strings.Join(v, " ")
			j := trueJaccard(h, a, b)
			c, _ := d.Query(b)
			found := c == i
			assert.True(t, c == i || c == -1, "joins its own base or none")
			switch {
			case j >= 0.9:
				hi++
				if found {
					hiFound++
				}
			case j < 0.5:
				lo++
				if found {
					loFound++
				}
			default:
				mid++
				if found {
					midFound++
				}
			}
		}
	}
	t.Logf("J ≥ 0.9: %d/%d found; 0.5 ≤ J < 0.9: %d/%d; J < 0.5: %d/%d", hiFound, hi, midFound, mid, loFound, lo)
	require.Greater(t, hi, 50)
	require.Greater(t, lo, 50)
	assert.GreaterOrEqual(t, float64(hiFound)/float64(hi), 0.95)
	assert.LessOrEqual(t, float64(loFound)/float64(lo), 0.01)
}

// shortRecords yields n short records (12–30 words); about 10% are
// near-copies of an earlier record (one word changed or dropped).
func shortRecords(n int, yield func(string)) {
	r := rand.New(rand.NewPCG(3, 4))
	voc := vocab(20000)
	recent := make([][]string, 0, 1024)
	for i := 0; i < n; i++ {
		var w []string
		if len(recent) > 0 && r.IntN(10) == 0 {
			w = append([]string(nil), recent[r.IntN(len(recent))]...)
			if r.IntN(2) == 0 {
				w[r.IntN(len(w))] = voc[r.IntN(len(voc))]
			} else {
				w = w[:len(w)-1]
			}
		} else {
			w = randomWords(r, voc, 12+r.IntN(19))
			if len(recent) < cap(recent) {
				recent = append(recent, w)
			} else {
				recent[r.IntN(len(recent))] = w
			}
		}
		yield(strings.Join(w, " "))
	}
}

// TestNearDeduperMemory checks the bound that makes a million records fit
// in 2 GB: the heap grows by well under 2 KB per kept record.
func TestNearDeduperMemory(t *testing.T) {
	const n = 20000
	d, err := NewNearDeduper(DefaultNearOptions())
	require.NoError(t, err)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	dups := 0
	shortRecords(n, func(s string) {
		if _, dup, _ := d.Add(s); dup {
			dups++
		}
	})
	runtime.GC()
	runtime.ReadMemStats(&after)
	perKept := float64(after.HeapInuse-before.HeapInuse) / float64(d.Kept())
	t.Logf("%d records, %d kept, %d duplicates, %.0f B heap per kept record", n, d.Kept(), dups, perKept)
	assert.Less(t, perKept, 1500.0)
	// About 10% are constructed near-copies; most are at J ≥ 0.8.
	assert.Greater(t, dups, n/20)
	assert.Less(t, dups, n/5)
}

// BenchmarkNearDedup runs the near deduper over DEGEN_DEDUP_N (default one
// million) generated short records and reports throughput and the peak
// heap in use, sampled every 50k records:
//
//	go test ./filter -run '^$' -bench NearDedup -benchtime 1x
func BenchmarkNearDedup(b *testing.B) {
	n := 1_000_000
	if s := os.Getenv("DEGEN_DEDUP_N"); s != "" {
		v, err := strconv.Atoi(s)
		require.NoError(b, err)
		n = v
	}
	for b.Loop() {
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		base, peak := ms.HeapInuse, ms.HeapInuse
		d, err := NewNearDeduper(DefaultNearOptions())
		require.NoError(b, err)
		start := time.Now()
		i, dups := 0, 0
		shortRecords(n, func(s string) {
			if _, dup, _ := d.Add(s); dup {
				dups++
			}
			if i++; i%50000 == 0 {
				runtime.ReadMemStats(&ms)
				peak = max(peak, ms.HeapInuse)
			}
		})
		runtime.ReadMemStats(&ms)
		peak = max(peak, ms.HeapInuse)
		el := time.Since(start)
		b.ReportMetric(float64(n)/el.Seconds(), "records/s")
		b.ReportMetric(float64(peak-base)/(1<<20), "peak-heap-MB")
		b.ReportMetric(float64(dups), "dups")
		b.Logf("%d records in %v: %d kept, %d duplicates, peak heap in use %.0f MB (Sys %.0f MB)",
			n, el.Round(time.Millisecond), d.Kept(), dups, float64(peak-base)/(1<<20), float64(ms.Sys)/(1<<20))
	}
}

// BenchmarkExactDedup is the same for the exact deduper.
func BenchmarkExactDedup(b *testing.B) {
	const n = 1_000_000
	for b.Loop() {
		d := NewExactDeduper()
		start := time.Now()
		dups := 0
		shortRecords(n, func(s string) {
			if _, dup := d.Add(s); dup {
				dups++
			}
		})
		b.ReportMetric(float64(n)/time.Since(start).Seconds(), "records/s")
		b.Logf("%d records, %d exact duplicates", n, dups)
	}
}
