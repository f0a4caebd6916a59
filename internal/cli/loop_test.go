package cli

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// These tests pin the "Why" bullets of issue 13: each failed before the
// change it names.

func runMain(t *testing.T, stdin string, args ...string) (string, string, int) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := Main(args, strings.NewReader(stdin), &stdout, &stderr)
	return stdout.String(), stderr.String(), code
}

func decodeLines(t *testing.T, s string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(s), "\n") {
		if l == "" {
			continue
		}
		var m map[string]any
		require.NoError(t, json.Unmarshal([]byte(l), &m), l)
		out = append(out, m)
	}
	return out
}

const loopText = "The dog ran to the park. He wanted to sleep. He wanted to sleep. He wanted to sleep. He wanted to sleep. He wanted to sleep. He wanted to sleep."

// Why 1: --text-field and --prompt-field take nested paths (OpenAI batch
// output, chat records), and an edited text goes back where it came from.
func TestNestedTextFields(t *testing.T) {
	batch := `{"custom_id":"r1","response":{"body":{"choices":[{"message":{"role":"assistant","content":"` + loopText + `"}}]}}}` + "\n"
	out, errs, code := runMain(t, batch, "detect", "--quiet", "--text-field", "response.body.choices[0].message.content")
	require.Equal(t, 0, code, errs)
	recs := decodeLines(t, out)
	require.Len(t, recs, 1)
	assert.Equal(t, true, recs[0]["detect"].(map[string]any)["degenerate"])

	chat := `{"id":"c1","messages":[{"role":"user","content":"hi"},{"role":"assistant","content":"` + loopText + `"}]}` + "\n"
	out, errs, code = runMain(t, chat, "filter", "--quiet", "--truncate-loops", "--text-field", "messages[-1].content")
	require.Equal(t, 0, code, errs)
	recs = decodeLines(t, out)
	msgs := recs[0]["messages"].([]any)
	require.Len(t, msgs, 2, "written back in place, no new message")
	last := msgs[1].(map[string]any)["content"].(string)
	assert.Less(t, len(last), len(loopText))
	assert.Equal(t, 1, strings.Count(last, "He wanted to sleep."))
	assert.NotContains(t, recs[0], "text", "no stray top-level text field")

	out, errs, code = runMain(t, `{"q":{"text":"Once upon a time"}}`+"\n", "generate", "--quiet", "--max-new-tokens", "3", "--prompt-field", "q.text")
	require.Equal(t, 0, code, errs)
	assert.Equal(t, ", there was", decodeLines(t, out)[0]["text"])
}

// Why 4: a typo in a field or metric name is an error, not a silent no-op.
func TestTyposAreErrors(t *testing.T) {
	in := `{"text":"a b c","prompt":"p","score":{"seq_rep_4":0.5}}` + "\n"
	_, errs, code := runMain(t, in, "filter", "--quiet", "--max", "score.seq_rep4=0.1")
	assert.Equal(t, ExitUsage, code)
	assert.Contains(t, errs, "score.seq_rep4")
	out, errs, code := runMain(t, in, "filter", "--quiet", "--max", "score.seq_rep_4=0.1")
	assert.Equal(t, 0, code, errs)
	assert.Empty(t, strings.TrimSpace(out), "the right name drops the record")
	_, errs, code = runMain(t, in, "detect", "--quiet", "--group-by", "promt")
	assert.Equal(t, ExitUsage, code)
	assert.Contains(t, errs, "promt")
	_, errs, code = runMain(t, in, "detect", "--quiet", "--group-by", "prompt")
	assert.Equal(t, 0, code, errs)
}

// --rejects - would mix rejected lines into the data on stdout, where the
// next stage reads them as records: refused as a usage error.
func TestRejectsNotOnStdout(t *testing.T) {
	in := `{"text":"a b c"}` + "\nnot json\n"
	out, errs, code := runMain(t, in, "score", "--quiet", "--on-error", "skip", "--rejects", "-")
	assert.Equal(t, ExitUsage, code, errs)
	assert.Contains(t, errs, "--rejects -")
	assert.Empty(t, out)
}

