package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	stdio "io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/degen-llm/degen/internal/jsonl"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// degenProcess starts this test binary as degen with args; stdin is the
// returned pipe, stdout goes to the file stdout.
func degenProcess(t *testing.T, stdout string, args ...string) (*exec.Cmd, stdio.WriteCloser, *bytes.Buffer) {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), "DEGEN_TEST_AS_MAIN=1")
	out, err := os.Create(stdout)
	require.NoError(t, err)
	t.Cleanup(func() { out.Close() })
	cmd.Stdout = out
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	in, err := cmd.StdinPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	return cmd, in, &stderr
}

// exitCode waits for cmd and returns its exit status (-1 if a signal
// killed it).
func exitCode(t *testing.T, cmd *exec.Cmd) int {
	t.Helper()
	err := cmd.Wait()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode()
	}
	require.NoError(t, err)
	return 0
}

// textRecords makes n records whose lines are about size bytes, of lengths
// that do not divide any buffer size.
func textRecords(n, size int) []string {
	recs := make([]string, n)
	for i := range recs {
		var b strings.Builder
		for j := 0; b.Len() < size; j++ {
			fmt.Fprintf(&b, "word%d w%d ", (i*7+j)%97, j%13)
		}
		line, _ := json.Marshal(map[string]any{"id": i, "text": b.String()})
		recs[i] = string(line)
	}
	return recs
}

// checkCompleteLines asserts that data is whole JSON lines, returns them.
func checkCompleteLines(t *testing.T, data []byte) []string {
	t.Helper()
	if len(data) == 0 {
		return nil
	}
	require.Equal(t, byte('\n'), data[len(data)-1], "output ends in the middle of a line")
	lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
	for i, l := range lines {
		require.True(t, json.Valid([]byte(l)), "line %d is not whole JSON (%d bytes)", i+1, len(l))
	}
	return lines
}

// TestSIGTERMKeepsWholeLines: SIGTERM while score waits for more input,
// after its output has crossed several write-buffer boundaries. Before
// signals were handled the process died with half a record on disk; now
// it finishes the records it holds, writes whole lines and exits 143.
func TestSIGTERMKeepsWholeLines(t *testing.T) {
	recs := textRecords(1200, 3001)
	dir := t.TempDir()
	outPath := filepath.Join(dir, "out.jsonl")
	cmd, in, stderr := degenProcess(t, outPath, "score", "-q")
	_, err := stdio.WriteString(in, strings.Join(recs, "\n")+"\n")
	require.NoError(t, err)
	// Wait until output is on disk (a buffer was flushed), then signal while
	// the reader waits for the next line.
	deadline := time.Now().Add(60 * time.Second)
	for {
		fi, err := os.Stat(outPath)
		require.NoError(t, err)
		if fi.Size() > 0 {
			break
		}
		require.True(t, time.Now().Before(deadline), "no output after 60 s")
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(300 * time.Millisecond)
	require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
	code := exitCode(t, cmd)
	in.Close()
	assert.Equal(t, ExitSIGTERM, code, "stderr: %s", stderr)
	data, err := os.ReadFile(outPath)
	require.NoError(t, err)
	got := checkCompleteLines(t, data)
	assert.GreaterOrEqual(t, len(got), 512)

	// The lines are those of an uninterrupted run.
	var want, errb bytes.Buffer
	require.Equal(t, 0, Main([]string{"score", "-q"}, strings.NewReader(strings.Join(recs, "\n")+"\n"), &want, &errb), errb.String())
	wantLines := strings.Split(strings.TrimSuffix(want.String(), "\n"), "\n")
	require.LessOrEqual(t, len(got), len(wantLines))
	assert.Equal(t, wantLines[:len(got)], got)
}

// TestSIGINTKeepsRecordsDone: Ctrl-C after 12 records have been read, with
// -o. Before, the -o file had 0 lines (the buffer was never flushed); now
// the 12 records are finished and kept in FILE.partial, FILE is not
// created, the exit status is 130, and --resume completes the run with
// the bytes of an uninterrupted one.
func TestSIGINTKeepsRecordsDone(t *testing.T) {
	recs := textRecords(20, 200)
	dir := t.TempDir()
	outPath := filepath.Join(dir, "out.jsonl")
	cmd, in, stderr := degenProcess(t, filepath.Join(dir, "stdout"), "detect", "-q", "-o", outPath)
	// The 12 records, then blank lines (skipped by the reader) well past the
	// pipe's buffer: once the write returns, the 12 records have been read.
	_, err := stdio.WriteString(in, strings.Join(recs[:12], "\n")+"\n"+strings.Repeat("\n", 1<<20))
	require.NoError(t, err)
	require.NoError(t, cmd.Process.Signal(syscall.SIGINT))
	code := exitCode(t, cmd)
	in.Close()
	assert.Equal(t, ExitSIGINT, code, "stderr: %s", stderr)
	_, err = os.Stat(outPath)
	assert.True(t, os.IsNotExist(err), "an interrupted run must not leave the -o file")
	data, err := os.ReadFile(outPath + ".partial")
	require.NoError(t, err)
	got := checkCompleteLines(t, data)
	assert.Len(t, got, 12)

	// Resume with the whole input gives what one uninterrupted run gives.
	input := filepath.Join(dir, "in.jsonl")
	require.NoError(t, os.WriteFile(input, []byte(strings.Join(recs[:12], "\n")+"\n"+strings.Repeat("\n", 1<<20)+strings.Join(recs[12:], "\n")+"\n"), 0o644))
	var so, se bytes.Buffer
	require.Equal(t, 0, Main([]string{"detect", "-q", "--resume", "-o", outPath, input}, nil, &so, &se), se.String())
	resumed, err := os.ReadFile(outPath)
	require.NoError(t, err)
	_, err = os.Stat(outPath + ".partial")
	assert.True(t, os.IsNotExist(err), "the partial file is gone after a completed resume")
	whole := filepath.Join(dir, "whole.jsonl")
	require.Equal(t, 0, Main([]string{"detect", "-q", "-o", whole, input}, nil, &so, &se), se.String())
	want, err := os.ReadFile(whole)
	require.NoError(t, err)
	assert.Equal(t, string(want), string(resumed))
}

// TestFailedRunKeepsOutput: a run that fails (a malformed line) leaves an
// existing -o file as it was and no partial file; before, the file was
// truncated when the run started.
func TestFailedRunKeepsOutput(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "out.jsonl")
	require.NoError(t, os.WriteFile(out, []byte("{\"old\":1}\n"), 0o644))
	var so, se bytes.Buffer
	code := Main([]string{"score", "-q", "-o", out}, strings.NewReader("{\"text\":\"a b c\"}\n{broken\n"), &so, &se)
	assert.Equal(t, ExitRuntime, code, se.String())
	b, err := os.ReadFile(out)
	require.NoError(t, err)
	assert.Equal(t, "{\"old\":1}\n", string(b))
	_, err = os.Stat(out + ".partial")
	assert.True(t, os.IsNotExist(err))
	// A run that ends well replaces it.
	code = Main([]string{"score", "-q", "-o", out}, strings.NewReader("{\"text\":\"a b c\"}\n"), &so, &se)
	require.Equal(t, 0, code, se.String())
	b, err = os.ReadFile(out)
	require.NoError(t, err)
	assert.Contains(t, string(b), `"score"`)
}

