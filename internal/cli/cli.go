// Package cli is the degen command line: kong commands that read and write
// JSONL through internal/jsonl and call the libraries (generate, score,
// detect, filter, model). It is the only package that reads flags, writes
// to stdout and stderr, or decides exit codes.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"

	"github.com/alecthomas/kong"

	"github.com/degen-llm/degen/internal/bench"
	"github.com/degen-llm/degen/internal/tty"
	"github.com/degen-llm/degen/kernels"
	"github.com/degen-llm/degen/model"
)

// Exit codes.
const (
	ExitOK      = 0
	ExitRuntime = 1
	ExitUsage   = 2
	// ExitGate: the run completed, but a gate failed (detect --fail-if:
	// the share of degenerate records exceeded the rate), for cron jobs.
	ExitGate = 3
)

// usageError is an error in how degen was called (exit code 2).
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }
func (e *usageError) ExitCode() int { return ExitUsage }

// gateError is a failed quality gate (exit code 3); the output is complete.
type gateError struct{ msg string }

func (e *gateError) Error() string { return e.msg }
func (e *gateError) ExitCode() int { return ExitGate }

// usagef makes a usage error.
func usagef(format string, a ...any) error { return &usageError{fmt.Sprintf(format, a...)} }

// Globals are the flags every command takes.
type Globals struct {
	Quiet    bool   `short:"q" env:"DEGEN_QUIET" help:"No progress bar and no summary lines on stderr; errors are still printed."`
	Progress string `enum:"auto,always,never" default:"auto" help:"Progress bar on stderr: auto shows it only when stderr is a terminal (${enum})."`
	Kernels  string `env:"DEGEN_KERNELS" enum:"auto,generic,avx2,avx512" default:"auto" help:"Kernel implementation: auto picks the fastest this CPU runs; the others force one, to reproduce or compare outputs across machines (${enum})."`
}

// useKernels applies --kernels and returns the function that restores the
// previous choice (Main runs many times in one test process).
func (g *Globals) useKernels() (restore func(), err error) {
	if g.Kernels == "" || g.Kernels == "auto" {
		return func() {}, nil
	}
	restore, err = kernels.UseImpl(g.Kernels)
	if err != nil {
		return nil, usagef("--kernels %s: %v", g.Kernels, err)
	}
	return restore, nil
}

// cpuLine names the CPU and its cores, for model info and version -v.
func cpuLine() string {
	return fmt.Sprintf("%s, %d cores", bench.CPUName(), runtime.NumCPU())
}

// IO holds the streams of one run, so tests can drive the CLI in process.
type IO struct {
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	StdoutTTY      bool
	StderrTTY      bool
	// Ctx is cancelled when the run should stop (SIGINT or SIGTERM); the
	// record commands then finish the records in hand, keep the complete
	// lines and exit 130 or 143. Nil never stops.
	Ctx context.Context
}

// showProgress decides whether a progress bar is drawn.
func (g *Globals) showProgress(io *IO) bool {
	if g.Quiet {
		return false
	}
	switch g.Progress {
	case "always":
		return true
	case "never":
		return false
	}
	return io.StderrTTY
}

// logf writes a status line to stderr unless --quiet.
func (g *Globals) logf(io *IO, format string, a ...any) {
	if !g.Quiet {
		fmt.Fprintf(io.Stderr, "degen: "+format+"\n", a...)
	}
}

// CLI is the root command.
type CLI struct {
	Globals

	Generate GenerateCmd `cmd:"" help:"Continue prompts with a model and write one record per output."`
	Score    ScoreCmd    `cmd:"" help:"Add repetition, diversity and model metrics to each record."`
	Detect   DetectCmd   `cmd:"" help:"Flag degenerate records, say why and where, and how to regenerate them."`
	Filter   FilterCmd   `cmd:"" help:"Cut or collapse loops, drop flagged records, remove duplicates."`
	Merge    MergeCmd    `cmd:"" help:"Put regenerated records back in place of their originals, keeping the best attempt."`
	Model    ModelCmd    `cmd:"" help:"Inspect, fetch, quantize and make model files."`
	Bench    BenchCmd    `cmd:"" help:"Measure decode, prefill and batched speed against the memory-bandwidth limit."`
	Report   ReportCmd   `cmd:"" help:"Write an HTML (or Markdown) report of scored and detected records: metrics per group, histograms, reasons, example loops."`
	Version  VersionCmd  `cmd:"" help:"Print the version."`
}

