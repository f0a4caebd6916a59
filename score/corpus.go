package score

import (
	"encoding/json"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"math"
	"math/bits"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/klauspost/compress/flate"
)

// CorpusOptions chooses what a Corpus computes.
type CorpusOptions struct {
	// NGrams are the orders of the pooled distinct-n (default 1..4).
	NGrams []int
	// BLEUOrders are the self-BLEU orders per group (default 2, 3, 4).
	BLEUOrders []int
	// SelfRepetitionN is the n of self-repetition per group (default 4).
	SelfRepetitionN int
	// CompressionLevel is the level of the corpus compression ratio, 4..9;
	// 0 means 6, −1 turns the ratio off. Shaib et al.'s package uses gzip's
	// default 9, which reproduces their number (up to their double-gzip
	// quirk) but runs at about 10 MB/s against 50 MB/s for 6, on one core,
	// in the serial Add path.
	CompressionLevel int
	// GroupSize, if > 0, finishes a group as soon as it has this many
	// records, so that only groups still being filled are held in memory.
	// Otherwise every group is held until Summary.
	GroupSize int
	// KeepGroups lists every group's values in the Summary, not just their
	// means.
	KeepGroups bool
	// FastCompression computes the corpus compression ratio with
	// klauspost/compress's deflate at CompressionLevel instead of the exact
	// zlib size model: about ten times faster on large corpora, and not
	// byte-identical to zlib (its matcher differs; on corpora of megabytes
	// the ratio is within a few percent of zlib's).
	FastCompression bool
	// ExactDistinct is the number of distinct n-grams per order counted
	// exactly; past it the pooled distinct-n of that order is estimated
	// with a HyperLogLog sketch (2^14 registers, standard error 0.8 %), so
	// memory stays bounded whatever the corpus size. 0 means 1<<19 (a table
	// that stays in cache; exact for corpora of about a megabyte); a
	// negative value counts exactly without bound.
	ExactDistinct int
}

// Corpus accumulates corpus-level metrics over a stream of scored records.
// Memory is bounded by the distinct tokens and distinct n-grams of the
// corpus (one 8-byte hash each, in open-addressing sets at load ≤ 1/2) plus
// the tokens of the groups being filled (about 12 bytes per token; all
// groups until Summary unless GroupSize finishes them as they fill) and an
// 8-byte hash per finished group — never the texts of the corpus. Pairwise
// group metrics cost O(k² L²) for ROUGE-L over a group of k texts of L
// tokens: fine for the usual handful of samples per prompt.
//
// Pooled counts use 64-bit hashes: a token's key (see Scorer.Keys) and an
// n-gram's hash of its keys. With U distinct items in a set the chance that
// any two collide, making the distinct count one too small, is at most
// U²/2⁶⁵: 3·10⁻⁸ for a million, 3·10⁻⁴ for 10⁸.
//
// A Corpus is not safe for concurrent use: Add records from one goroutine,
// in input order (the compression ratio depends on the order).
type Corpus struct {
	opts    CorpusOptions
	done    bool
	summary Summary

	records int
	tokens  int64
	ngrams  []int // per-record n-gram orders (from the first Result)
	metrics []metricAcc

	uniq        u64set
	pooled      []u64set
	pooledTotal []int64
	simctg      [3]struct{ unique, total int64 }

	textBytes, zlibBytes int64
	zs                   *zlibSizer
	fz                   *fastSizer
	joinedBytes          int64

	groups    map[string]*openGroup
	seq       int
	closed    map[uint64]struct{} // hashes of finished group keys
	gsum      groupSums
	groupList []GroupResult
}

type metricAcc struct {
	name              string
	count, null       int
	sum, wsum, weight float64
}

func (m *metricAcc) add(v float64, w int) {
	if math.IsNaN(v) {
		m.null++
		return
	}
	m.count++
	m.sum += v
	m.wsum += v * float64(w)
	m.weight += float64(w)
}

type openGroup struct {
	key               string
	seq               int
	v                 vocab
	bleu, rouge, ws   [][]int32
	textHash, textLen []uint64
}