// TestCancelCompressedOutput: cancelled in process after 12 records with a
// .gz and a .zst output; each partial file is a complete compressed stream
// (the trailer is written) of the 12 lines, and the exit status is 130.
func TestCancelCompressedOutput(t *testing.T) {
	for _, ext := range []string{".gz", ".zst"} {
		t.Run(ext, func(t *testing.T) {
			recs := textRecords(12, 300)
			out := filepath.Join(t.TempDir(), "out.jsonl"+ext)
			pr, pw := stdio.Pipe()
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan int)
			var so, se bytes.Buffer
			go func() { done <- MainContext(ctx, []string{"detect", "-q", "-o", out}, pr, &so, &se) }()
			// io.Pipe hands data over only as it is read: once the blank
			// lines after the records are taken, the 12 records have been.
			_, err := stdio.WriteString(pw, strings.Join(recs, "\n")+"\n")
			require.NoError(t, err)
			for range 4 {
				_, err = stdio.WriteString(pw, "\n")
				require.NoError(t, err)
			}
			cancel()
			code := <-done
			pw.Close()
			assert.Equal(t, ExitSIGINT, code, se.String())
			assert.Contains(t, se.String(), "12 complete lines kept in "+out+".partial")
			in, err := jsonl.Open(out+".partial", jsonl.Options{})
			require.NoError(t, err)
			defer in.Close()
			n := 0
			for {
				_, err := in.Next()
				if errors.Is(err, stdio.EOF) {
					break
				}
				require.NoError(t, err, "the partial file must decompress to its end")
				n++
			}
			assert.Equal(t, 12, n)
		})
	}
}

