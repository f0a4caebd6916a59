package model

import (
	"cmp"
	"fmt"
	"math"

	"github.com/degen-llm/degen/kernels"
)

// State is the working memory of one sequence: activation buffers and the
// KV cache, allocated once by NewState so that Forward allocates nothing per
// token. A State is not safe for concurrent use; give each sequence its own.
type State struct {
	m    *Model
	pool *kernels.Pool
	ctx  int // positions the KV cache holds

	keys   []float32 // (n_layers, ctx, kv_dim) key cache
	values []float32 // (n_layers, ctx, kv_dim) value cache
	invFrq []float32 // (head_dim/2) RoPE frequencies, theta^(-2i/head_dim) after scaling
	invLoc []float32 // (head_dim/2) the local (sliding-window) layers' frequencies; nil without them
	mscale float32   // YaRN's magnitude scale of cos and sin (1 otherwise)

	// Logits is the output of the last Forward: (vocab).
	Logits []float32
	// Hidden is the final hidden state of the last Forward, after the last
	// RMSNorm and before the classifier: (dim). Contrastive search compares
	// these between positions.
	Hidden []float32

	mv   matVecTask
	one  [1]int   // Forward's token, as a prompt of one for Prefill
	step stepBufs // Prefill's buffers, grown to the longest prompt chunk yet
}

// RopeScaling changes how positions map to RoPE angles, to run past the
// trained context length.
type RopeScaling struct {
	// Type is "" or "linear" (position interpolation: positions divided by
	// Factor, as LongChat) or "yarn" (YaRN, Peng et al. 2023: high-frequency
	// dimensions keep their angles, low-frequency ones are interpolated by
	// Factor, with a linear ramp between, and attention is sharpened by
	// mscale = 1 + 0.1·ln(Factor)).
	Type string
	// Factor is the context extension factor (> 1 to extend); 0 or 1 is off.
	Factor float32
	// FreqBase replaces the model's RoPE theta when non-zero (NTK-aware).
	FreqBase float32
	// OrigContext is the trained context length YaRN's ramp refers to
	// (0: the model's SeqLen).
	OrigContext int
	// BetaFast and BetaSlow bound YaRN's ramp in rotations over the trained
	// context (0: YaRN's defaults, 32 and 1).
	BetaFast, BetaSlow float32
}

// StateOptions configure a State.
type StateOptions struct {
	// Context is the number of positions to hold; 0 means the model's
	// trained context length.
	Context int
	// Rope overrides the model's own RoPE scaling (Model.Rope) when it is
	// not the zero value; Type "none" turns the file's scaling off.
	Rope RopeScaling
}

// NewState allocates the buffers and KV cache for one sequence. Matrix
// products are split across pool's workers; pool may be shared by the
// States of one goroutine but not used by two goroutines at once.
func (m *Model) NewState(pool *kernels.Pool, opt StateOptions) (*State, error) {
	c := m.Config
	ctx := opt.Context
	if ctx <= 0 {
		ctx = c.SeqLen
	}
	if ctx > 1<<22 {
		return nil, fmt.Errorf("context %d is too large", ctx)
	}
	kv := c.KVDim()
	hd := c.HeadDim()
	s := &State{
		m: m, pool: pool, ctx: ctx,
		keys:   make([]float32, c.NLayers*ctx*kv),
		values: make([]float32, c.NLayers*ctx*kv),
		invFrq: make([]float32, hd/2),
		Logits: make([]float32, c.VocabSize),
		Hidden: make([]float32, c.Dim),
	}
	rope := opt.Rope
	if rope == (RopeScaling{}) {
		rope = m.Rope
	}
	s.mscale = ropeFrequencies(s.invFrq, c, rope)
	for i, f := range m.Weights.RopeFreqs {
		s.invFrq[i] /= f // Llama 3.1's per-frequency scaling, as llama.cpp applies rope_freqs
	}
	if c.Window > 0 {
		// Gemma 3's local layers: their own base, no scaling.
		local := c
		local.RopeTheta = cmp.Or(c.RopeThetaLocal, c.RopeTheta)
		s.invLoc = make([]float32, hd/2)
		ropeFrequencies(s.invLoc, local, RopeScaling{})
	}
	s.step.grow(&c, 1, c.NHeads*ctx) // so that the first Forward allocates nothing either
	return s, nil
}

// Context is the number of positions the State holds.
func (s *State) Context() int { return s.ctx }

// Model is the model the State runs.
func (s *State) Model() *Model { return s.m }

