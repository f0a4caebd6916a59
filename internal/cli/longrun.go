package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"

	"github.com/degen-llm/degen/internal/jsonl"
	"github.com/degen-llm/degen/internal/tty"
)

// Exit codes of an interrupted run: 128 plus the signal number, as shells
// report a process killed by it.
const (
	ExitSIGINT  = 130
	ExitSIGTERM = 143
)

// interruptError ends a run stopped by a signal (or a cancelled context in
// tests). Its message tells where the finished lines are.
type interruptError struct {
	sig  os.Signal // nil: the context was cancelled without a signal
	note string    // where the output is, filled in by stream.finish
}

func (e *interruptError) Error() string {
	name := "cancelled"
	if e.sig != nil {
		name = "interrupted by " + signalName(e.sig)
	}
	return name + e.note
}

func (e *interruptError) ExitCode() int {
	if e.sig == syscall.SIGTERM {
		return ExitSIGTERM
	}
	return ExitSIGINT
}

func signalName(s os.Signal) string {
	switch s {
	case syscall.SIGINT:
		return "SIGINT"
	case syscall.SIGTERM:
		return "SIGTERM"
	}
	return s.String()
}

// signalContext is cancelled, with an *interruptError as its cause, by the
// first SIGINT or SIGTERM. After that the signals get their default action
// back, so a second Ctrl-C kills at once.
func signalContext() (context.Context, func()) {
	ctx, cancel := context.WithCancelCause(context.Background())
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, syscall.SIGINT, syscall.SIGTERM)
	done := make(chan struct{})
	go func() {
		select {
		case sig := <-ch:
			signal.Stop(ch)
			cancel(&interruptError{sig: sig})
		case <-done:
		}
	}()
	return ctx, func() { signal.Stop(ch); close(done); cancel(nil) }
}

// interrupted is the error of a run whose context was cancelled, or nil.
func interrupted(ctx context.Context) error {
	if ctx == nil || ctx.Err() == nil {
		return nil
	}
	var ie *interruptError
	if errors.As(context.Cause(ctx), &ie) {
		return &interruptError{sig: ie.sig}
	}
	return &interruptError{}
}

// isInterrupt reports whether err ends a run because of a signal.
func isInterrupt(err error) bool {
	var ie *interruptError
	return errors.As(err, &ie)
}

// LongRunFlags are the flags for runs that may be stopped and continued or
// split across machines.
type LongRunFlags struct {
	Resume     bool   `help:"Continue an interrupted run: keep the complete lines of FILE.partial (-o FILE) and process the rest of the same input (needs -o FILE; starts afresh when there is no partial file)."`
	Shard      string `placeholder:"I/N" env:"DEGEN_SHARD" help:"Process only the records whose input position (0-based, counting records, not blank or skipped lines) is I modulo N. Without it, SLURM_ARRAY_TASK_ID/SLURM_ARRAY_TASK_COUNT, or JOB_COMPLETION_INDEX with --shard-count, choose the shard."`
	ShardCount int    `env:"DEGEN_SHARD_COUNT" help:"Number of shards when the index comes from JOB_COMPLETION_INDEX (Kubernetes indexed jobs)."`
}

