package tokenizer

import (
	"fmt"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// A byte-level BPE first cuts text into pre-tokens ("words") with a regular
// expression, and merges only inside them. The expressions of Llama 3, Qwen
// and GPT-2 need lookahead (\s+(?!\S): a run of spaces gives its last space
// to the word after it), which Go's regexp lacks, so each is written here by
// hand as a matcher: given the text and a position, the length of the match
// that starts there, trying the alternatives in the expression's order as a
// backtracking engine would. Scanning with it is a regexp's find-all: a
// position where nothing matches joins the unmatched run before the next
// match, which stays a pre-token of its own (Hugging Face's Split with
// "Isolated" behaviour, llama.cpp's unicode_regex_split). Some tokenizers
// chain several expressions, each cutting the pieces of the one before.
//
// Character classes are Unicode's as Go's unicode package has them: \p{L}
// letters, \p{N} numbers, \p{M} marks, \p{P} punctuation, and \s the
// White_Space property (Oniguruma's \s, which tokenizers uses: it includes
// U+0085 and not U+FEFF). A byte that is not valid UTF-8 counts as one
// character of no class (like U+FFFD, a symbol). (?i:'s|...) folds ASCII
// case only, as llama.cpp and transformers.js do.

// Character classes of the matchers.
const (
	clsOther  = iota // none of the below: punctuation, symbols, controls
	clsLetter        // \p{L}
	clsNumber        // \p{N}
	clsSpace         // \s
	clsMark          // \p{M}
)

// asciiClass is the class of each ASCII byte.
var asciiClass = func() (t [utf8.RuneSelf]uint8) {
	for c := range utf8.RuneSelf {
		t[c] = runeClass(rune(c))
	}
	return t
}()

func runeClass(r rune) uint8 {
	switch {
	case unicode.IsLetter(r):
		return clsLetter
	case unicode.IsNumber(r):
		return clsNumber
	case unicode.Is(unicode.White_Space, r):
		return clsSpace
	case unicode.IsMark(r):
		return clsMark
	}
	return clsOther
}

// charAt is the class and byte length of the character at s[i].
func charAt(s string, i int) (uint8, int) {
	if c := s[i]; c < utf8.RuneSelf {
		return asciiClass[c], 1
	}
	r, n := utf8.DecodeRuneInString(s[i:])
	if r == utf8.RuneError && n == 1 {
		return clsOther, 1
	}
	return runeClass(r), n
}

// classAt is charAt's class, or clsNone past the end.
func classAt(s string, i int) uint8 {
	if i >= len(s) {
		return clsNone
	}
	c, _ := charAt(s, i)
	return c
}

const clsNone = 255 // past the end of the text

// runOf is the end of the run of characters of class cls (or, with
// marks, also of class clsMark) starting at i.
func runOf(s string, i int, cls uint8, marks bool) int {
	for i < len(s) {
		if b := s[i]; b < utf8.RuneSelf { // no ASCII character is a mark
			if asciiClass[b] != cls {
				break
			}
			i++
			continue
		}
		c, n := charAt(s, i)
		if c != cls && !(marks && c == clsMark) {
			break
		}
		i += n
	}
	return i
}

// spaceRun scans the run of \s from i: its end, the start of its last
// character, and the end of its last \r or \n (-1 when it has none).
func spaceRun(s string, i int) (end, last, nl int) {
	nl = -1
	last = i
	for i < len(s) {
		c, n := charAt(s, i)
		if c != clsSpace {
			break
		}
		if s[i] == '\r' || s[i] == '\n' {
			nl = i + 1
		}
		last = i
		i += n
	}
	return i, last, nl
}

// contraction is the length of an English contraction at s[i] ('s 't 're
// 've 'm 'll 'd), 0 if none; fold accepts upper case too.
func contraction(s string, i int, fold bool) int {
	if s[i] != '\'' || i+1 >= len(s) {
		return 0
	}
	lower := func(c byte) byte {
		if fold && 'A' <= c && c <= 'Z' {
			return c + 'a' - 'A'
		}
		return c
	}
	switch lower(s[i+1]) {
	case 's', 't', 'm', 'd':
		return 2
	case 'r', 'v':
		if i+2 < len(s) && lower(s[i+2]) == 'e' {
			return 3
		}
	case 'l':
		if i+2 < len(s) && lower(s[i+2]) == 'l' {
			return 3
		}
	}
	return 0
}

// matcher is one expression: the length of its match at s[i], 0 if none.
// s is the piece being cut, so its end is the end of the text to the
// expression.
type matcher func(s string, i int) int

// llama3Expr is the expression of Llama 3 and, with digits 1, of Qwen2:
//
//	(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
//
// With marks (Qwen3.5), \p{L} in the letter runs and in the punctuation
// class becomes [\p{L}\p{M}].
func llama3Expr(digits int, marks bool) matcher {
	return func(s string, i int) int {
		if n := contraction(s, i, true); n > 0 {
			return n
		}
		c, n := charAt(s, i)
		word := c == clsLetter || marks && c == clsMark
		// [^\r\n\p{L}\p{N}]?\p{L}+
		if word {
			return runOf(s, i, clsLetter, marks) - i
		}
		if c != clsNumber && s[i] != '\r' && s[i] != '\n' {
			if next := classAt(s, i+n); next == clsLetter || marks && next == clsMark {
				return runOf(s, i+n, clsLetter, marks) - i
			}
		}
		// \p{N}{1,3}
		if c == clsNumber {
			j := i
			for k := 0; k < digits && j < len(s); k++ {
				cj, nj := charAt(s, j)
				if cj != clsNumber {
					break
				}
				j += nj
			}
			return j - i
		}
		//  ?[^\s\p{L}\p{N}]+[\r\n]*
		j := i
		if s[i] == ' ' {
			j++
		}
		if punct := classAt(s, j); punct == clsOther || !marks && punct == clsMark {
			for j < len(s) {
				cj, nj := charAt(s, j)
				if cj != clsOther && (marks || cj != clsMark) {
					break
				}
				j += nj
			}
			for j < len(s) && (s[j] == '\r' || s[j] == '\n') {
				j++
			}
			return j - i
		}
		// What is left starts with \s.
		end, last, nl := spaceRun(s, i)
		switch {
		case nl >= 0: // \s*[\r\n]+
			return nl - i
		case end == len(s): // \s+(?!\S) up to the end
			return end - i
		case last > i: // \s+(?!\S) leaves the last space to what follows
			return last - i
		}
		return end - i // \s+
	}
}

// gpt2Expr is GPT-2's expression (also the ByteLevel pre-tokenizer's when
// use_regex is set):
//
//	's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
//
// llama.cpp's copy lacks the final \s+, which changes nothing: a lone
// space before a word, unmatched, is a pre-token all the same.
func gpt2Expr(s string, i int) int {
	if n := contraction(s, i, false); n > 0 {
		return n
	}
	c, _ := charAt(s, i)
	j := i
	if s[i] == ' ' && i+1 < len(s) {
		// " ?": the space leads the word after it unless that is more space.
		if next, _ := charAt(s, i+1); next != clsSpace {
			c, j = next, i+1
		}
	}
	switch c {
	case clsLetter, clsNumber:
		return runOf(s, j, c, false) - i
	case clsOther, clsMark:
		for j < len(s) {
			cj, nj := charAt(s, j)
			if cj != clsOther && cj != clsMark {
				break
			}
			j += nj
		}
		return j - i
	}
	end, last, _ := spaceRun(s, i)
	switch {
	case end == len(s):
		return end - i
	case last > i:
		return last - i
	}
	return end - i
}

// digitExpr is \p{N}: every number character on its own (Hugging Face's
// Digits pre-tokenizer with individual_digits).
func digitExpr(s string, i int) int {
	if c, n := charAt(s, i); c == clsNumber {
		return n
	}
	return 0
}

// runExpr is a matcher of one or more characters accepted by in, as
// [...]+ is.
func runExpr(in func(r rune) bool) matcher {
	return func(s string, i int) int {
		j := i
		for j < len(s) {
			r, n := utf8.DecodeRuneInString(s[j:])
			if r == utf8.RuneError && n == 1 || !in(r) {
				break
			}
			j += n
		}
		return j - i
	}
}

// spaceThen is \s?X+ for the characters in: an optional whitespace
// character, then a run of them.
func spaceThen(in func(r rune) bool) matcher {
	run := runExpr(in)
	return func(s string, i int) int {
		if c, n := charAt(s, i); c == clsSpace {
			if m := run(s, i+n); m > 0 {
				return n + m
			}
		}
		return run(s, i)
	}
}

// threeDigits is [0-9][0-9][0-9].
func threeDigits(s string, i int) int {
	if i+3 <= len(s) && isDigit(s[i]) && isDigit(s[i+1]) && isDigit(s[i+2]) {
		return 3
	}
	return 0
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// preTokenizer is a chain of expressions.
type preTokenizer struct {
	name  string
	exprs []matcher
}

// split calls emit with each pre-token of s in order.
func (p *preTokenizer) split(s string, emit func(string)) {
	p.splitFrom(0, s, emit)
}

func (p *preTokenizer) splitFrom(k int, s string, emit func(string)) {
	if k == len(p.exprs) {
		emit(s)
		return
	}
	m := p.exprs[k]
	gap := 0 // start of the unmatched run
	for i := 0; i < len(s); {
		n := m(s, i)
		if n == 0 {
			_, w := charAt(s, i)
			i += w
			continue
		}
		if gap < i {
			p.splitFrom(k+1, s[gap:i], emit)
		}
		p.splitFrom(k+1, s[i:i+n], emit)
		i += n
		gap = i
	}
	if gap < len(s) {
		p.splitFrom(k+1, s[gap:], emit)
	}
}

// preSpec describes a pre-tokenizer name: its expressions and what
// llama.cpp (and the model's tokenizer.json) set with it.
type preSpec struct {
	exprs        func() []matcher
	ignoreMerges bool   // llama.cpp's ignore_merges for the name
	addBOS       bool   // llama.cpp's add_bos default for the name
	normalizer   string // what the models of this name normalise with in tokenizer.json
}

func isPunct(r rune) bool { return unicode.IsPunct(r) }

// llamaCppDefaultPunct is [\p{P}\$\+<=>\^~\|] (and with backquote, falcon's).
func punctOr(extra string) func(r rune) bool {
	return func(r rune) bool { return unicode.IsPunct(r) || r < utf8.RuneSelf && strings.ContainsRune(extra, r) }
}

var (
	llama3Spec = preSpec{exprs: func() []matcher { return []matcher{llama3Expr(3, false)} }, ignoreMerges: true, addBOS: true}
	qwen2Spec  = preSpec{exprs: func() []matcher { return []matcher{llama3Expr(1, false)} }, normalizer: NormalizerNFC}
	gpt2Spec   = preSpec{exprs: func() []matcher { return []matcher{gpt2Expr} }}
	// StarCoder's and SmolLM's tokenizer.json: Digits(individual), then
	// ByteLevel with GPT-2's expression.
	starcoderSpec = preSpec{exprs: func() []matcher { return []matcher{digitExpr, gpt2Expr} }}
)

// preSpecs maps tokenizer.ggml.pre names to pre-tokenizers. Names that
// llama.cpp treats alike share one entry.
var preSpecs = map[string]preSpec{
	"llama-bpe": llama3Spec, "llama3": llama3Spec, "llama-v3": llama3Spec,
	"falcon3": llama3Spec, "pixtral": llama3Spec,
	"dbrx": {exprs: llama3Spec.exprs}, "smaug-bpe": {exprs: llama3Spec.exprs},
	"qwen2": qwen2Spec, "deepseek-r1-qwen": qwen2Spec,
	"stablelm2": {exprs: qwen2Spec.exprs},
	"qwen35":    {exprs: func() []matcher { return []matcher{llama3Expr(1, true)} }, normalizer: NormalizerNFC},
	"gpt-2":     gpt2Spec, "gpt2": gpt2Spec, "phi-2": gpt2Spec, "mpt": gpt2Spec, "olmo": gpt2Spec, "jais": gpt2Spec,
	"starcoder": starcoderSpec, "smollm": starcoderSpec, "refact": starcoderSpec,
	"command-r": starcoderSpec, "codeshell": starcoderSpec, "exaone": starcoderSpec,
	"deepseek-coder": {exprs: func() []matcher {
		return []matcher{
			func(s string, i int) int { return b2i(s[i] == '\r' || s[i] == '\n') },
			spaceThen(unicode.IsLetter),
			spaceThen(isPunct),
			runExpr(func(r rune) bool {
				return 0x4E00 <= r && r <= 0x9FA5 || 0x0800 <= r && r <= 0x4E00 || 0xAC00 <= r && r <= 0xD7FF
			}),
			digitExpr,
		}
	}},
	// llama.cpp's fallback when tokenizer.ggml.pre is "default".
	"default": {exprs: func() []matcher {
		return []matcher{runExpr(punctOr("$+<=>^~|")), gpt2Expr, runExpr(unicode.IsNumber), threeDigits}
	}},
	"falcon": {exprs: func() []matcher {
		return []matcher{runExpr(punctOr("$+<=>^~|`")), gpt2Expr, threeDigits}
	}},
}

// PreTokenizers lists the supported tokenizer.ggml.pre names, sorted.
func PreTokenizers() []string {
	names := make([]string, 0, len(preSpecs))
	for name := range preSpecs {
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}

func lookupPre(name string) (preSpec, error) {
	spec, ok := preSpecs[name]
	if !ok {
		return preSpec{}, fmt.Errorf("tokenizer: pre-tokenizer %q is not supported (supported: %s)", name, strings.Join(PreTokenizers(), ", "))
	}
	return spec, nil
}

func newPreTokenizer(name string) (*preTokenizer, error) {
	spec, err := lookupPre(name)
	if err != nil {
		return nil, err
	}
	return &preTokenizer{name: name, exprs: spec.exprs()}, nil
}
