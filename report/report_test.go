package report

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"io"
	"math"
	"strings"
	"testing"
)

// The small input of the golden tests: two groups by generation.strategy.
// Every expected figure below is worked out by hand from these lines.
var smallInput = []string{
	// greedy: degenerate, loop from character 5 (after "Ünï. ", 5 runes, 8 bytes).
	`{"id":"a","text":"Ünï. abcabcabc","generation":{"strategy":"greedy"},"score":{"tokens":10,"seq_rep_4":0.25,"zlib_ratio":2.5,"lm":{"ppl":4}},"detect":{"degenerate":true,"reasons":["tail_loop","repeated_sentence"],"loop":{"start_char":5,"start_byte":8,"start_token":2,"unit":"abc","period":1,"copies":3,"span_tokens":3},"regenerate":true}}`,
	// greedy: clean.
	`{"id":"b","text":"fine text","generation":{"strategy":"greedy"},"score":{"tokens":20,"seq_rep_4":0.05,"zlib_ratio":1.5,"lm":{"ppl":8}},"detect":{"degenerate":false,"reasons":[],"regenerate":false}}`,
	// sample: degenerate, loop located by token ids only; seq_rep_1 null.
	`{"id":"c","text":"xyxyxy","generation":{"strategy":"sample"},"score":{"tokens":30,"seq_rep_1":null,"seq_rep_4":0.85,"zlib_ratio":3.2},"detect":{"degenerate":true,"reasons":["tail_loop"],"loop":{"start_char":-1,"start_byte":-1,"start_token":0,"unit":"","period":2,"copies":3,"span_tokens":6},"regenerate":true}}`,
}

func buildSmall(t *testing.T, opt Options) *Data {
	t.Helper()
	r := New(opt)
	for i, line := range smallInput {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatal(err)
		}
		if err := r.Add("in.jsonl", "in.jsonl:"+string(rune('1'+i)), m); err != nil {
			t.Fatal(err)
		}
	}
	d, err := r.Build()
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// node is a parsed HTML element.
type node struct {
	name  string
	attr  map[string]string
	kids  []*node
	text  strings.Builder // all text inside, children included
	owner *node
}

// parseHTML parses the page with encoding/xml in its lenient HTML mode
// (auto-closed void elements, HTML entities), which the page satisfies.
func parseHTML(t *testing.T, page string) *node {
	t.Helper()
	dec := xml.NewDecoder(strings.NewReader(page))
	dec.Strict = false
	dec.AutoClose = xml.HTMLAutoClose
	dec.Entity = xml.HTMLEntity
	root := &node{name: "#root", attr: map[string]string{}}
	cur := root
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("page does not parse: %v", err)
		}
		switch x := tok.(type) {
		case xml.StartElement:
			n := &node{name: x.Name.Local, attr: map[string]string{}, owner: cur}
			for _, a := range x.Attr {
				n.attr[a.Name.Local] = a.Value
			}
			cur.kids = append(cur.kids, n)
			cur = n
		case xml.EndElement:
			if cur.owner != nil {
				cur = cur.owner
			}
		case xml.CharData:
			for n := cur; n != nil; n = n.owner {
				n.text.Write(x)
			}
		}
	}
	return root
}

// find returns every element below n for which ok holds, in document order.
func (n *node) find(ok func(*node) bool) []*node {
	var out []*node
	for _, k := range n.kids {
		if ok(k) {
			out = append(out, k)
		}
		out = append(out, k.find(ok)...)
	}
	return out
}

func named(name string) func(*node) bool { return func(n *node) bool { return n.name == name } }

func (n *node) byID(t *testing.T, id string) *node {
	t.Helper()
	f := n.find(func(k *node) bool { return k.attr["id"] == id })
	if len(f) != 1 {
		t.Fatalf("%d elements with id %q, want 1", len(f), id)
	}
	return f[0]
}

// tableRows returns a table's rows as cell texts (header row first).
func tableRows(tab *node) [][]string {
	var rows [][]string
	for _, tr := range tab.find(named("tr")) {
		var cells []string
		for _, c := range tr.kids {
			if c.name == "td" || c.name == "th" {
				cells = append(cells, strings.TrimSpace(c.text.String()))
			}
		}
		rows = append(rows, cells)
	}
	return rows
}

