package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
)

// The golden outputs were written on one machine and are checked on others,
// whose kernels (generic, AVX2, AVX-512) sum in other orders. What may
// differ, and by how much, follows from one tested bound:
//
//	logitBound: the logits of stories260K computed by any kernel
//	implementation are within 1e-4 of the generic kernels' at every
//	position (model.TestLogitsAgreeAcrossImpls, run for every
//	implementation this CPU has).
//
// A golden file made by implementation A and checked under B therefore sees
// logits that differ by at most z = 2·logitBound. Everything else in an
// output is exact: token ids, texts, integers, and the text metrics, which
// never touch a kernel. The float fields computed from logits get the
// tolerance the bound implies (see modelTolerance); ids still have to agree
// exactly, so a greedy or beam choice that flipped would still fail.
const logitBound = 1e-4

// Fields that differ from machine to machine by design, masked before
// comparing: timings, the kernel set, and the CPU.
var masks = []struct {
	re   *regexp.Regexp
	repl string
}{
	{regexp.MustCompile(`"(elapsed_ms|tokens_per_s)":[0-9.e+-]+`), `"$1":0`},
	{regexp.MustCompile(`"kernels":"(avx512|avx2|generic)"`), `"kernels":"IMPL"`},
	{regexp.MustCompile(`("kernels": )"(avx512|avx2|generic)"`), `$1"IMPL"`},
	{regexp.MustCompile(`("kernels_detail": )"[^"]*"`), `$1"IMPL"`},
	{regexp.MustCompile(`("cpu": )"[^"]*"`), `$1"CPU"`},
	{regexp.MustCompile(`(?m)^(kernels +).*$`), `${1}IMPL`},
	{regexp.MustCompile(`(?m)^(cpu +).*$`), `${1}CPU`},
}

func maskTimings(s string) string {
	for _, m := range masks {
		s = m.re.ReplaceAllString(s, m.repl)
	}
	return s
}

// assertSameOutput compares an output with its golden copy line by line.
// Lines that are both JSON are compared value by value, keys in order, with
// modelTolerance for the float fields computed from logits; other lines
// must be equal.
func assertSameOutput(t *testing.T, want, got, what string) bool {
	t.Helper()
	if want == got {
		return true
	}
	wl, gl := strings.Split(want, "\n"), strings.Split(got, "\n")
	if len(wl) != len(gl) {
		t.Errorf("%s: %d lines, want %d\n--- want\n%s\n--- got\n%s", what, len(gl), len(wl), want, got)
		return false
	}
	ok := true
	for i := range wl {
		if wl[i] == gl[i] {
			continue
		}
		if msg := compareJSONLine(wl[i], gl[i]); msg != "" {
			t.Errorf("%s line %d: %s\n--- want\n%s\n--- got\n%s", what, i+1, msg, wl[i], gl[i])
			ok = false
		}
	}
	return ok
}

// node is a JSON value with its object keys in order.
type node struct {
	kind  byte // 'o' object, 'a' array, 'n' number, 's' string, 'b' bool, 'z' null
	keys  []string
	elems []*node
	lit   string // number literal, or the string, or "true"/"false"
}

func parseNode(s string) (*node, error) {
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	n, err := readNode(dec)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("trailing data")
	}
	return n, nil
}

func readNode(dec *json.Decoder) (*node, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch v := tok.(type) {
	case json.Delim:
		n := &node{kind: 'a'}
		if v == '{' {
			n.kind = 'o'
		}
		for dec.More() {
			if n.kind == 'o' {
				k, err := dec.Token()
				if err != nil {
					return nil, err
				}
				n.keys = append(n.keys, k.(string))
			}
			e, err := readNode(dec)
			if err != nil {
				return nil, err
			}
			n.elems = append(n.elems, e)
		}
		_, err := dec.Token() // the closing delimiter
		return n, err
	case json.Number:
		return &node{kind: 'n', lit: v.String()}, nil
	case string:
		return &node{kind: 's', lit: v}, nil
	case bool:
		return &node{kind: 'b', lit: strconv.FormatBool(v)}, nil
	}
	return &node{kind: 'z'}, nil
}