// actSet holds the inputs of one product step converted for the weight
// types of its matrices (kernels.Act): the conversion that llama.cpp does
// before each product, done once per matrix group and token, not per row
// range. Matrices of one type share one conversion.
type actSet [3]kernels.Act

// prepare converts x (n rows) for each matrix of ws (up to the first nil)
// and sets acts[i] to the input of ws[i].
func (s *actSet) prepare(x []float32, n int, ws []*kernels.Mat, acts []*kernels.Act) {
	for i, w := range ws {
		if w == nil {
			break
		}
		acts[i] = nil
		for j := 0; j < i; j++ {
			if ws[j].Type == w.Type {
				acts[i] = acts[j]
				break
			}
		}
		if acts[i] == nil {
			s[i].Prepare(w.Type, x, n, w.Cols)
			acts[i] = &s[i]
		}
	}
}

// matVecTask is a matrix-vector product split by rows over the pool.
type matVecTask struct {
	out []float32
	w   *kernels.Mat
	act [1]*kernels.Act
}

func (t *matVecTask) Run(lo, hi int) { kernels.MatMulAct(t.out, t.w, t.act[0], lo, hi) }

func (s *State) matVec(out []float32, w *kernels.Mat, x []float32) {
	s.mv = matVecTask{out: out, w: w}
	s.step.acts.prepare(x, 1, []*kernels.Mat{w}, s.mv.act[:])
	s.pool.Run(w.Rows, rowAlign(w), &s.mv)
}

// projTask is up to three products of the same n inputs (q, k and v),
// stacked by rows into one pool task: each worker streams long stretches
// of weights with one hand-off instead of three, with a synchronisation
// between them. n is 1 for a single sequence (MatMul is then MatVec).
type projTask struct {
	out [3][]float32 // out[i] is (n, w[i].Rows)
	w   [3]*kernels.Mat
	act [3]*kernels.Act // w[i]'s input, the n vectors converted for its type
}

func (t *projTask) Run(lo, hi int) {
	base := 0
	for i, w := range t.w {
		if w == nil {
			break
		}
		// rows [base, base+w.Rows) of the stacked task are this matrix's
		a, b := max(lo, base), min(hi, base+w.Rows)
		if a < b {
			kernels.MatMulAct(t.out[i], w, t.act[i], a-base, b-base)
		}
		base += w.Rows
	}
}

// run converts x (n, cols) for the matrices and computes the products over
// pool: inline on the caller when the matrices are so small that a
// hand-off costs more than the work.
func (t *projTask) run(pool *kernels.Pool, acts *actSet, x []float32, n int) {
	acts.prepare(x, n, t.w[:], t.act[:])
	rows := 0
	for _, w := range t.w {
		if w != nil {
			rows += w.Rows
		}
	}
	align := rowAlign(t.w[0])
	if align == t.w[0].Rows {
		align = rows
	}
	pool.Run(rows, align, t)
}

// gateUpTask is the first half of the feed-forward block for n inputs:
// h = SwiGLU(W1·x, W3·x), split by hidden unit so that each worker applies
// SwiGLU to the gate and up rows it has just computed (no serial SwiGLU
// pass, no extra hand-off).
type gateUpTask struct {
	h, g   []float32 // (n, hidden_dim): gate then SwiGLU output, and up
	w1, w3 *kernels.Mat
	act    [2]*kernels.Act
	n      int
	gelu   bool // GeGLU instead of SwiGLU
}

func (t *gateUpTask) Run(lo, hi int) {
	kernels.MatMulAct(t.h, t.w1, t.act[0], lo, hi)
	kernels.MatMulAct(t.g, t.w3, t.act[1], lo, hi)
	hd := t.w1.Rows
	glu := kernels.SwiGLU
	if t.gelu {
		glu = kernels.GeGLU
	}
	for i := 0; i < t.n; i++ {
		glu(t.h[i*hd+lo:i*hd+hi], t.g[i*hd+lo:i*hd+hi])
	}
}

func (t *gateUpTask) run(pool *kernels.Pool, acts *actSet, x []float32) {
	acts.prepare(x, t.n, []*kernels.Mat{t.w1, t.w3}, t.act[:])
	pool.Run(t.w1.Rows, rowAlign(t.w1), t)
}

// rowAlign is the granule of the row split: 16 rows, so that two workers
// never write the same 64-byte cache line of the output, and the whole
// matrix when it is so small that handing half of it to another core
// costs more than computing it (stories260K's 64×64 projections).
func rowAlign(w *kernels.Mat) int {
	if w.Rows*w.Cols < 1<<15 {
		return w.Rows
	}
	return 16
}