func checkRows(t *testing.T, what string, got [][]string, want [][]string) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d rows %q, want %d %q", what, len(got), got, len(want), want)
	}
	for i := range want {
		if strings.Join(got[i], "|") != strings.Join(want[i], "|") {
			t.Errorf("%s row %d: %q, want %q", what, i, got[i], want[i])
		}
	}
}

func TestHTMLGolden(t *testing.T) {
	d := buildSmall(t, Options{GroupBy: "generation.strategy", Examples: 3, Bins: 10})
	var buf bytes.Buffer
	if err := WriteHTML(&buf, d); err != nil {
		t.Fatal(err)
	}
	page := buf.String()
	doc := parseHTML(t, page)

	checkRows(t, "summary", tableRows(doc.byID(t, "summary-table")), [][]string{
		{"generation.strategy", "greedy", "sample"},
		{"records", "2", "1"},
		{"detected", "2", "1"},
		{"degenerate", "1", "1"},
		{"degenerate share", "50.0%", "100.0%"},
		{"regenerate", "1", "1"},
		{"loops located", "1", "1"},
	})
	// Means: tokens (10+20)/2 = 15 and 30; seq_rep_4 (0.25+0.05)/2 = 0.15
	// and 0.85; zlib (2.5+1.5)/2 = 2 and 3.2; lm.ppl 6 and none; seq_rep_1
	// only null, so no value anywhere.
	checkRows(t, "metrics", tableRows(doc.byID(t, "metrics-table")), [][]string{
		{"metric", "greedy", "sample"},
		{"tokens", "15", "30"},
		{"seq_rep_4", "0.15", "0.85"},
		{"zlib_ratio", "2", "3.2"},
		{"lm.ppl", "6", "–"},
	})
	// Corpus figures: texts 2 and 1.
	if rows := tableRows(doc.byID(t, "corpus-table")); len(rows) < 2 || strings.Join(rows[1], "|") != "texts|2|1" {
		t.Errorf("corpus table rows %q", rows)
	}
	// tail_loop given twice in all, repeated_sentence once: that order.
	checkRows(t, "reasons", tableRows(doc.byID(t, "reasons-table")), [][]string{
		{"reason", "greedy", "sample"},
		{"tail_loop", "1", "1"},
		{"repeated_sentence", "1", "0"},
	})

	// Histograms: seq_rep_4 on [0, 1] in bins of 0.1: greedy 0.05 → bin 0,
	// 0.25 → bin 2; sample 0.85 → bin 8. zlib on [floor 1.5, ceil 3.2] =
	// [1, 4] in bins of 0.3: 1.5 → bin 1, 2.5 → bin 5, 3.2 → bin 7.
	want := map[string][]int{
		"seq_rep_4/greedy":  {1, 0, 1, 0, 0, 0, 0, 0, 0, 0},
		"seq_rep_4/sample":  {0, 0, 0, 0, 0, 0, 0, 0, 1, 0},
		"zlib_ratio/greedy": {0, 1, 0, 0, 0, 1, 0, 0, 0, 0},
		"zlib_ratio/sample": {0, 0, 0, 0, 0, 0, 0, 1, 0, 0},
	}
	svgs := doc.find(named("svg"))
	if len(svgs) != len(want) {
		t.Fatalf("%d svg elements, want %d", len(svgs), len(want))
	}
	for _, s := range svgs {
		key := s.attr["data-metric"] + "/" + s.attr["data-group"]
		w, ok := want[key]
		if !ok {
			t.Errorf("unexpected histogram %q", key)
			continue
		}
		rects := s.find(named("rect"))
		if len(rects) != len(w) {
			t.Fatalf("%s: %d bars, want %d", key, len(rects), len(w))
		}
		for i, r := range rects {
			if got := r.attr["data-count"]; got != string(rune('0'+w[i])) {
				t.Errorf("%s bin %d: count %s, want %d", key, i, got, w[i])
			}
			// A bar of count 1 is the full plot height (125 − 10 − 30 = 85) (every group's
			// tallest bar is 1); an empty bar has height 0.
			if h := r.attr["height"]; (w[i] == 1) != (h == "85.0") || (w[i] == 0) != (h == "0.0") {
				t.Errorf("%s bin %d: height %s for count %d", key, i, h, w[i])
			}
		}
	}

	// Examples: the loop is highlighted from character 5, not byte 8.
	marks := doc.find(func(n *node) bool { return n.name == "mark" && n.attr["class"] == "loop" })
	if len(marks) != 2 {
		t.Fatalf("%d highlighted loops, want 2", len(marks))
	}
	if got := marks[0].text.String(); got != "abcabcabc" {
		t.Errorf("greedy loop highlight %q, want %q", got, "abcabcabc")
	}
	pre := marks[0].owner
	if got := pre.text.String(); got != "Ünï. abcabcabc" {
		t.Errorf("greedy example %q", got)
	}
	if got := marks[1].text.String(); got != "xyxyxy" {
		t.Errorf("ids-only loop highlight %q, want the whole text", got)
	}
	if !strings.Contains(page, "loop located by token ids only") {
		t.Error("ids-only loop not said so")
	}

	// Self-contained: no scripts, no external resources.
	for _, bad := range []string{"<script", "<link", "src=", "@import", "url("} {
		if strings.Contains(page, bad) {
			t.Errorf("page contains %q", bad)
		}
	}
	if n := strings.Count(page, "http"); n != len(svgs) { // the xmlns of each svg
		t.Errorf("%d mentions of http, want only the %d svg namespaces", n, len(svgs))
	}
}