// resolveShard returns the shard (i of n; n is 1 when not sharded) from
// --shard, else from the job-array environment.
func resolveShard(flag string, count int, getenv func(string) string) (i, n int, err error) {
	if flag != "" {
		a, b, ok := strings.Cut(flag, "/")
		i, err1 := strconv.Atoi(a)
		n, err2 := strconv.Atoi(b)
		if !ok || err1 != nil || err2 != nil || n < 1 || i < 0 || i >= n {
			return 0, 1, usagef("--shard %q: want I/N with 0 <= I < N", flag)
		}
		return i, n, nil
	}
	num := func(name string) (int, bool, error) {
		v := getenv(name)
		if v == "" {
			return 0, false, nil
		}
		x, err := strconv.Atoi(v)
		if err != nil {
			return 0, false, usagef("$%s=%q: not a number", name, v)
		}
		return x, true, nil
	}
	if id, ok, err := num("SLURM_ARRAY_TASK_ID"); err != nil || ok {
		if err != nil {
			return 0, 1, err
		}
		cnt, ok, err := num("SLURM_ARRAY_TASK_COUNT")
		if err != nil {
			return 0, 1, err
		}
		if ok {
			// Arrays may start at 1 (--array=1-8): count from the minimum.
			lo, _, err := num("SLURM_ARRAY_TASK_MIN")
			if err != nil {
				return 0, 1, err
			}
			if id-lo < 0 || id-lo >= cnt {
				return 0, 1, usagef("SLURM_ARRAY_TASK_ID=%d is not within %d tasks from %d", id, cnt, lo)
			}
			return id - lo, cnt, nil
		}
	}
	if idx, ok, err := num("JOB_COMPLETION_INDEX"); err != nil || ok {
		if err != nil {
			return 0, 1, err
		}
		if count > 0 {
			if idx < 0 || idx >= count {
				return 0, 1, usagef("JOB_COMPLETION_INDEX=%d is not below --shard-count %d", idx, count)
			}
			return idx, count, nil
		}
	}
	return 0, 1, nil
}

// checkpoint is what an interrupted run leaves beside OUTPUT.partial, so
// --resume knows how far it got: the input records consumed (all of them
// processed and their output written) and the complete output lines.
type checkpoint struct {
	InputRecords int    `json:"input_records"`
	OutputLines  int    `json:"output_lines"`
	Shard        string `json:"shard,omitempty"` // "I/N" when sharded: a resume must take the same share
}

func checkpointName(out string) string { return jsonl.PartialName(out) + ".pos" }

// resume copies the complete lines of an interrupted run's partial file
// into the new output w (a fresh partial file) and returns the checkpoint.
// ok is false when there is nothing to resume.
func resume(out string, w *jsonl.Writer) (cp checkpoint, ok bool, err error) {
	b, err := os.ReadFile(checkpointName(out))
	if os.IsNotExist(err) {
		if _, serr := os.Stat(jsonl.PartialName(out) + ".old"); serr == nil {
			return cp, false, fmt.Errorf("--resume: %s has no checkpoint (the run stopped without finishing its lines); start again without --resume", jsonl.PartialName(out))
		}
		return cp, false, nil
	}
	if err != nil {
		return cp, false, err
	}
	if err := json.Unmarshal(b, &cp); err != nil {
		return cp, false, fmt.Errorf("%s: %w", checkpointName(out), err)
	}
	old := jsonl.PartialName(out) + ".old"
	in, err := jsonl.Open(old, jsonl.Options{})
	if err != nil {
		return cp, false, fmt.Errorf("--resume: %w", err)
	}
	defer in.Close()
	for n := 0; n < cp.OutputLines; n++ {
		if _, err := in.Next(); err != nil {
			return cp, false, fmt.Errorf("--resume: %s: line %d of %d: %w", old, n+1, cp.OutputLines, err)
		}
		if err := w.WriteLine(in.RawLine()); err != nil {
			return cp, false, err
		}
	}
	return cp, true, nil
}

// recordBar is the progress bar of a record command. When the input is
// files of known size it estimates the number of records from the bytes
// read so far, so the bar shows a total and an ETA.
type recordBar struct {
	*tty.Progress
	in   *jsonl.Reader
	done int64
	max  int64
}

func newRecordBar(g *Globals, io *IO, s *stream, verb string) *recordBar {
	b := &recordBar{Progress: tty.NewProgress(io.Stderr, g.showProgress(io), -1, verb, "records")}
	if s != nil {
		b.in = s.in
	}
	return b
}

// estimateTotal extrapolates records done over bytes read to the whole
// input; 0 when it cannot.
func estimateTotal(done, read, size int64) int64 {
	if done <= 0 || read <= 0 || size <= 0 {
		return 0
	}
	if read >= size {
		return done
	}
	return max(done, int64(float64(done)*float64(size)/float64(read)+0.5))
}

// Add counts n records done.
func (b *recordBar) Add(n int) {
	b.done += int64(n)
	if b.in != nil {
		if est := estimateTotal(b.done, b.in.BytesRead(), b.in.Size()); est > 0 && est != b.max {
			b.max = est
			b.SetMax(est)
		}
	}
	b.Progress.Add(n)
}
