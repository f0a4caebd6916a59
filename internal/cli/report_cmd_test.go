package cli

import (
	"encoding/json"
	"html"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestReportPipeline runs score and detect on two records and reports
// them: the page must read the fields those stages really write, and
// highlight the loop from the character detect located.
func TestReportPipeline(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "in.jsonl")
	loop := strings.Repeat("The cat sat on the mat. ", 8)
	recs := []map[string]any{
		{"id": "looping", "text": "Once upon a time there was a dog. " + loop, "generation": map[string]any{"strategy": "greedy"}},
		{"id": "clean", "text": "A bird sang in the tall green tree while the sun rose over quiet hills.", "generation": map[string]any{"strategy": "sample"}},
	}
	var lines []string
	for _, r := range recs {
		b, _ := json.Marshal(r)
		lines = append(lines, string(b))
	}
	if err := os.WriteFile(in, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	scored, detected := filepath.Join(dir, "scored.jsonl"), filepath.Join(dir, "detected.jsonl")
	for _, args := range [][]string{
		{"-q", "score", in, "-o", scored},
		{"-q", "detect", scored, "-o", detected},
	} {
		if code, _, stderr := run(args...); code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, stderr)
		}
	}
	b, err := os.ReadFile(detected)
	if err != nil {
		t.Fatal(err)
	}
	var first struct {
		Text   string
		Detect struct {
			Degenerate bool
			Loop       *struct {
				StartChar int `json:"start_char"`
			}
		}
	}
	if err := json.Unmarshal([]byte(strings.SplitN(string(b), "\n", 2)[0]), &first); err != nil {
		t.Fatal(err)
	}
	if !first.Detect.Degenerate || first.Detect.Loop == nil || first.Detect.Loop.StartChar < 0 {
		t.Fatalf("detect did not locate the loop: %s", b)
	}

	page := filepath.Join(dir, "report.html")
	code, _, stderr := run("-q", "report", "--group-by", "generation.strategy", detected, "-o", page)
	if code != 0 {
		t.Fatalf("report: exit %d: %s", code, stderr)
	}
	hb, err := os.ReadFile(page)
	if err != nil {
		t.Fatal(err)
	}
	h := string(hb)
	wantMark := `<mark class="loop">` + html.EscapeString(string([]rune(first.Text)[first.Detect.Loop.StartChar:])) + `</mark>`
	// html/template escapes quotes as &#34;, html.EscapeString as &#34; too.
	if !strings.Contains(h, wantMark) {
		t.Errorf("page lacks the loop highlighted from character %d:\nwant %s", first.Detect.Loop.StartChar, wantMark)
	}
	for _, want := range []string{`<th>greedy</th><th>sample</th>`, `<th>seq_rep_4</th>`, `<th>zlib_ratio</th>`, `data-metric="seq_rep_4"`, `data-metric="zlib_ratio"`, `<th>degenerate</th><td class="num">1</td><td class="num">0</td>`} {
		if !strings.Contains(h, want) {
			t.Errorf("page lacks %s", want)
		}
	}
	if left, _ := filepath.Glob(filepath.Join(dir, ".report.html.tmp*")); len(left) != 0 {
		t.Errorf("temporary files left: %v", left)
	}

	code, md, stderr := run("-q", "report", "--format", "md", scored, detected)
	if code != 0 {
		t.Fatalf("report --format md: exit %d: %s", code, stderr)
	}
	if !strings.Contains(md, "| metric | "+scored+" | "+detected+" |\n") || !strings.Contains(md, "| degenerate | 0 | 1 |\n") {
		t.Errorf("markdown tables per input file wrong:\n%s", md)
	}

	// A misspelt --group-by is a usage error, not one big group.
	if code, _, stderr := run("-q", "report", "--group-by", "generation.stratgy", detected); code != ExitUsage || !strings.Contains(stderr, "generation.stratgy") {
		t.Errorf("misspelt --group-by: exit %d, %s", code, stderr)
	}
}