type groupSums struct {
	count, singletons int
	bleu              []float64
	homog, selfRep    float64
}

// NewCorpus checks o and returns an empty Corpus.
func NewCorpus(o CorpusOptions) (*Corpus, error) {
	if len(o.NGrams) == 0 {
		o.NGrams = DefaultNGrams
	}
	if len(o.BLEUOrders) == 0 {
		o.BLEUOrders = []int{2, 3, 4}
	}
	if o.SelfRepetitionN == 0 {
		o.SelfRepetitionN = 4
	}
	o.NGrams, o.BLEUOrders = slices.Clone(o.NGrams), slices.Clone(o.BLEUOrders)
	for _, n := range append(slices.Clone(o.NGrams), o.BLEUOrders...) {
		if n < 1 || n > MaxNGram {
			return nil, fmt.Errorf("corpus options: n-gram order %d not in 1..%d", n, MaxNGram)
		}
	}
	if o.SelfRepetitionN < 1 || o.SelfRepetitionN > MaxNGram {
		return nil, fmt.Errorf("corpus options: self-repetition n %d not in 1..%d", o.SelfRepetitionN, MaxNGram)
	}
	if o.GroupSize < 0 {
		return nil, fmt.Errorf("corpus options: negative group size %d", o.GroupSize)
	}
	c := &Corpus{opts: o, groups: map[string]*openGroup{}, closed: map[uint64]struct{}{}}
	switch o.CompressionLevel {
	case -1:
	case 0:
		c.opts.CompressionLevel = 6
		fallthrough
	default:
		if _, ok := zConfigs[c.opts.CompressionLevel]; !ok {
			return nil, fmt.Errorf("corpus options: compression level %d not supported (want 4..9 or -1)", o.CompressionLevel)
		}
		if o.FastCompression {
			c.fz = newFastSizer(c.opts.CompressionLevel)
		} else {
			c.zs, _ = newZlibSizer(c.opts.CompressionLevel)
			c.zs.reset()
		}
	}
	c.pooled = make([]u64set, len(o.NGrams))
	limit := o.ExactDistinct
	if limit == 0 {
		limit = 1 << 19
	}
	for j := range c.pooled {
		c.pooled[j].limit = limit
	}
	c.pooledTotal = make([]int64, len(o.NGrams))
	c.gsum.bleu = make([]float64, len(o.BLEUOrders))
	return c, nil
}

