// Package sample is the logit-processing and token-selection layer of
// degen generate: every anti-repetition and truncation control of Hugging
// Face transformers, llama.cpp, vLLM and the OpenAI API, written so that the
// math, the order and the edge cases follow /work/shared/specs/decoding.md.
//
// The data flow for one decoding step of one sequence is
//
//	logits (vocab) ──Reset──▶ [Candidates] ──Chain.Process──▶ [Candidates] ──Greedy/Sample──▶ id
//	                                ▲                                                      │
//	                          [History] (context ids, prompt length, per-sequence [State]) ◀┘ Chain.Observe
//
// [Candidates] is the working set (ids, logits, probabilities, a sorted
// flag), reused across steps so that a step allocates nothing. Every
// [Processor] is stateless: what it needs to know about the past is passed
// in [History], and the little mutable state there is (mirostat's μ, XTC's
// random coin) lives in a per-sequence [State] that the strategy owns and
// clones with its beam or sample. One [Chain] can therefore be shared by all
// beams, samples and goroutines; only Candidates, History and State are per
// sequence.
//
// Selection is separate and pure: [Greedy] is the arg-max of the processed
// logits, [Sample] draws from their softmax with a caller-supplied coin in
// [0,1) (llama2.c's style, the RNG lives outside, see [NewRNG]).
//
// [Config] carries the settings with Hugging Face's snake_case names and
// defaults; [BuildChain] turns it into a Chain in Hugging Face's order, or in
// the order of a llama.cpp-style samplers list.
//
// Penalty scope. One rule applies to every penalty that looks at the past
// (repetition, frequency, presence, DRY): by default every context token
// counts, the prompt and BOS included (Hugging Face; llama.cpp's CLI and
// server also push the prompt through their sampler); [Scope].LastN limits
// the window to the last N tokens (llama.cpp's repeat_last_n) and
// [Scope].SkipPrompt counts generated tokens only (vLLM's and OpenAI's
// frequency/presence penalties).
package sample
