// Package bench measures inference speed against the machine's memory
// bandwidth: decode of one sequence (memory-bound: every weight is read
// once per token), prefill of a prompt (compute-bound: matrix-matrix
// products) and batched decode of several sequences (each weight read once
// for all of them), on random-weight models of the real tinyllamas shapes.
//
// The limit of memory-bound decode is bandwidth / bytes of weights read per
// token; every decode figure is reported as a ratio to that limit.
package bench

import (
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/degen-llm/degen/kernels"
	"github.com/degen-llm/degen/model"
)

// Options choose what to measure.
type Options struct {
	Dir           string   // where synthetic models are written and reused
	Shapes        []string // "stories15M", "stories110M"
	Types         []string // "f32", "q8_0"
	Threads       []int    // e.g. 1, 2
	DecodeTokens  int      // tokens decoded per measurement
	PrefillTokens int      // prompt length of the prefill measurement
	Batch         int      // sequences of the batched-decode measurement
	BandwidthMiB  int      // size of the bandwidth buffer (must exceed the last-level cache)
	Repeat        int      // rounds over all rows; each figure is the median over rounds
	// LlamaBench, when set, is llama.cpp's llama-bench, run on the same
	// file and thread count right after each row (its default settings,
	// -p PrefillTokens -n DecodeTokens -r 3), so that both engines meet
	// the same machine in the same minute.
	LlamaBench string
	// Llama2C, when set, is llama2.c's run binary (built with OpenMP),
	// run on a llama2.c export of the same weights for the llama-shaped
	// F32 rows it can read.
	Llama2C string
	Log     func(format string, a ...any)
}

// Row is the figures of one model, weight type and thread count.
type Row struct {
	Shape        string  `json:"shape"`
	Type         string  `json:"type"`
	Threads      int     `json:"threads"`
	WeightBytes  int64   `json:"weight_bytes_per_token"`
	FileBytes    int64   `json:"file_bytes"`
	BandwidthGBs float64 `json:"bandwidth_gb_s"` // measured between this row's decode tokens
	LimitTokS    float64 `json:"limit_tok_s"`    // bandwidth / weight bytes
	DecodeTokS   float64 `json:"decode_tok_s"`
	DecodeRatio  float64 `json:"decode_ratio_to_limit"`
	PrefillTokS  float64 `json:"prefill_tok_s"`
	BatchTokS    float64 `json:"batch_tok_s"` // tokens of all sequences per second
	BatchSpeedup float64 `json:"batch_speedup"`
	BatchRatio   float64 `json:"batch_ratio_to_limit"` // per-step weight reads vs the limit
	RSSBytes     int64   `json:"rss_bytes"`
	KVBytes      int64   `json:"kv_cache_bytes"`
	// The reference engines on the same file in the same round (0 when
	// not run): llama.cpp's decode (tg) and prefill (pp) tokens/s, and
	// llama2.c's decode tokens/s.
	LlamaCppDecodeTokS  float64 `json:"llamacpp_decode_tok_s,omitempty"`
	LlamaCppPrefillTokS float64 `json:"llamacpp_prefill_tok_s,omitempty"`
	Llama2CDecodeTokS   float64 `json:"llama2c_decode_tok_s,omitempty"`
}

// Result is a whole run.
type Result struct {
	Date       string          `json:"date"`
	CPU        string          `json:"cpu"`
	Cores      int             `json:"cores"`
	Kernels    string          `json:"kernels"`
	Bandwidth  map[int]float64 `json:"bandwidth_gb_s"` // by thread count
	Rows       []Row           `json:"rows"`
	DecodeToks int             `json:"decode_tokens"`
	PrefillLen int             `json:"prefill_tokens"`
	BatchSize  int             `json:"batch"`
	Repeat     int             `json:"repeat"`
}

