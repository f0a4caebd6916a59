package sample

import (
	"math/rand/v2"
	"strconv"
)

// History is what processors may know about the past of one sequence: the
// context token ids fed so far and how many of them are the prompt. The
// strategy appends each chosen id to Tokens before the next step.
type History struct {
	Tokens []int32 // (t) prompt ids, BOS included, then the generated ids
	Prompt int     // number of prompt ids at the start of Tokens
	// State is the per-sequence mutable state of the processors that have
	// some (mirostat's μ, XTC's coin). It may be nil when the chain has no
	// such processor; with a nil State, XTC never fires and mirostat starts
	// from μ = 2τ at every step.
	State *State
}

// Generated is the number of generated tokens in the context.
func (h *History) Generated() int {
	if h == nil {
		return 0
	}
	return max(len(h.Tokens)-h.Prompt, 0)
}

func (h *History) tokens() []int32 {
	if h == nil {
		return nil
	}
	return h.Tokens
}

// Scope says which context tokens a penalty counts. The zero value counts
// every token, prompt and BOS included, as Hugging Face does.
type Scope struct {
	// LastN > 0 counts only the last LastN tokens (llama.cpp's
	// repeat_last_n); 0 or −1 counts them all. Unlike llama.cpp, 0 does not
	// switch penalties off: set the penalty to its identity value for that.
	LastN int
	// SkipPrompt counts generated tokens only (vLLM's and OpenAI's rule for
	// frequency and presence penalties).
	SkipPrompt bool
}

// Window returns the tokens of h that the scope counts.
func (s Scope) Window(h *History) []int32 {
	toks := h.tokens()
	start := 0
	if s.SkipPrompt && h != nil {
		start = min(max(h.Prompt, 0), len(toks))
	}
	if s.LastN > 0 && len(toks)-s.LastN > start {
		start = len(toks) - s.LastN
	}
	return toks[start:]
}

// suffix renders a non-default scope for processor names.
func (s Scope) suffix() string {
	out := ""
	if s.LastN > 0 {
		out += ",last_n=" + strconv.Itoa(s.LastN)
	}
	if s.SkipPrompt {
		out += ",prompt=false"
	}
	return out
}

// State is the mutable per-sequence part of sampling, kept out of the
// processors so that one Chain can be shared: mirostat's running maximum
// surprise μ and the random source of XTC's coin. Clone it when a sequence
// forks (a beam or a sample branching from a shared prefix).
type State struct {
	mu    float32
	muSet bool
	pcg   rand.PCG
	rng   *rand.Rand
}

// NewState returns a fresh state whose XTC coin stream is derived from seed
// and stream (see [NewRNG]) but is independent of the selection RNG built
// from the same pair, so adding XTC does not shift the selection coins.
func NewState(seed, stream uint64) *State {
	s := &State{}
	s.pcg = *rand.NewPCG(seed^0x6a09e667f3bcc908, mix64(stream^0xbb67ae8584caa73b))
	s.rng = rand.New(&s.pcg)
	return s
}

// Mu returns mirostat's μ and whether it has been set (it starts at 2τ).
func (s *State) Mu() (float32, bool) { return s.mu, s.muSet }

// SetMu sets mirostat's μ.
func (s *State) SetMu(mu float32) { s.mu, s.muSet = mu, true }

// Clone returns an independent copy: same μ, and a coin stream that
// continues from the same point.
func (s *State) Clone() *State {
	t := &State{mu: s.mu, muSet: s.muSet, pcg: s.pcg}
	t.rng = rand.New(&t.pcg)
	return t
}

// coin draws a uniform float32 in [0,1), or reports false when there is no
// state to draw from.
func (s *State) coin() (float32, bool) {
	if s == nil || s.rng == nil {
		return 0, false
	}
	return s.rng.Float32(), true
}