// Add adds one scored record: r and keys from the same Scorer call (keys =
// Scorer.Keys()), the record's text, and its group key ("" for none; e.g.
// the prompt). It fails if keys do not match r, if r's n-gram orders
// differ from the first record's, if a group reappears after it was
// finished (GroupSize), or after Summary.
func (c *Corpus) Add(r *Result, keys []uint64, text, group string) error {
	if c.done {
		return errors.New("corpus: add after summary")
	}
	if len(keys) != r.Tokens {
		return fmt.Errorf("corpus: %d token keys for a result of %d tokens", len(keys), r.Tokens)
	}
	if c.records == 0 {
		c.ngrams = r.NGrams
		c.metrics = append(c.metrics, metricAcc{name: "tokens"})
		for _, n := range r.NGrams {
			c.metrics = append(c.metrics, metricAcc{name: "seq_rep_" + strconv.Itoa(n)})
		}
		for _, n := range r.NGrams {
			c.metrics = append(c.metrics, metricAcc{name: "distinct_" + strconv.Itoa(n)})
		}
		c.metrics = append(c.metrics, metricAcc{name: "entropy_bits"}, metricAcc{name: "zlib_ratio"},
			metricAcc{name: "longest_repeat"})
	} else if !slices.Equal(c.ngrams, r.NGrams) {
		return fmt.Errorf("corpus: result has n-gram orders %v, earlier ones %v", r.NGrams, c.ngrams)
	}
	var gr *openGroup
	if group != "" {
		gr = c.groups[group]
		if gr == nil {
			if _, ok := c.closed[maphash.String(keySeed, group)]; ok {
				return fmt.Errorf("corpus: group %q has more records after it was finished (group size %d)", group, c.opts.GroupSize)
			}
			gr = &openGroup{key: group, seq: c.seq, v: vocab{}}
			c.seq++
			c.groups[group] = gr
		}
	}

	c.records++
	c.tokens += int64(r.Tokens)
	w := r.Tokens
	m := c.metrics
	m[0].add(float64(r.Tokens), w)
	k := 1
	for j := range r.NGrams {
		m[k+j].add(r.SeqRep[j], w)
		m[k+len(r.NGrams)+j].add(r.Distinct[j], w)
	}
	k += 2 * len(r.NGrams)
	m[k].add(r.EntropyBits, w)
	m[k+1].add(r.ZlibRatio, w)
	m[k+2].add(float64(r.LongestRepeat), w)

	for _, key := range keys {
		c.uniq.add(key)
	}
	for j, n := range c.opts.NGrams {
		if len(keys) < n {
			continue
		}
		set := &c.pooled[j]
		for i := 0; i+n <= len(keys); i++ {
			set.add(ngramHash(keys[i : i+n]))
		}
		c.pooledTotal[j] += int64(len(keys) - n + 1)
	}
	for j := range 3 {
		c.simctg[j].unique += int64(r.SimCTG.Unique[j])
		c.simctg[j].total += int64(r.SimCTG.Total[j])
	}
	c.textBytes += int64(len(text))
	c.zlibBytes += int64(r.ZlibSize)
	if c.zs != nil || c.fz != nil {
		// ' '.join(texts), as Shaib et al. compress it.
		if c.records > 1 {
			c.writeJoined(" ")
		}
		c.writeJoined(text)
	}

	if gr != nil {
		gr.bleu = append(gr.bleu, gr.v.ids(BLEUTokens(text)))
		gr.rouge = append(gr.rouge, gr.v.ids(RougeTokens(text)))
		gr.ws = append(gr.ws, gr.v.ids(WhitespaceTokens(text)))
		gr.textHash = append(gr.textHash, maphash.String(keySeed, text))
		gr.textLen = append(gr.textLen, uint64(len(text)))
		if c.opts.GroupSize > 0 && len(gr.bleu) >= c.opts.GroupSize {
			c.finishGroup(gr)
		}
	}
	return nil
}

// ngramHash combines the keys of an n-gram (splitmix64's finaliser after
// each key, seeded with n so that orders never share hashes).
func ngramHash(keys []uint64) uint64 {
	h := uint64(len(keys)) * 0x9E3779B97F4A7C15
	for _, k := range keys {
		h = mix64(h ^ k)
	}
	return h
}

func (c *Corpus) finishGroup(g *openGroup) {
	delete(c.groups, g.key)
	c.closed[maphash.String(keySeed, g.key)] = struct{}{}
	// Identical texts score 1 in homogenization, as in Shaib et al.'s code
	// (exact string equality there; equal 64-bit hash and length here).
	same := func(i, j int) bool { return g.textHash[i] == g.textHash[j] && g.textLen[i] == g.textLen[j] }
	res := GroupResult{
		Key:            g.key,
		Records:        len(g.bleu),
		SelfBLEU:       selfBLEU(g.bleu, c.opts.BLEUOrders),
		Homogenization: homogenization(g.rouge, same),
		SelfRepetition: selfRepetition(g.ws, c.opts.SelfRepetitionN),
	}
	if res.Records < 2 {
		c.gsum.singletons++
	} else {
		c.gsum.count++
		for j, v := range res.SelfBLEU {
			c.gsum.bleu[j] += v
		}
		c.gsum.homog += res.Homogenization
		c.gsum.selfRep += res.SelfRepetition
	}
	if c.opts.KeepGroups {
		c.groupList = append(c.groupList, res)
	}
}

// GroupResult holds the metrics of one group. Groups of one record have
// NaN self-BLEU and homogenization and do not enter the means.
type GroupResult struct {
	Key            string
	Records        int
	SelfBLEU       []float64 // per CorpusOptions.BLEUOrders
	Homogenization float64
	SelfRepetition float64
}