// Run measures everything Options asks for.
func Run(o Options) (*Result, error) {
	logf := o.Log
	if logf == nil {
		logf = func(string, ...any) {}
	}
	res := &Result{Date: time.Now().UTC().Format(time.RFC3339), CPU: CPUName(), Cores: runtime.NumCPU(),
		Kernels: kernels.Impl(), Bandwidth: map[int]float64{}, DecodeToks: o.DecodeTokens, PrefillLen: o.PrefillTokens, BatchSize: o.Batch,
		Repeat: max(1, o.Repeat)}
	// Each row's limit uses the bandwidth measured between its own decode
	// tokens (see measure); the summary per thread count is their median.
	perThreads := map[int][]float64{}
	type key struct {
		shape, typ string
		threads    int
	}
	var order []key
	rounds := map[key][]Row{}
	paths := map[key]string{}
	for _, shape := range o.Shapes {
		preset, ok := model.Presets[shape]
		if !ok {
			return nil, fmt.Errorf("unknown shape %q (known: %s)", shape, model.PresetNames())
		}
		for _, typ := range o.Types {
			logf("writing (once) the synthetic %s %s model into %s", shape, typ, o.Dir)
			path, err := model.SynthPresetFile(o.Dir, preset, 1, typ)
			if err != nil {
				return nil, err
			}
			for _, th := range o.Threads {
				k := key{shape, typ, th}
				order = append(order, k)
				paths[k] = path
			}
		}
	}
	// Rounds go over every row before repeating any, so that a slow
	// stretch of a shared machine lands in one round of many rows rather
	// than in every round of one row.
	for round := 0; round < max(1, o.Repeat); round++ {
		for _, k := range order {
			logf("measuring %s %s, %d thread(s), round %d", k.shape, k.typ, k.threads, round+1)
			row, err := measure(paths[k], k.threads, o)
			if err != nil {
				return nil, err
			}
			row.Shape, row.Type = k.shape, k.typ
			if o.LlamaBench != "" {
				if row.LlamaCppDecodeTokS, row.LlamaCppPrefillTokS, err = runLlamaBench(o.LlamaBench, paths[k], k.threads, o); err != nil {
					return nil, err
				}
			}
			if o.Llama2C != "" && k.typ == "f32" {
				if row.Llama2CDecodeTokS, err = runLlama2C(o.Llama2C, o.Dir, model.Presets[k.shape], k.threads, o); err != nil {
					return nil, err
				}
			}
			row.LimitTokS = row.BandwidthGBs * 1e9 / float64(row.WeightBytes)
			row.DecodeRatio = row.DecodeTokS / row.LimitTokS
			if row.DecodeTokS > 0 {
				row.BatchSpeedup = row.BatchTokS / row.DecodeTokS
			}
			if o.Batch > 0 {
				row.BatchRatio = row.BatchTokS / float64(o.Batch) / row.LimitTokS
			}
			logf("%s %s, %d thread(s): bandwidth %.1f GB/s, decode %.0f tok/s", k.shape, k.typ, k.threads, row.BandwidthGBs, row.DecodeTokS)
			rounds[k] = append(rounds[k], row)
		}
	}
	for _, k := range order {
		row := medianRow(rounds[k])
		perThreads[k.threads] = append(perThreads[k.threads], row.BandwidthGBs)
		res.Rows = append(res.Rows, row)
	}
	for th, bws := range perThreads {
		res.Bandwidth[th] = median(bws)
	}
	return res, nil
}

// measure loads one model file and times decode, prefill and batched decode.
//
// Every figure is a median, the bandwidth's too: on a machine shared with
// other jobs memory speed changes from second to second, and a best-of
// bandwidth against a typical decode would understate the ratio as surely
// as the reverse would overstate it. For the same reason the bandwidth
// passes are taken between the decode tokens, so that limit and decode
// see the same machine. The KV caches are warmed by an untimed pass first,
// as they are when generate reuses its sequences from record to record.
func measure(path string, threads int, o Options) (Row, error) {
	m, err := model.Load(path, model.LoadOptions{NoTokenizer: true})
	if err != nil {
		return Row{}, err
	}
	defer m.Close()
	pool := kernels.NewPool(threads)
	defer pool.Close()
	row := Row{Threads: threads, WeightBytes: m.WeightBytes()}
	if fi, err := os.Stat(path); err == nil {
		row.FileBytes = fi.Size()
	}
	ctx := max(o.DecodeTokens, o.PrefillTokens) + 8
	ctx = min(ctx, m.Config.SeqLen)
	st, err := m.NewState(pool, model.StateOptions{Context: ctx})
	if err != nil {
		return row, err
	}
	row.KVBytes = int64(2 * 4 * m.Config.NLayers * ctx * m.Config.KVDim())
	vocab := m.Config.VocabSize
	tok := func(i int) int { return 3 + (i*7919)%(vocab-3) }
	n := min(o.DecodeTokens, ctx)

	// Decode: one token at a time, after an untimed pass over the same
	// positions; a bandwidth pass every few tokens.
	for p := 0; p < n; p++ {
		st.Forward(tok(p), p)
	}
	row.RSSBytes = rss()
	bw := newBandwidthBuf(o.BandwidthMiB, pool)
	every := max(1, n/8)
	var tokTimes, bwRates []float64
	for p := 0; p < n; p++ {
		if p%every == 0 {
			bwRates = append(bwRates, bw.pass())
		}
		t0 := time.Now()
		st.Forward(tok(p), p)
		tokTimes = append(tokTimes, time.Since(t0).Seconds())
	}
	bw = nil
	debug.FreeOSMemory()
	row.DecodeTokS = 1 / median(tokTimes)
	row.BandwidthGBs = median(bwRates) / 1e9

	// Prefill: the whole prompt as one batch, median of 3.
	pn := min(o.PrefillTokens, ctx)
	prompt := make([]int, pn)
	for i := range prompt {
		prompt[i] = tok(i)
	}
	var pre []float64
	for r := 0; r < 3; r++ {
		start := time.Now()
		st.Prefill(prompt, 0, nil)
		pre = append(pre, time.Since(start).Seconds())
	}
	row.PrefillTokS = float64(pn) / median(pre)

	// Batched decode: o.Batch sequences advance together; an untimed pass
	// first, then the median step.
	if o.Batch > 0 {
		states := make([]*model.State, o.Batch)
		for i := range states {
			if states[i], err = m.NewState(pool, model.StateOptions{Context: ctx}); err != nil {
				return row, err
			}
		}
		b := m.NewBatch(pool, o.Batch)
		toks := make([]int, o.Batch)
		pos := make([]int, o.Batch)
		steps := max(n/2, 8)
		steps = min(steps, ctx)
		var stepTimes []float64
		for pass := 0; pass < 2; pass++ {
			for p := 0; p < steps; p++ {
				for i := range toks {
					toks[i], pos[i] = tok(p*o.Batch+i), p
				}
				t0 := time.Now()
				b.Forward(states, toks, pos)
				if pass == 1 {
					stepTimes = append(stepTimes, time.Since(t0).Seconds())
				}
			}
		}
		row.BatchTokS = float64(o.Batch) / median(stepTimes)
	}
	return row, nil
}

