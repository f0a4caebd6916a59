package model

import (
	"math"

	"github.com/degen-llm/degen/kernels"
)

// A step is one pass of n rows through every transformer block. Row i is
// token tokens[i] of sequence states[i] at position pos[i]:
//
//	Prefill        n rows of one State at positions pos0, pos0+1, ...
//	Batch.Forward  n States, one position each (beams, samples, records)
//	Forward        one row (Prefill of a one-token prompt)
//
// Every row's arithmetic is the same whichever of the three runs it: the
// products are matrix-matrix products over the rows (each weight read once
// for all of them), which give each row the bits a matrix-vector product
// would, and each row writes its keys and values into its own State's cache
// at its own position before any row attends. So prefill, batched and
// single decoding agree, and a prompt fed whole, in chunks or token by
// token fills the cache alike.
//
// This is the only block loop: what an architecture changes in it is read
// from the Arch of the model's Config.
type stepBufs struct {
	rows     int       // capacity in rows
	x        []float32 // (rows, dim) residual stream
	xb       []float32 // (rows, dim) normed input of a sublayer
	xb2      []float32 // (rows, dim) sublayer output
	q, ao    []float32 // (rows, q_dim) queries, attention output
	k, v     []float32 // (rows, kv_dim) this step's keys and values
	hb, hb2  []float32 // (rows, hidden_dim) gate (then SwiGLU) and up
	cos, sin []float32 // (rows, head_dim/2) each row's RoPE rotation
	cosL     []float32 // (rows, head_dim/2) the same for local layers (Gemma 3), when the model has them
	sinL     []float32
	scores   []float32 // (rows*n_heads, stride) attention scores of (row, head) items
	stride   int       // scores per item: above the largest position attended

	states []*State
	pos    []int

	proj projTask
	ffn  gateUpTask
	mm   matMulTask
	attn attnTask
	norm normRowsTask
	acts actSet // the converted inputs of the current product
}

// grow makes room for rows rows and scoreFloats attention scores. Buffers
// only grow, so a step that fits allocates nothing.
func (b *stepBufs) grow(c *Config, rows, scoreFloats int) {
	if rows > b.rows {
		b.rows = rows
		d, q, kv, h, hd2 := c.Dim, c.QDim(), c.KVDim(), c.HiddenDim, c.HeadDim()/2
		b.x, b.xb, b.xb2 = make([]float32, rows*d), make([]float32, rows*d), make([]float32, rows*d)
		b.q, b.ao = make([]float32, rows*q), make([]float32, rows*q)
		b.k, b.v = make([]float32, rows*kv), make([]float32, rows*kv)
		b.hb, b.hb2 = make([]float32, rows*h), make([]float32, rows*h)
		b.cos, b.sin = make([]float32, rows*hd2), make([]float32, rows*hd2)
		if c.Window > 0 {
			b.cosL, b.sinL = make([]float32, rows*hd2), make([]float32, rows*hd2)
		}
		b.states, b.pos = make([]*State, 0, rows), make([]int, 0, rows)
	}
	if scoreFloats > len(b.scores) {
		b.scores = make([]float32, scoreFloats)
	}
}

// load puts row i's embedding and rotation in place.
func (b *stepBufs) load(m *Model, i, token int, s *State, pos int) {
	c := &m.Config
	d, hd2 := c.Dim, c.HeadDim()/2
	x := b.x[i*d : (i+1)*d]
	m.Weights.TokEmb.Row(x, token)
	if c.arch().EmbedScale {
		sc := float32(math.Sqrt(float64(d)))
		for j := range x {
			x[j] *= sc
		}
	}
	s.rotation(b.cos[i*hd2:(i+1)*hd2], b.sin[i*hd2:(i+1)*hd2], pos)
	if s.invLoc != nil {
		rotate(b.cosL[i*hd2:(i+1)*hd2], b.sinL[i*hd2:(i+1)*hd2], s.invLoc, pos, 1)
	}
}

