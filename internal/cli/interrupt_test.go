package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	stdio "io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

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