// Why 2: --emit-retry uses the verdicts in the records; without
// re-detecting, records marked regenerate are emitted even though their
// text would pass, and each carries its source.
func TestEmitRetryUsesVerdicts(t *testing.T) {
	var in strings.Builder
	for i := 0; i < 10; i++ {
		in.WriteString(`{"prompt":"p` + strconv.Itoa(i) + `","text":"a clean text","detect":{"degenerate":true,"reasons":["homogeneous_group"],"regenerate":true,"attempt":0,"params":{"do_sample":true,"seed":` + strconv.Itoa(i+1) + `}}}` + "\n")
	}
	out, errs, code := runMain(t, in.String(), "detect", "--quiet", "--emit-retry")
	require.Equal(t, 0, code, errs)
	recs := decodeLines(t, out)
	require.Len(t, recs, 10)
	for i, r := range recs {
		assert.Equal(t, float64(i+1), r["source"].(map[string]any)["line"])
		assert.NotContains(t, r, "text")
	}
}

// Why 2 and 3 and the README: the loop detect -> --emit-retry -> generate
// -> merge on the real model gives one file, in input order, with every
// retried record in place, its text in the field it came from, and a
// filter --drop-degenerate that keeps all of it.
func TestClosedLoopOneCleanFile(t *testing.T) {
	prompts, err := os.ReadFile("../../testdata/prompts.jsonl")
	require.NoError(t, err)
	gen, errs, code := runMain(t, string(prompts), "generate", "--quiet", "--max-new-tokens", "200")
	require.Equal(t, 0, code, errs)
	// Move the text to a custom field, as another system would have it.
	var moved strings.Builder
	for _, r := range decodeLines(t, gen) {
		r["output"] = map[string]any{"content": r["text"]}
		delete(r, "text")
		delete(r, "generation")
		b, _ := json.Marshal(r)
		moved.Write(append(b, '\n'))
	}
	judged, errs, code := runMain(t, moved.String(), "detect", "--quiet", "--text-field", "output.content")
	require.Equal(t, 0, code, errs)
	jr := decodeLines(t, judged)
	flagged := 0
	for _, r := range jr {
		if r["detect"].(map[string]any)["degenerate"] == true {
			flagged++
		}
	}
	require.Greater(t, flagged, 0, "greedy stories260K loops on some prompts")
	retry, errs, code := runMain(t, judged, "detect", "--quiet", "--emit-retry", "--text-field", "output.content")
	require.Equal(t, 0, code, errs)
	assert.Equal(t, flagged, len(decodeLines(t, retry)))
	seeds := map[any]bool{}
	for _, r := range decodeLines(t, retry) {
		seeds[r["params"].(map[string]any)["seed"]] = true
	}
	assert.Len(t, seeds, flagged, "every record's retry has its own seed")
	retried, errs, code := runMain(t, retry, "generate", "--quiet")
	require.Equal(t, 0, code, errs)
	dir := t.TempDir()
	jf, rf := filepath.Join(dir, "judged.jsonl"), filepath.Join(dir, "retried.jsonl")
	require.NoError(t, os.WriteFile(jf, []byte(judged), 0o644))
	require.NoError(t, os.WriteFile(rf, []byte(retried), 0o644))
	merged, errs, code := runMain(t, "", "merge", "--quiet", jf, rf)
	require.Equal(t, 0, code, errs)
	mr := decodeLines(t, merged)
	require.Len(t, mr, len(jr))
	for i, r := range mr {
		assert.Equal(t, jr[i]["id"], r["id"], "input order")
		assert.NotContains(t, r, "text", "the text stays in output.content")
		assert.NotContains(t, r, "source")
		if jr[i]["detect"].(map[string]any)["degenerate"] == true {
			h := r["attempts"].([]any)
			assert.Len(t, h, 2)
			assert.NotEqual(t, jr[i]["output"], r["output"], "record %d replaced by its retry", i)
		}
	}
	clean, errs, code := runMain(t, merged, "filter", "--drop-degenerate", "--text-field", "output.content")
	require.Equal(t, 0, code, errs)
	assert.Len(t, decodeLines(t, clean), len(jr), "one clean file: %s", errs)
}