const description = `degen generates text with anti-repetition decoding, measures repetition the way
the papers do, detects degenerate outputs and cleans them. Every subcommand reads
JSONL (files or stdin; .gz and .zst transparently) and writes JSONL to stdout, so
they pipe:

  degen generate < prompts.jsonl | degen score | degen detect | degen filter > clean.jsonl

Exit codes: 0 ok, 1 runtime error, 2 usage error, 3 a gate failed (detect
--fail-if: more degenerate records than the rate allows; the output is complete),
130 interrupted by SIGINT (Ctrl-C), 143 by SIGTERM (the complete lines are kept:
see --resume).`

// Version is set at build time with -ldflags "-X ...cli.Version=...".
var Version = "dev"

// VersionCmd prints the version.
type VersionCmd struct {
	Verbose bool `short:"v" help:"Also print the Go version, the CPU and the kernel implementations this machine can and cannot run."`
}

// Run prints the version.
func (c *VersionCmd) Run(io *IO) error {
	if _, err := fmt.Fprintf(io.Stdout, "degen %s\n", Version); err != nil || !c.Verbose {
		return err
	}
	fmt.Fprintf(io.Stdout, "go: %s %s/%s\n", runtime.Version(), runtime.GOOS, runtime.GOARCH)
	fmt.Fprintf(io.Stdout, "cpu: %s\n", cpuLine())
	fmt.Fprintf(io.Stdout, "kernels: %s\n", kernels.Impl())
	fmt.Fprintf(io.Stdout, "kernels runnable: %s\n", strings.Join(kernels.Impls(), " "))
	for _, m := range kernels.Missing() {
		fmt.Fprintf(io.Stdout, "kernels not runnable: %s (%s)\n", m.Name, m.Reason)
	}
	return nil
}

type exitSignal struct{ code int }

// Main runs degen with args (without the program name) and returns the exit
// code.
func Main(args []string, stdin io.Reader, stdout, stderr io.Writer) (code int) {
	return MainContext(context.Background(), args, stdin, stdout, stderr)
}

// MainContext is Main stopped by ctx: when it is cancelled the record
// commands stop as on SIGINT (a cause of type *interruptError names the
// signal).
func MainContext(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) (code int) {
	io := &IO{Stdin: stdin, Stdout: stdout, Stderr: stderr,
		StdoutTTY: tty.IsTerminal(stdout), StderrTTY: tty.IsTerminal(stderr), Ctx: ctx}
	var root CLI
	parser, err := kong.New(&root,
		kong.Name("degen"),
		kong.Description(description),
		kong.Writers(stdout, stderr),
		kong.Exit(func(c int) { panic(exitSignal{c}) }),
		kong.ConfigureHelp(kong.HelpOptions{Compact: true}),
		kong.Bind(io),
		kong.Vars{"shapes": model.PresetNames(), "filetypes": model.FileTypeNames()},
	)
	if err != nil {
		fmt.Fprintf(stderr, "degen: internal error: %v\n", err)
		return ExitRuntime
	}
	defer func() {
		if r := recover(); r != nil {
			if e, ok := r.(exitSignal); ok {
				// kong exits after --help (0) or a usage error (its code 80 is ours 2).
				code = e.code
				if code != 0 {
					code = ExitUsage
				}
				return
			}
			panic(r)
		}
	}()
	if len(args) == 0 {
		args = []string{"--help"}
	}
	kctx, err := parser.Parse(args)
	if err != nil {
		fmt.Fprintf(stderr, "degen: error: %v\n", err)
		cmd := ""
		var pe *kong.ParseError
		if errors.As(err, &pe) && pe.Context != nil {
			cmd = commandPath(pe.Context)
		}
		fmt.Fprintf(stderr, "run 'degen %s--help' for usage\n", cmd)
		return ExitUsage
	}
	restore, err := root.Globals.useKernels()
	if err == nil {
		defer restore()
		err = kctx.Run(&root.Globals)
	}
	if err != nil {
		msg := err.Error()
		fmt.Fprintf(stderr, "degen: error: %s\n", msg)
		var ec interface{ ExitCode() int }
		if errors.As(err, &ec) {
			return ec.ExitCode()
		}
		return ExitRuntime
	}
	return ExitOK
}

// Run is Main with the process's streams and signals: the first SIGINT or
// SIGTERM stops the run cleanly, a second one kills it.
func Run() int {
	ctx, stop := signalContext()
	defer stop()
	return MainContext(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
}

// commandPath is the subcommand words of a parse, for the usage hint.
func commandPath(k *kong.Context) string {
	var words []string
	for _, w := range strings.Fields(k.Command()) {
		if strings.HasPrefix(w, "<") {
			break
		}
		words = append(words, w)
	}
	if len(words) == 0 {
		return ""
	}
	return strings.Join(words, " ") + " "
}