// medianRow is the rounds of one row folded into one: each rate and ratio
// the median over rounds (each ratio computed within its round, where
// decode and bandwidth were measured together), and the smallest RSS: the
// process also holds heap the Go runtime kept from the rows measured
// before, more of it in later rounds, and that is not this row's.
func medianRow(rs []Row) Row {
	out := rs[0]
	pick := func(f func(*Row) *float64) {
		xs := make([]float64, len(rs))
		for i := range rs {
			xs[i] = *f(&rs[i])
		}
		*f(&out) = median(xs)
	}
	pick(func(r *Row) *float64 { return &r.BandwidthGBs })
	pick(func(r *Row) *float64 { return &r.LimitTokS })
	pick(func(r *Row) *float64 { return &r.DecodeTokS })
	pick(func(r *Row) *float64 { return &r.DecodeRatio })
	pick(func(r *Row) *float64 { return &r.PrefillTokS })
	pick(func(r *Row) *float64 { return &r.BatchTokS })
	pick(func(r *Row) *float64 { return &r.BatchSpeedup })
	pick(func(r *Row) *float64 { return &r.BatchRatio })
	pick(func(r *Row) *float64 { return &r.LlamaCppDecodeTokS })
	pick(func(r *Row) *float64 { return &r.LlamaCppPrefillTokS })
	pick(func(r *Row) *float64 { return &r.Llama2CDecodeTokS })
	for _, r := range rs {
		out.RSSBytes = min(out.RSSBytes, r.RSSBytes)
	}
	return out
}

// median of xs (sorted in place); 0 for none.
func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	sort.Float64s(xs)
	if len(xs)%2 == 1 {
		return xs[len(xs)/2]
	}
	return (xs[len(xs)/2-1] + xs[len(xs)/2]) / 2
}

// bandwidthBuf measures memory read bandwidth: passes of a matrix-vector
// product over a matrix of mib MiB (larger than the last-level cache),
// split across the pool's threads, with the fastest kernel of this CPU —
// the read pattern of decode itself.
type bandwidthBuf struct {
	mat  kernels.Mat
	pool *kernels.Pool
	task mvTask
}

func newBandwidthBuf(mib int, pool *kernels.Pool) *bandwidthBuf {
	const cols = 4096
	rows := mib << 20 / 4 / cols
	w := make([]float32, rows*cols)
	// Every page gets different contents: a host that merges identical
	// pages (KSM) would otherwise serve the whole buffer from a few
	// physical pages, and the "memory" read would come from the cache.
	r := uint32(2463534242)
	for i := range w {
		r ^= r << 13
		r ^= r >> 17
		r ^= r << 5
		w[i] = float32(r>>8) * (1.0 / (1 << 24))
	}
	b := &bandwidthBuf{mat: kernels.NewF32(w, rows, cols), pool: pool}
	b.task = mvTask{make([]float32, rows), &b.mat, make([]float32, cols)}
	return b
}

// pass reads the whole matrix once and returns the rate in bytes/s.
func (b *bandwidthBuf) pass() float64 {
	start := time.Now()
	b.pool.Run(b.mat.Rows, 16, &b.task)
	return float64(b.mat.Bytes()) / time.Since(start).Seconds()
}

type mvTask struct {
	out []float32
	w   *kernels.Mat
	x   []float32
}

func (t *mvTask) Run(lo, hi int) { kernels.MatVec(t.out, t.w, t.x, lo, hi) }

// rss is the resident set size of this process (Linux), 0 elsewhere.
func rss() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "VmRSS:") {
			f := strings.Fields(line)
			if len(f) >= 2 {
				kb, _ := strconv.ParseInt(f[1], 10, 64)
				return kb << 10
			}
		}
	}
	return 0
}

// CPUName is the CPU model from /proc/cpuinfo, or the architecture.
func CPUName() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(line, "model name") {
				if _, v, ok := strings.Cut(line, ":"); ok {
					return strings.TrimSpace(v)
				}
			}
		}
	}
	return runtime.GOARCH
}