func TestHTMLEscapes(t *testing.T) {
	r := New(Options{Examples: 1})
	rec := map[string]any{
		"text":   "<b>x</b> <script>alert(1)</script><script>alert(1)</script>",
		"detect": map[string]any{"degenerate": true, "reasons": []any{"tail_loop"}, "loop": map[string]any{"start_char": 9.0}},
	}
	if err := r.Add("<i>in</i>", "in:1", rec); err != nil {
		t.Fatal(err)
	}
	d, err := r.Build()
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := WriteHTML(&buf, d); err != nil {
		t.Fatal(err)
	}
	if s := buf.String(); strings.Contains(s, "<script") || strings.Contains(s, "<i>in") || strings.Contains(s, "<b>x") {
		t.Error("record text or input name not escaped")
	}
	doc := parseHTML(t, buf.String())
	marks := doc.find(named("mark"))
	if len(marks) != 1 || marks[0].text.String() != "<script>alert(1)</script><script>alert(1)</script>" {
		t.Errorf("loop highlight wrong after escaping: %d marks", len(marks))
	}
}

func TestMarkdownGolden(t *testing.T) {
	d := buildSmall(t, Options{GroupBy: "generation.strategy", Examples: 3, Bins: 10})
	var buf bytes.Buffer
	if err := WriteMarkdown(&buf, d); err != nil {
		t.Fatal(err)
	}
	md := buf.String()
	for _, line := range []string{
		"3 records in 2 groups, grouped by `generation.strategy`.",
		"| generation.strategy | greedy | sample |",
		"| degenerate share | 50.0% | 100.0% |",
		"| seq_rep_4 | 0.15 | 0.85 |",
		"| lm.ppl | 6 | – |",
		"| tail_loop | 1 | 1 |",
		"| repeated_sentence | 1 | 0 |",
		"| [0.2, 0.3) | 1 | 0 |",
		"| [0.9, 1] | 0 | 0 |",
		"| [2.5, 2.8) | 1 | 0 |",
		"  > Ünï. ⟦abcabcabc",
		"- **c** (tail_loop): loop located by token ids only, token 0, period 2, 3 copies",
	} {
		if !strings.Contains(md, line+"\n") {
			t.Errorf("markdown lacks line %q:\n%s", line, md)
		}
	}
}

func TestGroupByInput(t *testing.T) {
	r := New(Options{})
	for _, src := range []string{"a.jsonl", "b.jsonl", "a.jsonl"} {
		if err := r.Add(src, src, map[string]any{"score": map[string]any{"seq_rep_4": 0.5}}); err != nil {
			t.Fatal(err)
		}
	}
	d, err := r.Build()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(d.Groups, ",") != "a.jsonl,b.jsonl" || d.Summary[0].Values[0] != 2 || d.Summary[0].Values[1] != 1 {
		t.Errorf("groups %q, records %v", d.Groups, d.Summary[0].Values)
	}
	// Not detected: the share is undefined, not 0.
	if !math.IsNaN(d.Summary[3].Values[0]) {
		t.Errorf("degenerate share without detect = %v, want NaN", d.Summary[3].Values[0])
	}
}

