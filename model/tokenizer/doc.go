// Package tokenizer is the SentencePiece-style BPE tokenizer of Llama 2 and
// of karpathy's tinyllamas: the vocabulary loaders (llama2.c tokenizer
// files here, GGUF metadata in package gguf), encoding text to token ids and
// decoding ids back to text.
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
// Decoding turns byte tokens back into raw bytes, so a character split over
// byte tokens reassembles, the space marker into spaces, and control tokens
// into nothing. The dummy-prefix space is dropped from the first token of a
// text (at the start and after each BOS), so DecodeAll(Encode(s)) == s.
// A StreamDecoder does the same one token at a time, holding back the bytes
// of a character that is not complete yet.
//
// A Tokenizer is immutable after New and safe for concurrent use.
package tokenizer
