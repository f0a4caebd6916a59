// Package detect judges whether generated text is degenerate — stuck in a
// loop, repeating itself, or one of a group of near-identical outputs —
// and says where the loop starts, so that filter can cut it and a pipeline
// can regenerate (see [NextParams]).
//
// # Signals
//
// [Detect] measures one text (or its token ids) with the signals of the
// project's detection spec (specs/detection.md §2), reported in [Signals]:
//
//   - tail periodicity: for each period p, how many tokens at the end
//     continue it (tokens[i] == tokens[i−p]); copies = span/p, so a last
//     copy cut short by the budget counts as a fraction, and a last word
//     cut short ("bunn" for "bunny") still matches;
//   - the same over the whole text (a loop the model escaped from);
//   - the longest repeated suffix (Z-algorithm on the reversed sequence);
//   - seq-rep-4 (Welleck et al.) maximised over sliding windows;
//   - repeated normalised clauses: counts and back-to-back runs;
//   - near loops: the tail as near-copies of a block of 1–4 sentences
//     (numbers masked, token edit similarity), and exact tail loops once
//     numbers are masked ("Day 3: … Day 4: …");
//   - Whisper's zlib compression ratio and the unigram entropy.
//
// Text is tokenised by internal/textseg: whitespace words, and every CJK
// character a token of its own, so 插座插座插座 is a loop of period 2.
// Tokens that are only punctuation are dropped and the rest lowercased
// with end punctuation stripped, so separators (", ", " - ", "，") do not
// hide a loop and code braces or table bars do not make one.
//
// # Decisions
//
// A text is degenerate when a rule of [Options] fires; [Result.Reasons]
// names them (tail_loop, repeated_sentence, repeated_phrase, low_entropy,
// near_loop). The rules are thresholds on how many copies a block needs by
// its length — eight of one word, five of a short phrase, three of a
// sentence — not on the zlib ratio, which flags every JSON array.
// Refrains, "ha ha ha", numbered lists, tables and code stay clean because
// they never repeat a block that often back to back at the end of a text.
//
// [GroupDetector] judges the outputs of one prompt together
// (homogeneous_group) and [CorpusIndex] finds near-duplicates across
// prompts (near_duplicate_of). [Evaluate] scores all of it on a labelled
// set.
package detect
