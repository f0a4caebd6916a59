package model

import (
	"fmt"
	"math"

	"github.com/degen-llm/degen/kernels"
)

// Batch advances several sequences together, one token each per step: the
// beams of beam search, the candidates of contrastive search, the samples
// of one prompt or independent records. Every projection is one
// matrix-matrix product over the batch, so each weight row is read from
// memory once per step for all sequences: for a memory-bound model, n
// sequences cost little more than one.
//
// The sequences keep their own States (KV caches, positions); Batch holds
// the shared activation buffers. All States must belong to the model and
// pool the Batch was made with.
type Batch struct {
	m    *Model
	pool *kernels.Pool
	cap  int

	x, xb, xb2, q []float32 // (n, dim)
	k, v          []float32 // (n, kv_dim)
	hb, hb2       []float32 // (n, hidden_dim)
	hidden        []float32 // (n, dim)
	logits        []float32 // (n, vocab)
	cos, sin      []float32 // (n, head_dim/2)

	states []*State
	pos    []int
	mm     matMulTask
	proj   projTask
	ffn    gateUpTask
	attn   batchAttnTask
}

// NewBatch allocates buffers for up to n sequences.
func (m *Model) NewBatch(pool *kernels.Pool, n int) *Batch {
	c := m.Config
	hd2 := c.HeadDim() / 2
	return &Batch{m: m, pool: pool, cap: n,
		x: make([]float32, n*c.Dim), xb: make([]float32, n*c.Dim), xb2: make([]float32, n*c.Dim), q: make([]float32, n*c.Dim),
		k: make([]float32, n*c.KVDim()), v: make([]float32, n*c.KVDim()),
		hb: make([]float32, n*c.HiddenDim), hb2: make([]float32, n*c.HiddenDim),
		hidden: make([]float32, n*c.Dim), logits: make([]float32, n*c.VocabSize),
		cos: make([]float32, n*hd2), sin: make([]float32, n*hd2),
		states: make([]*State, 0, n), pos: make([]int, 0, n),
	}
}

// batchAttnTask computes attention for (sequence, head) items.
type batchAttnTask struct {
	b     *Batch
	layer int
}

// layerOff is where the current layer starts in s's caches.
func (t *batchAttnTask) layerOff(s *State) int {
	return t.layer * s.ctx * t.b.m.Config.KVDim()
}

func (t *batchAttnTask) Run(lo, hi int) {
	b := t.b
	c := &b.m.Config
	hd := c.HeadDim()
	kvDim := c.KVDim()
	group := c.NHeads / c.NKVHeads
	scale := float32(1 / math.Sqrt(float64(hd)))
	for item := lo; item < hi; item++ {
		i, h := item/c.NHeads, item%c.NHeads
		s, pos := b.states[i], b.pos[i]
		off0 := t.layerOff(s)
		off := off0 + (h/group)*hd
		attendHead(b.xb[i*c.Dim+h*hd:i*c.Dim+(h+1)*hd], b.q[i*c.Dim+h*hd:i*c.Dim+(h+1)*hd],
			s.att[h*s.ctx:h*s.ctx+pos+1], s.keys[off:], s.values[off:], kvDim, scale)
	}
}

// Forward feeds tokens[i] at position pos[i] to states[i] for every i and
// leaves each state's Logits and Hidden as State.Forward would. It
// allocates nothing.
func (b *Batch) Forward(states []*State, tokens, pos []int) {
	n := len(states)
	if n == 0 || n > b.cap || len(tokens) != n || len(pos) != n {
		panic(fmt.Sprintf("model: Batch.Forward of %d states (capacity %d), %d tokens, %d positions", n, b.cap, len(tokens), len(pos)))
	}
	m := b.m
	c := &m.Config
	dim, kvDim, hd := c.Dim, c.KVDim(), c.HeadDim()
	w := &m.Weights
	b.states = append(b.states[:0], states...)
	b.pos = append(b.pos[:0], pos...)
	for i, s := range states {
		if s.m != m {
			panic("model: Batch.Forward with a state of another model")
		}
		if pos[i] < 0 || pos[i] >= s.ctx {
			panic(fmt.Sprintf("model: position %d out of range [0,%d)", pos[i], s.ctx))
		}
		if tokens[i] < 0 || tokens[i] >= c.VocabSize {
			panic(fmt.Sprintf("model: token %d out of range [0,%d)", tokens[i], c.VocabSize))
		}
		w.TokEmb.Row(b.x[i*dim:(i+1)*dim], tokens[i])
		s.rotation(b.cos[i*hd/2:(i+1)*hd/2], b.sin[i*hd/2:(i+1)*hd/2], pos[i])
	}
	x, xb, xb2, q := b.x[:n*dim], b.xb[:n*dim], b.xb2[:n*dim], b.q[:n*dim]
	k, v := b.k[:n*kvDim], b.v[:n*kvDim]
	hb, hb2 := b.hb[:n*c.HiddenDim], b.hb2[:n*c.HiddenDim]
	mm := func(out []float32, wt *kernels.Mat, in []float32) {
		b.mm = matMulTask{out, wt, in, n}
		b.mm.run(b.pool)
	}
	for l := range w.Layers {
		ly := &w.Layers[l]
		for i := 0; i < n; i++ {
			kernels.RMSNorm(xb[i*dim:(i+1)*dim], x[i*dim:(i+1)*dim], ly.AttnNorm, c.NormEps)
		}
		b.proj = projTask{out: [3][]float32{q, k, v}, w: [3]*kernels.Mat{&ly.WQ, &ly.WK, &ly.WV}, x: xb, n: n}
		b.proj.run(b.pool)
		for i, s := range states {
			cs, sn := b.cos[i*hd/2:(i+1)*hd/2], b.sin[i*hd/2:(i+1)*hd/2]
			kernels.RoPE(q[i*dim:(i+1)*dim], cs, sn)
			kernels.RoPE(k[i*kvDim:(i+1)*kvDim], cs, sn)
			off := l*s.ctx*kvDim + pos[i]*kvDim
			copy(s.keys[off:off+kvDim], k[i*kvDim:(i+1)*kvDim])
			copy(s.values[off:off+kvDim], v[i*kvDim:(i+1)*kvDim])
		}
		b.attn = batchAttnTask{b: b, layer: l}
		b.pool.Run(n*c.NHeads, 1, &b.attn)
		mm(xb2, &ly.WO, xb)
		kernels.Add(x, xb2)
		for i := 0; i < n; i++ {
			kernels.RMSNorm(xb[i*dim:(i+1)*dim], x[i*dim:(i+1)*dim], ly.FFNNorm, c.NormEps)
		}
		b.ffn = gateUpTask{h: hb, g: hb2, w1: &ly.W1, w3: &ly.W3, x: xb, n: n}
		b.ffn.run(b.pool)
		mm(xb2, &ly.W2, hb)
		kernels.Add(x, xb2)
	}
	hidden := b.hidden[:n*dim]
	for i := 0; i < n; i++ {
		kernels.RMSNorm(hidden[i*dim:(i+1)*dim], x[i*dim:(i+1)*dim], w.FinalNorm, c.NormEps)
	}
	logits := b.logits[:n*c.VocabSize]
	mm(logits, &w.Output, hidden)
	for i, s := range states {
		copy(s.Hidden, hidden[i*dim:(i+1)*dim])
		copy(s.Logits, logits[i*c.VocabSize:(i+1)*c.VocabSize])
	}
}
