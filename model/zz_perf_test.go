package model

import (
	"os"
	"testing"
	"time"

	"github.com/degen-llm/degen/kernels"
)

func TestZZPerf(t *testing.T) {
	path := os.Getenv("ZZ_MODEL")
	if path == "" {
		t.Skip()
	}
	m, err := Load(path, LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	p := kernels.NewPool(2)
	st, _ := m.NewState(p, StateOptions{Context: 1000})
	clear(st.keys)
	clear(st.values)
	for _, p0 := range []int{4, 68, 4, 68, 4, 68} {
		ch := []int{1, 8}[(p0/64+len(t.Name()))%2]
		ch = map[int]int{4: 8, 68: 16}[p0]
		
		start := time.Now()
		for i := 0; i < 64; i++ {
			st.Forward(i+3, p0+i%30)
		}
		el := time.Since(start)
		start = time.Now()
		for i := 0; i < 64; i++ {
			for l := 0; l < m.Config.NLayers; l++ {
				st.attn.layerOff = l * st.ctx * m.Config.KVDim()
				st.attn.pos = p0 + i%30
				st.pool.Run(m.Config.NHeads, 1, &st.attn)
			}
		}
		t.Logf("chunks %d pos %d forward %.1f tok/s  attention only %.3f ms/token", ch, p0, 64/el.Seconds(), time.Since(start).Seconds()*1000/64)
	}
}

func TestZZBatch(t *testing.T) {
	path := os.Getenv("ZZ_MODEL")
	if path == "" {
		t.Skip()
	}
	m, err := Load(path, LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	p := kernels.NewPool(2)
	const n = 8
	states := make([]*State, n)
	for i := range states {
		states[i], _ = m.NewState(p, StateOptions{Context: 400})
		clear(states[i].keys)
		clear(states[i].values)
	}
	b := m.NewBatch(p, n)
	toks := make([]int, n)
	pos := make([]int, n)
	for rep := 0; rep < 6; rep++ {
		
		start := time.Now()
		for s := 0; s < 32; s++ {
			for i := range toks {
				toks[i], pos[i] = 5+i+s, rep*32+s
			}
			b.Forward(states, toks, pos)
		}
		t.Logf("chunks %d batch %d: %.1f tok/s", []int{1, 8}[rep%2], n, 32*n/time.Since(start).Seconds())
	}
}