// get follows a path of object keys.
func (n *node) get(path ...string) *node {
	for _, k := range path {
		if n == nil || n.kind != 'o' {
			return nil
		}
		var next *node
		for i, key := range n.keys {
			if key == k {
				next = n.elems[i]
			}
		}
		n = next
	}
	return n
}

func (n *node) float(def float64) float64 {
	if n == nil || n.kind != 'n' {
		return def
	}
	f, err := strconv.ParseFloat(n.lit, 64)
	if err != nil {
		return def
	}
	return f
}

func compareJSONLine(want, got string) string {
	w, err := parseNode(want)
	if err != nil {
		return "not JSON in the golden file, and not equal"
	}
	g, err := parseNode(got)
	if err != nil {
		return "output line is not JSON: " + err.Error()
	}
	return compareNodes(w, g, w, nil)
}

func compareNodes(w, g, rec *node, path []string) string {
	where := strings.Join(path, ".")
	if w.kind != g.kind {
		return fmt.Sprintf("%s: kind %c, want %c", where, g.kind, w.kind)
	}
	switch w.kind {
	case 'o', 'a':
		if len(w.elems) != len(g.elems) {
			return fmt.Sprintf("%s: %d members, want %d", where, len(g.elems), len(w.elems))
		}
		for i := range w.elems {
			key := strconv.Itoa(i)
			if w.kind == 'o' {
				if w.keys[i] != g.keys[i] {
					return fmt.Sprintf("%s: key %q at %d, want %q", where, g.keys[i], i, w.keys[i])
				}
				key = w.keys[i]
			}
			if msg := compareNodes(w.elems[i], g.elems[i], rec, append(path, key)); msg != "" {
				return msg
			}
		}
		return ""
	case 'n':
		if w.lit == g.lit {
			return ""
		}
		tol, ok := modelTolerance(path, rec)
		if !ok || isInteger(w.lit) || isInteger(g.lit) {
			return fmt.Sprintf("%s: %s, want %s exactly", where, g.lit, w.lit)
		}
		wf, _ := strconv.ParseFloat(w.lit, 64)
		gf, _ := strconv.ParseFloat(g.lit, 64)
		if d := math.Abs(wf - gf); !(d <= tol(wf)) {
			return fmt.Sprintf("%s: %s, want %s within %.3g (differs by %.3g)", where, g.lit, w.lit, tol(wf), d)
		}
		return ""
	}
	if w.lit != g.lit {
		return fmt.Sprintf("%s: %q, want %q", where, g.lit, w.lit)
	}
	return ""
}

func isInteger(lit string) bool { return !strings.ContainsAny(lit, ".eE") }

// modelTolerance is how far a float field computed from logits may move when
// the logits move by at most z = 2·logitBound (see logitBound), and false
// for every other field, which must be exact:
//
//   - logprob: log-softmax changes by at most 2·max|Δlogit|, and the logit
//     processors before it (repetition penalty θ, temperature T) scale the
//     logits by at most s = max(1, θ, 1/T): 2·s·z.
//   - sequence_score: a beam's summed log-probabilities over L generated
//     tokens, divided by L^length_penalty: 2·s·z·L/L^lp.
//   - nll_mean: a mean of negative log-probabilities of unprocessed logits:
//     2·z. ppl = exp(nll_mean): relative exp(2·z)−1. Summaries of these
//     (under a "ppl" or "nll_mean" key) are means of them and keep the bound.
func modelTolerance(path []string, rec *node) (func(float64) float64, bool) {
	z := 2 * logitBound
	params := rec.get("generation", "params")
	s := math.Max(1, params.get("repetition_penalty").float(1))
	if params.get("do_sample").lit == "true" {
		if temp := params.get("temperature").float(1); temp > 0 {
			s = math.Max(s, 1/temp)
		}
	}
	for i := len(path) - 1; i >= 0; i-- {
		switch path[i] {
		case "logprob":
			return func(float64) float64 { return 2 * s * z }, true
		case "sequence_score":
			l := math.Max(1, rec.get("generation", "n_tokens").float(1))
			lp := params.get("length_penalty").float(1)
			return func(float64) float64 { return 2 * s * z * l / math.Pow(l, lp) }, true
		case "nll_mean":
			return func(float64) float64 { return 2 * z }, true
		case "ppl":
			return func(v float64) float64 { return math.Abs(v) * math.Expm1(2*z) }, true
		}
	}
	return nil, false
}