// MetricSummary aggregates one per-record metric over the records.
type MetricSummary struct {
	Name string
	// Count is the number of records where the metric is defined, Null
	// the number where it is null (they are skipped).
	Count, Null int
	// Mean is the plain mean over records (Welleck's macro average);
	// TokenWeightedMean weights each record by its token count.
	Mean, TokenWeightedMean float64
}

// Summary is the corpus-level result. Undefined values are NaN (null).
type Summary struct {
	Records int
	Tokens  int64
	Metrics []MetricSummary
	// UniqSeq is Welleck's uniq-seq: distinct tokens over all texts.
	UniqSeq int
	// SimCTG are SimCTG's pooled rep-2/3/4 (percent, rounded to 2
	// decimals) and diversity: Σ unique / Σ counted n-grams over texts,
	// unique counted within each text, the last n-gram of each text not
	// counted, diversity from the rounded values.
	SimCTGRep       [3]float64
	SimCTGDiversity float64
	// PooledDistinct[j] = |distinct n-grams over the corpus| / |n-grams|
	// for n = PooledNGrams[j]; n-grams do not cross texts.
	PooledNGrams   []int
	PooledDistinct []float64
	// PooledDistinctEstimated is set when some order outgrew
	// CorpusOptions.ExactDistinct and its distinct count is a HyperLogLog
	// estimate (standard error 0.8 %).
	PooledDistinctEstimated bool
	// ZlibRatioPooled = Σ text bytes / Σ per-record zlib sizes (free: the
	// per-record sizes; no cross-text redundancy).
	ZlibRatioPooled float64
	// CompressionRatio is Shaib et al.'s corpus compression ratio without
	// their quirks: bytes of ' '.join(texts) / len(gzip.compress(joined))
	// at CompressionLevel (gzip = the deflate stream + 18 bytes of header
	// and trailer), unrounded. Their package gzips twice (the outer layer
	// adds ~30 bytes) and rounds to 3 decimals. NaN when turned off.
	CompressionRatio float64
	CompressionLevel int
	Groups           GroupsSummary
}

// GroupsSummary averages the group metrics over the groups of two or more
// records.
type GroupsSummary struct {
	Count, Singletons int
	BLEUOrders        []int
	SelfBLEU          []float64
	Homogenization    float64
	SelfRepetitionN   int
	SelfRepetition    float64
	List              []GroupResult // with KeepGroups, in the order groups finished
}