// attendHead is one head's attention at one position, shared by Forward,
// Batch.Forward and Prefill so that all three give the same numbers:
// scores of q (head_dim) against the len(att) cached keys, softmax, and the
// weighted sum of the values into out (head_dim). keys and values start at
// this head's slice of position 0; cached positions are kvDim apart.
func attendHead(out, q, att, keys, values []float32, kvDim int, scale float32) {
	kernels.AttnScores(att, q, keys, kvDim, scale)
	kernels.Softmax(att)
	kernels.AttnMix(out, att, values, kvDim)
}

// Forward runs one token at position pos through the model and returns the
// logits (vocab), valid until the next call. Positions must be fed in order
// from 0 (the KV cache holds earlier ones); pos must be below Context().
// It is Prefill of a one-token prompt: with one token every product of
// Prefill is a matrix-vector product, the same arithmetic.
func (s *State) Forward(token, pos int) []float32 {
	s.one[0] = token
	return s.Prefill(s.one[:], pos, nil)
}

// rotation fills cos and sin (head_dim/2 each) with the RoPE rotation of
// position pos, scaled by YaRN's mscale.
func (s *State) rotation(cos, sin []float32, pos int) {
	rotate(cos, sin, s.invFrq, pos, s.mscale)
}

// rotate fills cos and sin with the rotation of position pos under the
// frequencies invFrq, scaled by mscale.
func rotate(cos, sin, invFrq []float32, pos int, mscale float32) {
	for i, f := range invFrq {
		a := float64(pos) * float64(f)
		cos[i] = float32(math.Cos(a)) * mscale
		sin[i] = float32(math.Sin(a)) * mscale
	}
}

// CopyFrom makes s a copy of o's cache and buffers up to position n
// (exclusive), so that beams and contrastive candidates can fork a sequence.
// Both must belong to the same model and context size.
func (s *State) CopyFrom(o *State, n int) {
	if s.m != o.m || s.ctx != o.ctx {
		panic("model: CopyFrom between different models or contexts")
	}
	kvDim := s.m.Config.KVDim()
	for l := 0; l < s.m.Config.NLayers; l++ {
		off := l * s.ctx * kvDim
		copy(s.keys[off:off+n*kvDim], o.keys[off:off+n*kvDim])
		copy(s.values[off:off+n*kvDim], o.values[off:off+n*kvDim])
	}
	copy(s.Logits, o.Logits)
	copy(s.Hidden, o.Hidden)
}

// ropeFrequencies fills invFrq (head_dim/2) with the per-pair rotation
// frequencies under scaling r and returns the factor cos and sin are
// multiplied by.
func ropeFrequencies(invFrq []float32, c Config, r RopeScaling) float32 {
	hd := c.HeadDim()
	theta := float64(c.RopeTheta)
	if r.FreqBase > 0 {
		theta = float64(r.FreqBase)
	}
	factor := float64(r.Factor)
	if factor <= 0 {
		factor = 1
	}
	// llama2.c: freq_i = theta^(-2i/head_dim), the angle of pair i at
	// position p is p·freq_i.
	extrap := func(i int) float64 { return 1 / math.Pow(theta, float64(2*i)/float64(hd)) }
	switch r.Type {
	case "yarn":
		orig := r.OrigContext
		if orig <= 0 {
			orig = c.SeqLen
		}
		fast, slow := float64(r.BetaFast), float64(r.BetaSlow)
		if fast == 0 {
			fast = 32
		}
		if slow == 0 {
			slow = 1
		}
		// The pair index whose wavelength makes `rot` full rotations over
		// the trained context: below low, pairs rotate fast enough to keep
		// their angles; above high, they are interpolated.
		dim := func(rot float64) float64 {
			return float64(hd) * math.Log(float64(orig)/(rot*2*math.Pi)) / (2 * math.Log(theta))
		}
		low := math.Max(0, math.Floor(dim(fast)))
		high := math.Min(float64(hd/2-1), math.Ceil(dim(slow)))
		for i := range invFrq {
			y := (float64(i) - low) / math.Max(0.001, high-low)
			keep := 1 - math.Min(1, math.Max(0, y)) // 1: extrapolate, 0: interpolate
			f := extrap(i)
			invFrq[i] = float32(f/factor*(1-keep) + f*keep)
		}
		if factor > 1 {
			return float32(1 + 0.1*math.Log(factor))
		}
		return 1
	default: // "" or "linear": position interpolation
		for i := range invFrq {
			invFrq[i] = float32(extrap(i) / factor)
		}
		return 1
	}
}