// blocks runs the first n loaded rows through every layer, leaving the
// residual stream after the last block in x.
func (b *stepBufs) blocks(m *Model, pool *kernels.Pool, n int) {
	c := &m.Config
	a := c.arch()
	d, qd, kvd, hd, hd2 := c.Dim, c.QDim(), c.KVDim(), c.HeadDim(), c.HeadDim()/2
	x, xb, xb2 := b.x[:n*d], b.xb[:n*d], b.xb2[:n*d]
	q, ao, k, v := b.q[:n*qd], b.ao[:n*qd], b.k[:n*kvd], b.v[:n*kvd]
	hb, hb2 := b.hb[:n*c.HiddenDim], b.hb2[:n*c.HiddenDim]
	rope := kernels.RoPE
	if a.RopeNeox {
		rope = kernels.RoPENeox
	}
	for l := range m.Weights.Layers {
		ly := &m.Weights.Layers[l]
		cosT, sinT := b.cos, b.sin
		if c.local(l) {
			cosT, sinT = b.cosL, b.sinL
		}

		// Attention: norm, q/k/v, the architecture's bias and head norms,
		// RoPE, keys and values into each row's cache, then attention.
		b.normRows(pool, xb, x, ly.AttnNorm, d, n, c.NormEps)
		b.proj = projTask{out: [3][]float32{q, k, v}, w: [3]*kernels.Mat{&ly.WQ, &ly.WK, &ly.WV}}
		b.proj.run(pool, &b.acts, xb, n)
		for i := 0; i < n; i++ {
			qi, ki, vi := q[i*qd:(i+1)*qd], k[i*kvd:(i+1)*kvd], v[i*kvd:(i+1)*kvd]
			if a.QKVBias {
				kernels.Add(qi, ly.BQ)
				kernels.Add(ki, ly.BK)
				kernels.Add(vi, ly.BV)
			}
			if a.QKNorm {
				for h := 0; h < qd; h += hd {
					kernels.RMSNorm(qi[h:h+hd], qi[h:h+hd], ly.QNorm, c.NormEps)
				}
				for h := 0; h < kvd; h += hd {
					kernels.RMSNorm(ki[h:h+hd], ki[h:h+hd], ly.KNorm, c.NormEps)
				}
			}
			cs, sn := cosT[i*hd2:(i+1)*hd2], sinT[i*hd2:(i+1)*hd2]
			rope(qi, cs, sn)
			rope(ki, cs, sn)
			s := b.states[i]
			off := (l*s.ctx + b.pos[i]) * kvd
			copy(s.keys[off:off+kvd], ki)
			copy(s.values[off:off+kvd], vi)
		}
		b.attn = attnTask{b: b, layer: l, cfg: c}
		if c.local(l) {
			b.attn.window = c.Window
		}
		pool.Run(n*c.NHeads, 1, &b.attn)
		b.matMul(pool, xb2, &ly.WO, ao, n)
		if a.PostNorms {
			b.normRows(pool, xb2, xb2, ly.PostAttnNorm, d, n, c.NormEps)
		}
		kernels.Add(x, xb2)

		// Feed-forward: norm, SwiGLU(gate, up), down.
		b.normRows(pool, xb, x, ly.FFNNorm, d, n, c.NormEps)
		b.ffn = gateUpTask{h: hb, g: hb2, w1: &ly.W1, w3: &ly.W3, n: n, gelu: a.GELU}
		b.ffn.run(pool, &b.acts, xb)
		b.matMul(pool, xb2, &ly.W2, hb, n)
		if a.PostNorms {
			b.normRows(pool, xb2, xb2, ly.PostFFNNorm, d, n, c.NormEps)
		}
		kernels.Add(x, xb2)
	}
}

func (b *stepBufs) matMul(pool *kernels.Pool, out []float32, w *kernels.Mat, x []float32, n int) {
	b.mm = matMulTask{out: out, w: w}
	b.acts.prepare(x, n, []*kernels.Mat{w}, b.mm.act[:])
	pool.Run(w.Rows, rowAlign(w), &b.mm)
}

// normRows writes RMSNorm(src[i]) into dst[i] for n rows: inline for one
// row (decode), over the pool for a prompt.
func (b *stepBufs) normRows(pool *kernels.Pool, dst, src, w []float32, dim, n int, eps float32) {
	if n == 1 {
		kernels.RMSNorm(dst[:dim], src[:dim], w, eps)
		return
	}
	b.norm = normRowsTask{dst, src, w, dim, eps}
	pool.Run(n, 1, &b.norm)
}

// attnTask is causal attention for (row, head) items of a step: each row
// attends to the cached positions 0..pos[row] of its own State.
type attnTask struct {
	b      *stepBufs
	layer  int
	cfg    *Config
	window int // > 0: attend to the last window positions only (a local layer)
}

func (t *attnTask) Run(lo, hi int) {
	b, c := t.b, t.cfg
	hd, qd, kvd := c.HeadDim(), c.QDim(), c.KVDim()
	group := c.NHeads / c.NKVHeads
	scale := float32(1 / math.Sqrt(float64(hd)))
	for item := lo; item < hi; item++ {
		i, h := item/c.NHeads, item%c.NHeads
		s, pos := b.states[i], b.pos[i]
		// Positions first..pos, all of them unless the layer is local
		// (Gemma 3: a position attends to itself and the window-1 before).
		first := 0
		if t.window > 0 {
			first = max(0, pos-t.window+1)
		}
		off := (t.layer*s.ctx+first)*kvd + (h/group)*hd
		o := i*qd + h*hd
		attendHead(b.ao[o:o+hd], b.q[o:o+hd], b.scores[item*b.stride:item*b.stride+pos+1-first], s.keys[off:], s.values[off:], kvd, scale)
	}
}

// matMulTask is a matrix product over a batch, split by weight rows: each
// weight row is read from memory once for all n inputs.
type matMulTask struct {
	out []float32
	w   *kernels.Mat
	act [1]*kernels.Act // the n inputs, converted for w's type
}

func (t *matMulTask) Run(lo, hi int) { kernels.MatMulAct(t.out, t.w, t.act[0], lo, hi) }

// normRowsTask applies RMSNorm to each row of a batch: dst[t] = norm(src[t]).
type normRowsTask struct {
	dst, src, w []float32
	dim         int
	eps         float32
}

func (t *normRowsTask) Run(lo, hi int) {
	for i := lo; i < hi; i++ {
		kernels.RMSNorm(t.dst[i*t.dim:(i+1)*t.dim], t.src[i*t.dim:(i+1)*t.dim], t.w, t.eps)
	}
}