func TestGroupByMissingField(t *testing.T) {
	r := New(Options{GroupBy: "generation.stratgy"})
	if err := r.Add("in", "in:1", map[string]any{"generation": map[string]any{"strategy": "greedy"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Build(); !errors.Is(err, ErrNoGroupField) {
		t.Errorf("misspelt --group-by: err %v, want ErrNoGroupField", err)
	}
	if _, err := New(Options{}).Build(); err == nil {
		t.Error("no records: no error")
	}
}

func TestLookup(t *testing.T) {
	var rec map[string]any
	if err := json.Unmarshal([]byte(`{"messages":[{"content":"a"},{"content":"b"}],"g":{"p":{"t":0.7}},"m":[[1,2],[3]]}`), &rec); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		path string
		want any
		ok   bool
	}{
		{"messages[-1].content", "b", true},
		{"messages[0].content", "a", true},
		{"messages[2].content", nil, false},
		{"messages[-3].content", nil, false},
		{"g.p.t", 0.7, true},
		{"g.p.x", nil, false},
		{"m[0][1]", 2.0, true},
		{"m[-1][0]", 3.0, true},
		{"g[0]", nil, false},
	} {
		v, ok, err := Lookup(rec, c.path)
		if err != nil || ok != c.ok || v != c.want {
			t.Errorf("Lookup(%q) = %v, %v, %v; want %v, %v", c.path, v, ok, err, c.want, c.ok)
		}
	}
	for _, bad := range []string{"", "a..b", "a[x]", "a[1", "a[1]b"} {
		if _, _, err := Lookup(rec, bad); err == nil {
			t.Errorf("Lookup(%q): no error", bad)
		}
	}
}

// TestCorpusFigures checks the pooled figures by hand: texts "a b a b"
// and "c c" have 6 tokens, 3 distinct (uniq-seq), pooled distinct-1 3/6;
// bigrams ab ba ab | cc are 4, 3 distinct: pooled distinct-2 3/4.
func TestCorpusFigures(t *testing.T) {
	r := New(Options{})
	for _, text := range []string{"a b a b", "c c"} {
		if err := r.Add("in", "in", map[string]any{"text": text}); err != nil {
			t.Fatal(err)
		}
	}
	d, err := r.Build()
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]float64{"texts": 2, "tokens": 6, "uniq_seq": 3, "pooled distinct-1": 0.5, "pooled distinct-2": 0.75}
	seen := 0
	for _, row := range d.Corpus {
		if w, ok := want[row.Label]; ok {
			seen++
			if math.Abs(row.Values[0]-w) > 1e-12 {
				t.Errorf("%s = %v, want %v", row.Label, row.Values[0], w)
			}
		}
	}
	if seen != len(want) {
		t.Errorf("corpus rows %v lack some of %v", d.Corpus, want)
	}
	if d, err := func() (*Data, error) {
		r := New(Options{NoCorpus: true})
		_ = r.Add("in", "in", map[string]any{"text": "a b"})
		return r.Build()
	}(); err != nil || d.Corpus != nil {
		t.Errorf("NoCorpus: corpus %v, err %v", d.Corpus, err)
	}
}

// TestTextField reads the text from a nested field: the example and the
// corpus use it.
func TestTextField(t *testing.T) {
	r := New(Options{TextField: "out.messages[-1].content", Examples: 1})
	rec := map[string]any{
		"out":    map[string]any{"messages": []any{map[string]any{"content": "q"}, map[string]any{"content": "x y y y"}}},
		"detect": map[string]any{"degenerate": true, "reasons": []any{"tail_loop"}, "loop": map[string]any{"start_char": 2.0}},
	}
	if err := r.Add("in", "in:1", rec); err != nil {
		t.Fatal(err)
	}
	d, err := r.Build()
	if err != nil {
		t.Fatal(err)
	}
	if ex := d.Examples[0]; len(ex) != 1 || ex[0].Before != "x " || ex[0].Loop != "y y y" {
		t.Errorf("examples %+v", ex)
	}
	if d.Corpus == nil || d.Corpus[1].Label != "tokens" || d.Corpus[1].Values[0] != 4 {
		t.Errorf("corpus %+v", d.Corpus)
	}
}

func TestMarkdownEscapesExampleText(t *testing.T) {
	if got, want := mdText("**bold** _x_ <b> `c` #h [l]"), `\*\*bold\*\* \_x\_ \<b\> `+"\\`c\\`"+` \#h \[l\]`; got != want {
		t.Errorf("mdText = %q, want %q", got, want)
	}
}