// Summary finishes the open groups (in order of first appearance) and the
// compression stream and returns the corpus metrics. Later calls return the
// same Summary; Add fails after it.
func (c *Corpus) Summary() Summary {
	if c.done {
		return c.summary
	}
	c.done = true
	open := make([]*openGroup, 0, len(c.groups))
	for _, g := range c.groups {
		open = append(open, g)
	}
	sort.Slice(open, func(i, j int) bool { return open[i].seq < open[j].seq })
	for _, g := range open {
		c.finishGroup(g)
	}
	nan := math.NaN()
	s := Summary{Records: c.records, Tokens: c.tokens, UniqSeq: c.uniq.n,
		PooledNGrams: c.opts.NGrams, CompressionLevel: c.opts.CompressionLevel}
	for _, m := range c.metrics {
		ms := MetricSummary{Name: m.name, Count: m.count, Null: m.null, Mean: nan, TokenWeightedMean: nan}
		if m.count > 0 {
			ms.Mean = m.sum / float64(m.count)
		}
		if m.weight > 0 {
			ms.TokenWeightedMean = m.wsum / m.weight
		}
		s.Metrics = append(s.Metrics, ms)
	}
	for j := range 3 {
		s.SimCTGRep[j] = simctgRep(c.simctg[j].unique, c.simctg[j].total)
	}
	s.SimCTGDiversity = simctgDiversity(s.SimCTGRep[0], s.SimCTGRep[1], s.SimCTGRep[2])
	for j := range c.opts.NGrams {
		v := nan
		if c.pooledTotal[j] > 0 {
			v = c.pooled[j].count() / float64(c.pooledTotal[j])
			if c.pooled[j].est != nil {
				s.PooledDistinctEstimated = true
			}
		}
		s.PooledDistinct = append(s.PooledDistinct, v)
	}
	s.ZlibRatioPooled = nan
	if c.zlibBytes > 0 {
		s.ZlibRatioPooled = float64(c.textBytes) / float64(c.zlibBytes)
	}
	s.CompressionRatio = nan
	if c.zs != nil && c.records > 0 {
		s.CompressionRatio = float64(c.joinedBytes) / float64(c.zs.finish()+18)
	}
	if c.fz != nil && c.records > 0 {
		s.CompressionRatio = float64(c.joinedBytes) / float64(c.fz.finish()+18)
	}
	g := GroupsSummary{Count: c.gsum.count, Singletons: c.gsum.singletons, BLEUOrders: c.opts.BLEUOrders,
		SelfBLEU: make([]float64, len(c.opts.BLEUOrders)), Homogenization: nan,
		SelfRepetitionN: c.opts.SelfRepetitionN, SelfRepetition: nan, List: c.groupList}
	for j := range g.SelfBLEU {
		g.SelfBLEU[j] = nan
	}
	if g.Count > 0 {
		n := float64(g.Count)
		for j, v := range c.gsum.bleu {
			g.SelfBLEU[j] = v / n
		}
		g.Homogenization = c.gsum.homog / n
		g.SelfRepetition = c.gsum.selfRep / n
	}
	s.Groups = g
	c.summary = s
	return s
}

