package model

import (
	"fmt"
	"math"

	"github.com/degen-llm/degen/kernels"
)

// batchBufs are the activations of a batch of positions, grown on demand
// (prefill is once per sequence, not per token).
type batchBufs struct {
	n    int
	x    []float32 // (n, dim) residual stream
	xb   []float32 // (n, dim) normed input, then attention output
	xb2  []float32 // (n, dim) sublayer output
	q    []float32 // (n, dim)
	hb   []float32 // (n, hidden_dim)
	hb2  []float32 // (n, hidden_dim)
	att  []float32 // (n*n_heads, ctx) attention scores
	cos  []float32 // (n, head_dim/2)
	sin  []float32 // (n, head_dim/2)
	mm   matMulTask
	proj projTask
	ffn  gateUpTask
	attn prefillAttnTask
	norm normRowsTask
}

func (b *batchBufs) grow(c *Config, n, ctx int) {
	if n <= b.n {
		return
	}
	b.n = n
	b.x = make([]float32, n*c.Dim)
	b.xb = make([]float32, n*c.Dim)
	b.xb2 = make([]float32, n*c.Dim)
	b.q = make([]float32, n*c.Dim)
	b.hb = make([]float32, n*c.HiddenDim)
	b.hb2 = make([]float32, n*c.HiddenDim)
	b.cos = make([]float32, n*c.HeadDim()/2)
	b.sin = make([]float32, n*c.HeadDim()/2)
	b.att = make([]float32, n*c.NHeads*ctx)
}

// matMulTask is a matrix product over a batch, split by weight rows: each
// weight row is read from memory once for all n inputs.
type matMulTask struct {
	out []float32
	w   *kernels.Mat
	x   []float32
	n   int
}

func (t *matMulTask) Run(lo, hi int) { kernels.MatMul(t.out, t.w, t.x, t.n, lo, hi) }

func (t *matMulTask) run(pool *kernels.Pool) { pool.Run(t.w.Rows, rowAlign(t.w), t) }

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

// prefillAttnTask computes causal attention for (token, head) items.
type prefillAttnTask struct {
	s        *State
	b        *batchBufs
	layerOff int
	pos0     int
}

func (t *prefillAttnTask) Run(lo, hi int) {
	s, b := t.s, t.b
	c := &s.m.Config
	hd := c.HeadDim()
	kvDim := c.KVDim()
	group := c.NHeads / c.NKVHeads
	scale := float32(1 / math.Sqrt(float64(hd)))
	for item := lo; item < hi; item++ {
		tok, h := item/c.NHeads, item%c.NHeads
		pos := t.pos0 + tok
		off := t.layerOff + (h/group)*hd
		attendHead(b.xb[tok*c.Dim+h*hd:tok*c.Dim+(h+1)*hd], b.q[tok*c.Dim+h*hd:tok*c.Dim+(h+1)*hd],
			b.att[item*s.ctx:item*s.ctx+pos+1], s.keys[off:], s.values[off:], kvDim, scale)
	}
}

// Prefill runs tokens at positions pos0, pos0+1, ... through the model as
// one batch: every projection is a matrix-matrix product that reads each
// weight once for all tokens, and attention is causal within the batch. It
// fills the KV cache exactly as len(tokens) calls of Forward would, and
// returns the logits of the last token (Hidden is its final hidden state).
// If hidden is not nil it receives the final hidden state of every token,
// (len(tokens), dim), for contrastive search.
func (s *State) Prefill(tokens []int, pos0 int, hidden []float32) []float32 {
	m := s.m
	c := &m.Config
	n := len(tokens)
	if n == 0 {
		panic("model: Prefill of no tokens")
	}
	if pos0 < 0 || pos0+n > s.ctx {
		panic(fmt.Sprintf("model: positions %d..%d out of range [0,%d)", pos0, pos0+n-1, s.ctx))
	}
	if hidden != nil && len(hidden) != n*c.Dim {
		panic("model: Prefill hidden has the wrong size")
	}
	b := &s.batch
	b.grow(c, n, s.ctx)
	dim, kvDim, hd := c.Dim, c.KVDim(), c.HeadDim()
	w := &m.Weights
	for t, tok := range tokens {
		if tok < 0 || tok >= c.VocabSize {
			panic(fmt.Sprintf("model: token %d out of range [0,%d)", tok, c.VocabSize))
		}
		w.TokEmb.Row(b.x[t*dim:(t+1)*dim], tok)
		s.rotation(b.cos[t*hd/2:(t+1)*hd/2], b.sin[t*hd/2:(t+1)*hd/2], pos0+t)
	}
	x, xb, xb2, q := b.x[:n*dim], b.xb[:n*dim], b.xb2[:n*dim], b.q[:n*dim]
	hb, hb2 := b.hb[:n*c.HiddenDim], b.hb2[:n*c.HiddenDim]
	mm := func(out []float32, wt *kernels.Mat, in []float32) {
		b.mm = matMulTask{out, wt, in, n}
		b.mm.run(s.pool)
	}
	for l := range w.Layers {
		ly := &w.Layers[l]
		b.norm = normRowsTask{xb, x, ly.AttnNorm, dim, c.NormEps}
		s.pool.Run(n, 1, &b.norm)
		layerOff := l * s.ctx * kvDim
		// Positions are contiguous in the cache, so K and V land in place.
		kc := s.keys[layerOff+pos0*kvDim : layerOff+(pos0+n)*kvDim]
		vc := s.values[layerOff+pos0*kvDim : layerOff+(pos0+n)*kvDim]
		b.proj = projTask{out: [3][]float32{q, kc, vc}, w: [3]*kernels.Mat{&ly.WQ, &ly.WK, &ly.WV}, x: xb, n: n}
		b.proj.run(s.pool)
		for t := 0; t < n; t++ {
			cs, sn := b.cos[t*hd/2:(t+1)*hd/2], b.sin[t*hd/2:(t+1)*hd/2]
			kernels.RoPE(q[t*dim:(t+1)*dim], cs, sn)
			kernels.RoPE(kc[t*kvDim:(t+1)*kvDim], cs, sn)
		}
		b.attn = prefillAttnTask{s: s, b: b, layerOff: layerOff, pos0: pos0}
		s.pool.Run(n*c.NHeads, 1, &b.attn)
		mm(xb2, &ly.WO, xb)
		kernels.Add(x, xb2)
		b.norm = normRowsTask{xb, x, ly.FFNNorm, dim, c.NormEps}
		s.pool.Run(n, 1, &b.norm)
		b.ffn = gateUpTask{h: hb, g: hb2, w1: &ly.W1, w3: &ly.W3, x: xb, n: n}
		b.ffn.run(s.pool)
		mm(xb2, &ly.W2, hb)
		kernels.Add(x, xb2)
	}
	if hidden != nil {
		for t := 0; t < n; t++ {
			kernels.RMSNorm(hidden[t*dim:(t+1)*dim], x[t*dim:(t+1)*dim], w.FinalNorm, c.NormEps)
		}
	}
	kernels.RMSNorm(s.Hidden, x[(n-1)*dim:n*dim], w.FinalNorm, c.NormEps)
	s.matVec(s.Logits, &w.Output, s.Hidden)
	return s.Logits
}