// sameFiles compares the files a case wrote with the golden ones: text
// files as assertSameOutput does, any other (compressed) file byte for byte.
func sameFiles(t *testing.T, want, got map[string]string) {
	t.Helper()
	for name, w := range want {
		g, ok := got[name]
		switch {
		case !ok:
			t.Errorf("file %s was not written", name)
		case !utf8.ValidString(w) || strings.IndexByte(w, 0) >= 0:
			if w != g {
				t.Errorf("file %s differs from the golden copy", name)
			}
		default:
			assertSameOutput(t, w, g, "file "+name)
		}
	}
	for name := range got {
		if _, ok := want[name]; !ok {
			t.Errorf("file %s written, not in the golden copy", name)
		}
	}
}

func TestCompareJSONLine(t *testing.T) {
	base := `{"prompt":"p","generation":{"model":"m","n_tokens":4,"token_ids":[1,2],"logprobs":[{"id":1,"logprob":-0.5}],"sequence_score":-1.25,"params":{"do_sample":false,"repetition_penalty":1.3,"length_penalty":1}},"score":{"ppl":2.5,"nll_mean":0.9,"entropy_bits":3.25}}`
	for _, tc := range []struct {
		name, got string
		ok        bool
	}{
		{"identical", base, true},
		// 2·s·z = 2·1.3·2e-4 = 5.2e-4
		{"logprob within", strings.Replace(base, `-0.5}`, `-0.5005}`, 1), true},
		{"logprob beyond", strings.Replace(base, `-0.5}`, `-0.5006}`, 1), false},
		{"sequence score within", strings.Replace(base, `-1.25`, `-1.2505`, 1), true},
		{"sequence score beyond", strings.Replace(base, `-1.25`, `-1.2506`, 1), false},
		// ppl relative expm1(4e-4) ≈ 4.0008e-4: 2.5 → ±1.0002e-3
		{"ppl within", strings.Replace(base, `2.5,`, `2.501,`, 1), true},
		{"ppl beyond", strings.Replace(base, `2.5,`, `2.5011,`, 1), false},
		{"nll within", strings.Replace(base, `0.9,`, `0.9004,`, 1), true},
		{"nll beyond", strings.Replace(base, `0.9,`, `0.90041,`, 1), false},
		{"text metric exact", strings.Replace(base, `3.25`, `3.2500000001`, 1), false},
		{"token id exact", strings.Replace(base, `[1,2]`, `[1,3]`, 1), false},
		{"integer exact", strings.Replace(base, `"n_tokens":4`, `"n_tokens":5`, 1), false},
		{"key order", strings.Replace(base, `"prompt":"p","generation"`, `"generation"`, 1) + "", false},
		{"string exact", strings.Replace(base, `"m"`, `"n"`, 1), false},
		{"number spelling of a non-model field", strings.Replace(base, `"repetition_penalty":1.3`, `"repetition_penalty":1.30`, 1), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			msg := compareJSONLine(base, tc.got)
			if tc.ok && msg != "" {
				t.Errorf("want equal, got %s", msg)
			}
			if !tc.ok && msg == "" {
				t.Errorf("want a difference reported")
			}
		})
	}
	assert.Contains(t, compareJSONLine("not json", "not json either"), "not JSON")
}