// AppendJSON appends the summary as a JSON object (fixed field order, null
// for undefined values).
func (s *Summary) AppendJSON(b []byte) []byte {
	b = append(b, `{"records":`...)
	b = strconv.AppendInt(b, int64(s.Records), 10)
	b = append(b, `,"tokens":`...)
	b = strconv.AppendInt(b, s.Tokens, 10)
	b = append(b, `,"metrics":{`...)
	for i, m := range s.Metrics {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '"')
		b = append(b, m.Name...)
		b = append(b, `":{"count":`...)
		b = strconv.AppendInt(b, int64(m.Count), 10)
		b = append(b, `,"null":`...)
		b = strconv.AppendInt(b, int64(m.Null), 10)
		b = append(b, `,"mean":`...)
		b = appendFloat(b, m.Mean)
		b = append(b, `,"token_weighted_mean":`...)
		b = appendFloat(b, m.TokenWeightedMean)
		b = append(b, '}')
	}
	b = append(b, `},"uniq_seq":`...)
	b = strconv.AppendInt(b, int64(s.UniqSeq), 10)
	b = append(b, `,"simctg":{"rep_2":`...)
	b = appendFloat(b, s.SimCTGRep[0])
	b = append(b, `,"rep_3":`...)
	b = appendFloat(b, s.SimCTGRep[1])
	b = append(b, `,"rep_4":`...)
	b = appendFloat(b, s.SimCTGRep[2])
	b = append(b, `,"diversity":`...)
	b = appendFloat(b, s.SimCTGDiversity)
	b = append(b, '}')
	for j, n := range s.PooledNGrams {
		b = append(b, `,"pooled_distinct_`...)
		b = strconv.AppendInt(b, int64(n), 10)
		b = append(b, `":`...)
		b = appendFloat(b, s.PooledDistinct[j])
	}
	if s.PooledDistinctEstimated {
		b = append(b, `,"pooled_distinct_estimated":true`...)
	}
	b = append(b, `,"zlib_ratio_pooled":`...)
	b = appendFloat(b, s.ZlibRatioPooled)
	b = append(b, `,"compression_ratio":`...)
	b = appendFloat(b, s.CompressionRatio)
	b = append(b, `,"compression_level":`...)
	b = strconv.AppendInt(b, int64(s.CompressionLevel), 10)
	g := &s.Groups
	b = append(b, `,"groups":{"count":`...)
	b = strconv.AppendInt(b, int64(g.Count), 10)
	b = append(b, `,"singletons":`...)
	b = strconv.AppendInt(b, int64(g.Singletons), 10)
	b = g.appendValues(b, g.SelfBLEU, g.Homogenization, g.SelfRepetition)
	if g.List != nil {
		b = append(b, `,"list":[`...)
		for i, r := range g.List {
			if i > 0 {
				b = append(b, ',')
			}
			key, _ := json.Marshal(r.Key)
			b = append(b, `{"group":`...)
			b = append(b, key...)
			b = append(b, `,"records":`...)
			b = strconv.AppendInt(b, int64(r.Records), 10)
			b = g.appendValues(b, r.SelfBLEU, r.Homogenization, r.SelfRepetition)
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	return append(b, "}}"...)
}

func (g *GroupsSummary) appendValues(b []byte, bleu []float64, homog, selfRep float64) []byte {
	for j, n := range g.BLEUOrders {
		b = append(b, `,"self_bleu_`...)
		b = strconv.AppendInt(b, int64(n), 10)
		b = append(b, `":`...)
		b = appendFloat(b, bleu[j])
	}
	b = append(b, `,"homogenization_rougel":`...)
	b = appendFloat(b, homog)
	b = append(b, `,"self_repetition_`...)
	b = strconv.AppendInt(b, int64(g.SelfRepetitionN), 10)
	b = append(b, `":`...)
	return appendFloat(b, selfRep)
}

// MarshalJSON is AppendJSON for encoding/json.
func (s Summary) MarshalJSON() ([]byte, error) { return s.AppendJSON(nil), nil }

// Markdown renders the summary as two markdown tables: the per-record
// metrics, then the corpus values.
func (s *Summary) Markdown() string {
	var sb strings.Builder
	sb.WriteString("| metric | records | null | mean | token-weighted mean |\n|---|---:|---:|---:|---:|\n")
	for _, m := range s.Metrics {
		fmt.Fprintf(&sb, "| %s | %d | %d | %s | %s |\n", m.Name, m.Count, m.Null, mdFloat(m.Mean), mdFloat(m.TokenWeightedMean))
	}
	sb.WriteString("\n| corpus metric | value |\n|---|---:|\n")
	row := func(name, v string) { fmt.Fprintf(&sb, "| %s | %s |\n", name, v) }
	row("records", strconv.Itoa(s.Records))
	row("tokens", strconv.FormatInt(s.Tokens, 10))
	row("uniq_seq", strconv.Itoa(s.UniqSeq))
	for j, n := range []int{2, 3, 4} {
		row(fmt.Sprintf("simctg rep-%d (%%)", n), mdFloat(s.SimCTGRep[j]))
	}
	row("simctg diversity", mdFloat(s.SimCTGDiversity))
	for j, n := range s.PooledNGrams {
		name := fmt.Sprintf("pooled distinct-%d", n)
		if s.PooledDistinctEstimated {
			name += " (HyperLogLog estimate past the exact limit)"
		}
		row(name, mdFloat(s.PooledDistinct[j]))
	}
	row("zlib ratio, pooled", mdFloat(s.ZlibRatioPooled))
	if s.CompressionLevel > 0 {
		row(fmt.Sprintf("compression ratio (gzip %d)", s.CompressionLevel), mdFloat(s.CompressionRatio))
	}
	g := &s.Groups
	row("groups (≥ 2 records)", strconv.Itoa(g.Count))
	row("single-record groups", strconv.Itoa(g.Singletons))
	if g.Count > 0 {
		for j, n := range g.BLEUOrders {
			row(fmt.Sprintf("self-BLEU-%d (mean over groups)", n), mdFloat(g.SelfBLEU[j]))
		}
		row("homogenization ROUGE-L (mean over groups)", mdFloat(g.Homogenization))
		row(fmt.Sprintf("self-repetition-%d (mean over groups)", g.SelfRepetitionN), mdFloat(g.SelfRepetition))
	}
	return sb.String()
}

func mdFloat(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "–"
	}
	return strconv.FormatFloat(v, 'g', 6, 64)
}