// TestShardsMakeOneRun: three shards run in parallel, their outputs
// interleaved by input position, give the bytes of one unsharded run; the
// shard may also come from a Slurm job array's environment.
func TestShardsMakeOneRun(t *testing.T) {
	recs := textRecords(50, 120)
	dir := t.TempDir()
	input := filepath.Join(dir, "in.jsonl")
	require.NoError(t, os.WriteFile(input, []byte(strings.Join(recs, "\n")+"\n"), 0o644))
	var so, se bytes.Buffer
	require.Equal(t, 0, Main([]string{"detect", "-q", input}, nil, &so, &se), se.String())
	want := so.String()
	const n = 3
	outs := make([][]string, n)
	codes := make([]int, n)
	var errs [n]bytes.Buffer
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var o bytes.Buffer
			codes[i] = Main([]string{"detect", "-q", "--shard", fmt.Sprintf("%d/%d", i, n), input}, nil, &o, &errs[i])
			outs[i] = strings.SplitAfter(o.String(), "\n")
			outs[i] = outs[i][:len(outs[i])-1]
		}()
	}
	wg.Wait()
	var merged strings.Builder
	for k := 0; k < len(recs); k++ {
		require.Equal(t, 0, codes[k%n], errs[k%n].String())
		require.Greater(t, len(outs[k%n]), k/n)
		merged.WriteString(outs[k%n][k/n])
	}
	assert.Equal(t, want, merged.String())
	for i := range n {
		assert.Len(t, outs[i], (len(recs)-i+n-1)/n, "shard %d", i)
	}
}

func TestResolveShard(t *testing.T) {
	env := func(kv ...string) func(string) string {
		return func(k string) string {
			for i := 0; i+1 < len(kv); i += 2 {
				if kv[i] == k {
					return kv[i+1]
				}
			}
			return ""
		}
	}
	cases := []struct {
		name   string
		flag   string
		count  int
		env    func(string) string
		i, n   int
		errSub string
	}{
		{"none", "", 0, env(), 0, 1, ""},
		{"flag", "2/5", 0, env("SLURM_ARRAY_TASK_ID", "1", "SLURM_ARRAY_TASK_COUNT", "4"), 2, 5, ""},
		{"flag out of range", "5/5", 0, env(), 0, 1, "0 <= I < N"},
		{"flag malformed", "2", 0, env(), 0, 1, "want I/N"},
		{"slurm from 0", "", 0, env("SLURM_ARRAY_TASK_ID", "3", "SLURM_ARRAY_TASK_COUNT", "4"), 3, 4, ""},
		{"slurm from 1", "", 0, env("SLURM_ARRAY_TASK_ID", "4", "SLURM_ARRAY_TASK_COUNT", "4", "SLURM_ARRAY_TASK_MIN", "1"), 3, 4, ""},
		{"slurm outside", "", 0, env("SLURM_ARRAY_TASK_ID", "4", "SLURM_ARRAY_TASK_COUNT", "4"), 0, 1, "not within"},
		{"slurm single job", "", 0, env("SLURM_ARRAY_TASK_ID", "4"), 0, 1, ""},
		{"k8s", "", 8, env("JOB_COMPLETION_INDEX", "7"), 7, 8, ""},
		{"k8s without count", "", 0, env("JOB_COMPLETION_INDEX", "7"), 0, 1, ""},
		{"k8s outside", "", 7, env("JOB_COMPLETION_INDEX", "7"), 0, 1, "not below"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			i, n, err := resolveShard(c.flag, c.count, c.env)
			if c.errSub != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), c.errSub)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, []int{c.i, c.n}, []int{i, n})
		})
	}
}

func TestEstimateTotal(t *testing.T) {
	assert.Equal(t, int64(0), estimateTotal(0, 100, 1000), "nothing done yet")
	assert.Equal(t, int64(0), estimateTotal(10, 100, -1), "size unknown (stdin)")
	assert.Equal(t, int64(100), estimateTotal(10, 100, 1000), "10 records in a tenth of the bytes")
	assert.Equal(t, int64(33), estimateTotal(11, 300, 900))
	assert.Equal(t, int64(7), estimateTotal(7, 900, 900), "all read: the count is the total")
}

// TestDetectSummaryCountsReasons: the closing line on stderr says how many
// records each reason flagged.
func TestDetectSummaryCountsReasons(t *testing.T) {
	loop := strings.Repeat("the cat sat on the mat. ", 30)
	in := fmt.Sprintf("{\"text\":%q}\n{\"text\":%q}\n{\"text\":\"a short varied sentence about nothing much at all.\"}\n", loop, loop)
	var so, se bytes.Buffer
	require.Equal(t, 0, Main([]string{"detect"}, strings.NewReader(in), &so, &se), se.String())
	var reasons []string
	for _, l := range strings.Split(strings.TrimSpace(so.String()), "\n") {
		var r struct {
			Detect struct{ Reasons []string } `json:"detect"`
		}
		require.NoError(t, json.Unmarshal([]byte(l), &r))
		reasons = append(reasons, r.Detect.Reasons...)
	}
	require.NotEmpty(t, reasons)
	counts := map[string]int{}
	for _, r := range reasons {
		counts[r]++
	}
	line := strings.TrimSpace(se.String())
	assert.True(t, strings.HasPrefix(line, "degen: detect: 2 of 3 records degenerate ("), line)
	for r, n := range counts {
		assert.Contains(t, line, fmt.Sprintf("%s %d", r, n))
	}
}

