// Package score computes the text metrics of `degen score`: repetition and
// diversity measures of single texts and of corpora, each as its reference
// implementation defines it (../shared/specs/metrics.md), as pure functions
// and streaming accumulators with no I/O.
//
// # Per record
//
// A [Scorer] (one per worker; it owns all scratch space) tokenises a text
// ([Words] by default: whitespace words with every CJK letter a token,
// as internal/textseg splits; [Chars]; [Whitespace] = Python's str.split,
// the references' tokenisation; or model ids through [Scorer.ScoreIDs]) and
// returns a [Result], which appends itself as JSON in a fixed field order:
//
//	tokens          L
//	seq_rep_n       Welleck et al.: 1 − |unique n-grams| / |n-grams|
//	distinct_n      |unique n-grams| / |n-grams|  (per n-gram, = 1 − seq_rep_n)
//	entropy_bits    −Σ p log2 p over the text's token frequencies
//	zlib_ratio      Whisper: UTF-8 bytes / len(zlib.compress(text)), level 6
//	longest_repeat  longest token run occurring at ≥ 2 positions (overlaps allowed)
//
// Undefined values are NaN in Go and null in JSON: seq_rep_n and distinct_n
// when L < n (the reference raises ZeroDivisionError), entropy_bits when
// L = 0, zlib_ratio for the empty string. n-gram statistics never build
// string keys: tokens are interned to dense ids, and level n gives each
// window the dense id of the pair (id of its (n−1)-gram, last token), so
// counts are exact. The longest repeat uses the same ids by binary lifting
// on the length (O(L log m)).
//
// zlib_ratio is exact: compress/flate and klauspost/compress produce other
// deflate streams than zlib (they find no 3-byte matches, which matters for
// CJK text, and compress/flate adds an empty final block), 4–60 % away from
// the reference on short texts. zlibsize.go ports zlib's level 4–9 matcher
// and block-size decisions and counts the bytes it would write; it agrees
// with CPython's zlib 1.2.13 on every reference case and golden fixture.
//
// Each Result also carries SimCTG's per-text counts ([SimCTGCounts]: the
// last n-gram is not counted, as in SimCTG's eval_text) for the corpus.
// [TailPeriod] ports vLLM's tail-repetition check for detect.
//
// # Model metrics
//
// [NextToken] accumulates Welleck et al.'s teacher-forced next-token metrics
// (ppl, nll_mean, acc, rep/l, wrep/l, human-rep/l, uniq) from gold tokens,
// argmax predictions and NLLs, per record and pooled with Merge.
// [SlidingWindows] is the strided perplexity plan of Hugging Face's guide,
// with exact counts of the tokens each window scores.
//
// # Corpus
//
// A [Corpus] takes the stream of Results with their token keys
// ([Scorer.Keys]), texts and group keys and returns a [Summary]: plain and
// token-weighted means of every per-record metric with null counts;
// Welleck's uniq-seq; SimCTG's pooled rep-2/3/4 and diversity with its
// quirks (last n-gram skipped, values rounded to 2 decimals before the
// diversity product); pooled distinct-n over 64-bit n-gram hashes; a pooled
// zlib ratio and Shaib et al.'s corpus compression ratio of the joined
// texts (exact gzip size, streaming); and per group (e.g. per prompt)
// Texygen's self-BLEU ([SelfBLEU]: nltk sentence_bleu with method1
// smoothing, each text against the others), Shaib et al.'s ROUGE-L
// homogenization ([Homogenization]) and self-repetition ([SelfRepetition]),
// averaged over groups. The Summary renders as JSON or a markdown table.
// Memory is bounded by the distinct tokens and n-grams of the corpus and the
// groups still open, never by the corpus text.
package score