// Why 3: after filter --truncate-loops the token ids and score of the old
// text are gone, the verdict is the repaired text's, so the next detect
// does not re-flag it and --drop-degenerate keeps it; detect on another
// text field does not read generate's token ids.
func TestRepairedTextIsConsistent(t *testing.T) {
	in := `{"text":"` + loopText + `","generation":{"token_ids":[1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1]},"score":{"seq_rep_4":0.9}}` + "\n"
	judged, errs, code := runMain(t, in, "detect", "--quiet")
	require.Equal(t, 0, code, errs)
	out, errs, code := runMain(t, judged, "filter", "--quiet", "--truncate-loops", "--drop-degenerate")
	require.Equal(t, 0, code, errs)
	recs := decodeLines(t, out)
	require.Len(t, recs, 1, "the repaired record is kept")
	r := recs[0]
	assert.NotContains(t, r, "score")
	assert.NotContains(t, r["generation"].(map[string]any), "token_ids")
	assert.Equal(t, false, r["detect"].(map[string]any)["degenerate"])
	f := r["filter"].(map[string]any)
	assert.Equal(t, []any{"score", "generation.token_ids"}, f["dropped"])
	again, errs, code := runMain(t, out, "detect", "--quiet")
	require.Equal(t, 0, code, errs)
	assert.Equal(t, false, decodeLines(t, again)[0]["detect"].(map[string]any)["degenerate"])

	// A clean "output" beside token ids that loop: judged on its own text.
	other := `{"text":"x","output":"A short and clean answer about the weather today.","generation":{"token_ids":[5,6,5,6,5,6,5,6,5,6,5,6,5,6,5,6,5,6,5,6,5,6,5,6,5,6,5,6,5,6,5,6,5,6,5,6,5,6,5,6]}}` + "\n"
	out, errs, code = runMain(t, other, "detect", "--quiet", "--text-field", "output")
	require.Equal(t, 0, code, errs)
	assert.Equal(t, false, decodeLines(t, out)[0]["detect"].(map[string]any)["degenerate"])
}

// Why 5: a sampled output depends on the run seed and the record, not its
// position or batch; without --seed a seed is drawn and printed.
func TestSeedsPerRecord(t *testing.T) {
	prompts, err := os.ReadFile("../../testdata/prompts.jsonl")
	require.NoError(t, err)
	lines := strings.Split(strings.TrimSpace(string(prompts)), "\n")[:6]
	all := strings.Join(lines, "\n") + "\n"
	args := []string{"generate", "--quiet", "--max-new-tokens", "20", "--do-sample", "--seed", "11"}
	run := func(in string, extra ...string) []string {
		out, errs, code := runMain(t, in, append(append([]string{}, args...), extra...)...)
		require.Equal(t, 0, code, errs)
		return strings.Split(strings.TrimSpace(maskTimings(out)), "\n")
	}
	whole := run(all, "--batch", "1")
	assert.Equal(t, whole, run(all, "--batch", "4"))
	alone := run(lines[4] + "\n")
	assert.Equal(t, whole[4], alone[0], "record 5 alone gives the same bytes")
	rev := run(lines[4] + "\n" + lines[0] + "\n")
	assert.Equal(t, whole[0], rev[1])
	texts := map[any]bool{}
	for _, r := range decodeLines(t, strings.Join(whole, "\n")) {
		texts[r["generation"].(map[string]any)["seed"]] = true
	}
	assert.Len(t, texts, len(lines), "each record has its own effective seed")

	_, errs, code := runMain(t, lines[0]+"\n", "generate", "--max-new-tokens", "5", "--do-sample")
	require.Equal(t, 0, code, errs)
	assert.Contains(t, errs, "run seed ")
}

