// Package tokenizer turns text into token ids and back for the models
// degen runs: the SentencePiece-style BPE of Llama 2, karpathy's tinyllamas
// and Gemma, and the byte-level BPE of Llama 3, Qwen2/2.5/3, SmolLM and
// GPT-2. Vocabularies come from llama2.c tokenizer files (LoadLlama2C), GGUF
// metadata (FromGGUF) or Hugging Face tokenizer.json folders (LoadHF), and
// can be written back as GGUF metadata (Vocab.GGUFMetadata).
//
// # Added and special tokens
//
// Before anything else, added tokens are cut out of the text whole, the
// longest where several start at one place: user-defined ones always,
// control ones (a chat template's "<|im_start|>") only with
// EncodeOptions.Special (EncodeSpecial), so that Encode keeps special-token
// text typed by a user as text. The text between them is encoded as below.
//
// # SentencePiece
//
// Encoding follows SentencePiece's BPE model as Llama 2 uses it (and as
// llama2.c's run.c and llama.cpp's SPM tokenizer reproduce it): a dummy
// space is put before the text, spaces are written with the vocabulary's
// space marker ("▁" in GGUF vocabularies, a real " " in llama2.c ones), the
// text is split into UTF-8 characters, and the adjacent pair whose
// concatenation is a piece of the vocabulary with the highest score is merged,
// again and again, leftmost first on ties. Characters that are not pieces
// fall back to their UTF-8 bytes as the byte tokens "<0xNN>". The merging
// runs on a linked list of symbols with a priority queue of candidate pairs
// (llama.cpp's SPM tokenizer does the same), so a text of n characters
// costs O(n log n), not llama2.c's O(n²). The text is also cut where no
// piece can span two neighbouring characters, which for Llama is before
// nearly every space; the pieces merge independently and short ones are
// cached, so long texts stream through in small, repeated segments with
// exactly the ids one queue over the whole text would give.
//
// A SentencePiece vocabulary that comes with merges (Gemma 3's
// tokenizer.json, which has no scores) merges by merge rank instead, as
// Hugging Face's BPE model does: the adjacent pair with the lowest-ranked
// merge first, leftmost on ties. That is tokenizers' algorithm itself.
// Scores derived from the ranks (a piece scores minus the rank of its first
// merge; LoadHF derives them for llama.cpp, which merges SentencePiece
// vocabularies by score) give the same ids on our corpus and on 20000
// random mixtures of it, but not always: a score ranks a piece, not the
// pair that makes it, so where two different pairs that make the same
// piece overlap ("ab"+"a" and "a"+"ba" in "ab a ba") score order takes the
// leftmost and rank order the lower-ranked.
//
// # Byte-level BPE
//
// A gpt2 vocabulary encodes as Hugging Face's tokenizers does with its
// tokenizer.json: the text is normalised (NFC for Qwen), cut into
// pre-tokens by the model's expression (pretok.go, named as GGUF's
// tokenizer.ggml.pre names it), and each pre-token's UTF-8 bytes, spelled
// in GPT-2's byte alphabet, merge by rank. With ignore_merges (Llama 3) a
// pre-token that is itself a piece is taken whole.
//
// # Decoding
//
// Decoding turns byte tokens (and byte-level pieces) back into raw bytes,
// so a character split over tokens reassembles, the space marker into
// spaces, and control tokens into nothing. The SentencePiece dummy-prefix
// space is dropped from the first token of a text (at the start and after
// each BOS), so DecodeAll(Encode(s)) == s (the NFC form of s for Qwen).
// A StreamDecoder does the same one token at a time, holding back the bytes
// of a character that is not complete yet. Hugging Face's
// clean_up_tokenization_spaces is not applied: it changes the text.
//
// A Tokenizer is immutable after New and safe for concurrent use.
package tokenizer