// TestGenerateShardsAndResume: sampled generation split into shards, and a
// generation cancelled after some records then resumed, give the lines of
// one uninterrupted run (timings masked): each record's randomness depends
// on its place in the whole input, not in the shard or the resumed run.
func TestGenerateShardsAndResume(t *testing.T) {
	var lines []string
	for i := range 7 {
		lines = append(lines, fmt.Sprintf(`{"prompt":"Once upon a time %d"}`, i))
	}
	dir := t.TempDir()
	input := filepath.Join(dir, "in.jsonl")
	require.NoError(t, os.WriteFile(input, []byte(strings.Join(lines, "\n")+"\n"), 0o644))
	args := []string{"generate", "-q", "--max-new-tokens", "6", "--do-sample", "--seed", "7", "--batch", "2"}
	var so, se bytes.Buffer
	require.Equal(t, 0, Main(append(args, input), nil, &so, &se), se.String())
	want := strings.SplitAfter(maskTimings(so.String()), "\n")
	want = want[:len(want)-1]
	require.Len(t, want, 7)

	for k := range want {
		var o, e bytes.Buffer
		require.Equal(t, 0, Main(append(args, "--shard", fmt.Sprintf("%d/3", k%3), input), nil, &o, &e), e.String())
		got := strings.SplitAfter(maskTimings(o.String()), "\n")
		assert.Equal(t, want[k], got[k/3], "record %d from shard %d", k, k%3)
	}

	// Cancel once 3 records have been read from a pipe, then resume.
	out := filepath.Join(dir, "out.jsonl")
	pr, pw := stdio.Pipe()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int)
	go func() { done <- MainContext(ctx, append(args, "-o", out), pr, &so, &se) }()
	_, err := stdio.WriteString(pw, strings.Join(lines[:3], "\n")+"\n")
	require.NoError(t, err)
	for range 4 {
		_, err = stdio.WriteString(pw, "\n")
		require.NoError(t, err)
	}
	cancel()
	require.Equal(t, ExitSIGINT, <-done, se.String())
	pw.Close()
	partial, err := os.ReadFile(out + ".partial")
	require.NoError(t, err)
	assert.Equal(t, strings.Join(want[:3], ""), maskTimings(string(partial)), "the 3 records read were finished")
	se.Reset()
	require.Equal(t, 0, Main(append(args, "--resume", "-o", out, input), nil, &so, &se), se.String())
	got, err := os.ReadFile(out)
	require.NoError(t, err)
	assert.Equal(t, strings.Join(want, ""), maskTimings(string(got)))
}

// TestResumeChecks: --resume needs -o, refuses flags whose output depends
// on earlier records, refuses another shard's partial file, and starts
// afresh when there is nothing to resume.
func TestResumeChecks(t *testing.T) {
	dir := t.TempDir()
	input := filepath.Join(dir, "in.jsonl")
	require.NoError(t, os.WriteFile(input, []byte(strings.Join(textRecords(6, 100), "\n")+"\n"), 0o644))
	out := filepath.Join(dir, "out.jsonl")
	run := func(args ...string) (int, string) {
		var so, se bytes.Buffer
		return Main(args, nil, &so, &se), se.String()
	}
	code, msg := run("detect", "-q", "--resume", input)
	assert.Equal(t, ExitUsage, code)
	assert.Contains(t, msg, "--resume needs -o")
	code, msg = run("detect", "-q", "--resume", "--group-by", "id", "-o", out, input)
	assert.Equal(t, ExitUsage, code)
	assert.Contains(t, msg, "--group-by")
	code, msg = run("filter", "-q", "--resume", "--dedup", "exact", "-o", out, input)
	assert.Equal(t, ExitUsage, code)
	assert.Contains(t, msg, "--dedup")

	code, msg = run("detect", "-q", "--resume", "-o", out, input)
	require.Equal(t, 0, code, msg)
	fresh, err := os.ReadFile(out)
	require.NoError(t, err)
	assert.Len(t, checkCompleteLines(t, fresh), 6)

	require.NoError(t, os.WriteFile(out+".partial", fresh[:0], 0o644))
	require.NoError(t, os.WriteFile(out+".partial.pos", []byte(`{"input_records":0,"output_lines":0,"shard":"1/2"}`), 0o644))
	code, msg = run("detect", "-q", "--resume", "--shard", "0/2", "-o", out, input)
	assert.Equal(t, ExitUsage, code)
	assert.Contains(t, msg, `written by shard "1/2"`)
}