// Why 7: detect --fail-if gates on the share of degenerate records with
// its own exit status, after writing every record.
func TestDetectFailIf(t *testing.T) {
	in := `{"text":"` + loopText + `"}` + "\n" + `{"text":"A short and clean answer."}` + "\n"
	out, _, code := runMain(t, in, "detect", "--quiet", "--fail-if", "0.4")
	assert.Equal(t, ExitGate, code)
	assert.Len(t, decodeLines(t, out), 2, "every record written")
	_, _, code = runMain(t, in, "detect", "--quiet", "--fail-if", "0.5")
	assert.Equal(t, 0, code)
	_, _, code = runMain(t, in, "detect", "--quiet", "--fail-if", "2")
	assert.Equal(t, ExitUsage, code)
}

// Why 1 and 2: a chat record (no "text", a "messages" list) is judged on
// its last message; its retry asks for that message again, and merge puts
// the new answer back in place of the old one.
func TestChatRecordsRoundTrip(t *testing.T) {
	chat := `{"id":"c1","messages":[{"role":"user","content":"hi"},{"role":"assistant","content":"` + loopText + `"}]}` + "\n" +
		`{"id":"c2","messages":[{"role":"user","content":"hello"},{"role":"assistant","content":"A short and clean answer."}]}` + "\n"
	judged, errs, code := runMain(t, chat, "detect", "--quiet")
	require.Equal(t, 0, code, errs)
	jr := decodeLines(t, judged)
	assert.Equal(t, true, jr[0]["detect"].(map[string]any)["degenerate"])
	assert.Equal(t, false, jr[1]["detect"].(map[string]any)["degenerate"])
	retry, errs, code := runMain(t, judged, "detect", "--quiet", "--emit-retry")
	require.Equal(t, 0, code, errs)
	rr := decodeLines(t, retry)
	require.Len(t, rr, 1)
	assert.Len(t, rr[0]["messages"].([]any), 1, "the answer to redo is not in the prompt")
	assert.Equal(t, chatText, rr[0]["source"].(map[string]any)["field"])
	// What generate would add.
	rr[0]["text"] = "A fresh and different answer."
	b, _ := json.Marshal(rr[0])
	dir := t.TempDir()
	jf, rf := filepath.Join(dir, "j.jsonl"), filepath.Join(dir, "r.jsonl")
	require.NoError(t, os.WriteFile(jf, []byte(judged), 0o644))
	require.NoError(t, os.WriteFile(rf, append(b, '\n'), 0o644))
	merged, errs, code := runMain(t, "", "merge", "--quiet", jf, rf)
	require.Equal(t, 0, code, errs)
	mr := decodeLines(t, merged)
	require.Len(t, mr, 2)
	msgs := mr[0]["messages"].([]any)
	require.Len(t, msgs, 2)
	assert.Equal(t, "A fresh and different answer.", msgs[1].(map[string]any)["content"])
	assert.NotContains(t, mr[0], "text")
	assert.Equal(t, false, mr[0]["detect"].(map[string]any)["degenerate"])
	assert.Equal(t, jr[1], mr[1], "a record without retries is unchanged")
}

// Why 1: params may sit at a path too.
func TestParamsFieldPath(t *testing.T) {
	in := `{"prompt":"Once upon a time","req":{"params":{"max_new_tokens":2}}}` + "\n"
	out, errs, code := runMain(t, in, "generate", "--quiet", "--max-new-tokens", "5", "--params-field", "req.params")
	require.Equal(t, 0, code, errs)
	assert.Equal(t, float64(2), decodeLines(t, out)[0]["generation"].(map[string]any)["n_tokens"])
}
