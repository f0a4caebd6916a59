package model_test

import (
	"bufio"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/degen-llm/degen/internal/shared"
	"github.com/degen-llm/degen/kernels"
	"github.com/degen-llm/degen/model"
)

// referenceLogits reads llama2.c's logits for positions 0..7 of the
// reference run: the token fed at each position and the 512 logits.
func referenceLogits(t *testing.T) (tokens []int, logits [][]float32) {
	t.Helper()
	dir, err := shared.Models()
	require.NoError(t, err)
	f, err := os.Open(filepath.Join(dir, "reference", "stories260K_logits_pos0-7.txt"))
	require.NoError(t, err)
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		head, vals, ok := strings.Cut(sc.Text(), ":")
		require.True(t, ok)
		fields := strings.Fields(head) // pos N token T
		require.Len(t, fields, 4)
		tok, err := strconv.Atoi(fields[3])
		require.NoError(t, err)
		var row []float32
		for _, v := range strings.Fields(vals) {
			x, err := strconv.ParseFloat(v, 32)
			require.NoError(t, err)
			row = append(row, float32(x))
		}
		tokens = append(tokens, tok)
		logits = append(logits, row)
	}
	require.NoError(t, sc.Err())
	require.Len(t, tokens, 8)
	return tokens, logits
}

func TestForwardMatchesLlama2C(t *testing.T) {
	tokens, want := referenceLogits(t)
	dir, err := shared.Models()
	require.NoError(t, err)
	for _, name := range []string{"stories260K.bin", "stories260K_v1.bin", "stories260K-f32.gguf"} {
		for _, threads := range []int{1, 2} {
			t.Run(name+"/threads="+strconv.Itoa(threads), func(t *testing.T) {
				m, err := model.Load(filepath.Join(dir, name), model.LoadOptions{})
				require.NoError(t, err)
				defer m.Close()
				pool := kernels.NewPool(threads)
				defer pool.Close()
				st, err := m.NewState(pool, model.StateOptions{})
				require.NoError(t, err)
				for pos, tok := range tokens {
					got := st.Forward(tok, pos)
					require.Len(t, got, len(want[pos]))
					for i := range got {
						// The reference is printed with 6 decimals; 1e-4 is
						// the tolerance the issue sets for float32 re-association.
						require.InDelta(t, want[pos][i], got[i], 1e-4, "pos %d logit %d", pos, i)
					}
				}
			})
		}
	}
}

func TestForwardAllocatesNothing(t *testing.T) {
	dir, err := shared.Models()
	require.NoError(t, err)
	m, err := model.Load(filepath.Join(dir, "stories260K.bin"), model.LoadOptions{})
	require.NoError(t, err)
	defer m.Close()
	pool := kernels.NewPool(2)
	defer pool.Close()
	st, err := m.NewState(pool, model.StateOptions{})
	require.NoError(t, err)
	pos := 0
	allocs := testing.AllocsPerRun(50, func() {
		st.Forward(1, pos)
		pos++
	})
	require.Zero(t, allocs)
}

func TestHiddenIsFinalNorm(t *testing.T) {
	// Logits must equal the classifier applied to Hidden, so Hidden is the
	// state after the final norm that contrastive search needs.
	dir, err := shared.Models()
	require.NoError(t, err)
	m, err := model.Load(filepath.Join(dir, "stories260K.bin"), model.LoadOptions{})
	require.NoError(t, err)
	defer m.Close()
	pool := kernels.NewPool(1)
	defer pool.Close()
	st, err := m.NewState(pool, model.StateOptions{})
	require.NoError(t, err)
	logits := st.Forward(1, 0)
	row := make([]float32, m.Config.Dim)
	for _, id := range []int{0, 13, 511} {
		m.Weights.Output.Row(row, id)
		require.InDelta(t, kernels.Dot(row, st.Hidden), logits[id], 1e-4)
	}
}

// TestPrefillMatchesForward checks that a batched prefill fills the cache
// and gives the logits and hidden states that token-by-token Forward does,
// for a prompt fed whole and in two chunks, at 1 and 2 threads.
func TestPrefillMatchesForward(t *testing.T) {
	tokens, _ := referenceLogits(t)
	dir, err := shared.Models()
	require.NoError(t, err)
	m, err := model.Load(filepath.Join(dir, "stories260K.bin"), model.LoadOptions{})
	require.NoError(t, err)
	defer m.Close()
	for _, threads := range []int{1, 2} {
		pool := kernels.NewPool(threads)
		ref, err := m.NewState(pool, model.StateOptions{})
		require.NoError(t, err)
		var wantHidden [][]float32
		var want []float32
		for pos, tok := range tokens {
			want = append([]float32(nil), ref.Forward(tok, pos)...)
			wantHidden = append(wantHidden, append([]float32(nil), ref.Hidden...))
		}
		next := 400 // one more token after the prompt: attends to the prefilled cache
		wantNext := append([]float32(nil), ref.Forward(next, len(tokens))...)

		for _, split := range []int{len(tokens), 3} {
			st, err := m.NewState(pool, model.StateOptions{})
			require.NoError(t, err)
			hidden := make([]float32, split*m.Config.Dim)
			got := st.Prefill(tokens[:split], 0, hidden)
			for i := 0; i < split; i++ {
				assert.InDeltaSlice(t, wantHidden[i], hidden[i*m.Config.Dim:(i+1)*m.Config.Dim], 1e-4)
			}
			if split < len(tokens) {
				got = st.Prefill(tokens[split:], split, nil)
			}
			assert.InDeltaSlice(t, want, got, 1e-4, "threads %d split %d", threads, split)
			assert.InDeltaSlice(t, wantNext, st.Forward(next, len(tokens)), 1e-4)
		}
		pool.Close()
	}
}

// TestBatchMatchesForward runs three sequences at different positions in
// one batch and compares each with its own token-by-token run.
func TestBatchMatchesForward(t *testing.T) {
	dir, err := shared.Models()
	require.NoError(t, err)
	m, err := model.Load(filepath.Join(dir, "stories260K.bin"), model.LoadOptions{})
	require.NoError(t, err)
	defer m.Close()
	seqs := [][]int{{1, 403, 407, 261, 378, 432}, {1, 300, 301}, {1, 13, 200, 201, 202}}
	for _, threads := range []int{1, 2} {
		pool := kernels.NewPool(threads)
		ref := make([]*model.State, len(seqs))
		bat := make([]*model.State, len(seqs))
		for i := range seqs {
			ref[i], err = m.NewState(pool, model.StateOptions{})
			require.NoError(t, err)
			bat[i], err = m.NewState(pool, model.StateOptions{})
			require.NoError(t, err)
		}
		b := m.NewBatch(pool, len(seqs))
		// Step s feeds every sequence that still has a token at s.
		for step := 0; step < 6; step++ {
			var states []*model.State
			var toks, pos []int
			for i, sq := range seqs {
				if step < len(sq) {
					ref[i].Forward(sq[step], step)
					states = append(states, bat[i])
					toks = append(toks, sq[step])
					pos = append(pos, step)
				}
			}
			b.Forward(states, toks, pos)
			for i, sq := range seqs {
				if step < len(sq) {
					assert.InDeltaSlice(t, ref[i].Logits, bat[i].Logits, 1e-4, "threads %d step %d seq %d", threads, step, i)
					assert.InDeltaSlice(t, ref[i].Hidden, bat[i].Hidden, 1e-4)
				}
			}
		}
		allocs := testing.AllocsPerRun(10, func() { b.Forward(bat[:1], []int{5}, []int{7}) })
		assert.Zero(t, allocs)
		pool.Close()
	}
}