// u64set is a growable open-addressing set of 64-bit hashes (0 is stored
// as 1, which adds one more possible collision to the bound above).
type u64set struct {
	slots []uint64
	shift uint
	n     int
	limit int  // exact entries kept before switching to est (≤ 0: no limit)
	est   *hll // the sketch, once the set has outgrown limit
}

// count is the number of distinct keys added, exact or estimated.
func (s *u64set) count() float64 {
	if s.est != nil {
		return s.est.estimate()
	}
	return float64(s.n)
}

func (s *u64set) add(k uint64) {
	if s.est != nil {
		s.est.add(k)
		return
	}
	if k == 0 {
		k = 1
	}
	if s.limit > 0 && s.n >= s.limit {
		s.est = &hll{}
		for _, v := range s.slots {
			if v != 0 {
				s.est.add(v)
			}
		}
		s.slots = nil
		s.est.add(k)
		return
	}
	if 2*(s.n+1) > len(s.slots) {
		s.grow()
	}
	mask := len(s.slots) - 1
	for i := int(fib(k) >> s.shift); ; i = (i + 1) & mask {
		switch s.slots[i] {
		case k:
			return
		case 0:
			s.slots[i] = k
			s.n++
			return
		}
	}
}

func (s *u64set) grow() {
	old := s.slots
	size := max(1024, 2*len(old))
	s.slots = make([]uint64, size)
	s.shift = uint(64 - bits.TrailingZeros(uint(size)))
	mask := size - 1
	for _, k := range old {
		if k == 0 {
			continue
		}
		i := int(fib(k) >> s.shift)
		for s.slots[i] != 0 {
			i = (i + 1) & mask
		}
		s.slots[i] = k
	}
}

// hll is a HyperLogLog sketch with 2^14 registers over keys that are
// already well-mixed 64-bit hashes: the top 14 bits choose a register,
// which keeps the largest number of leading zeros (+1) of the rest.
type hll struct {
	reg [1 << hllBits]uint8
}

const hllBits = 14

func (h *hll) add(k uint64) {
	k = mix64(k) // the n-gram and token hashes are mixed, but cheaply; mix again
	i := k >> (64 - hllBits)
	rho := uint8(bits.LeadingZeros64(k<<hllBits|1<<(hllBits-1)) + 1)
	if rho > h.reg[i] {
		h.reg[i] = rho
	}
}

// estimate is Flajolet et al.'s estimate with linear counting for small
// cardinalities.
func (h *hll) estimate() float64 {
	const m = float64(1 << hllBits)
	sum, zeros := 0.0, 0
	for _, r := range h.reg {
		sum += math.Ldexp(1, -int(r))
		if r == 0 {
			zeros++
		}
	}
	e := 0.7213 / (1 + 1.079/m) * m * m / sum
	if e <= 2.5*m && zeros > 0 {
		return m * math.Log(m/float64(zeros))
	}
	return e
}

func mix64(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// writeJoined feeds the joined corpus to the compression sizer.
func (c *Corpus) writeJoined(s string) {
	c.joinedBytes += int64(len(s))
	if c.zs != nil {
		c.zs.write(s)
	} else {
		c.fz.write(s)
	}
}

// fastSizer counts the bytes of a deflate stream of klauspost/compress.
type fastSizer struct {
	n int64
	w *flate.Writer
}

func newFastSizer(level int) *fastSizer {
	f := &fastSizer{}
	f.w, _ = flate.NewWriter(countWriter{&f.n}, level)
	return f
}

func (f *fastSizer) write(s string) { _, _ = io.WriteString(f.w, s) }

// finish closes the stream and returns its size: the raw deflate bytes, as
// zlibSizer.finish counts them.
func (f *fastSizer) finish() int {
	_ = f.w.Close()
	return int(f.n)
}

type countWriter struct{ n *int64 }

func (c countWriter) Write(p []byte) (int, error) { *c.n += int64(len(p)); return len(p), nil }
