// Package tty decides what a terminal gets: whether stderr shows a progress
// bar and whether stdout is flushed after every record. Data goes to stdout
// only; progress and logs go to stderr; --quiet always wins.
package tty

import (
	"io"

	"github.com/mattn/go-isatty"
	"github.com/schollz/progressbar/v3"
)

// IsTerminal reports whether w is a terminal.
func IsTerminal(w any) bool {
	f, ok := w.(interface{ Fd() uintptr })
	if !ok {
		return false
	}
	fd := f.Fd()
	return isatty.IsTerminal(fd) || isatty.IsCygwinTerminal(fd)
}

// Progress is a progress bar on stderr, or nothing at all.
type Progress struct {
	bar *progressbar.ProgressBar
}

// NewProgress makes a bar counting max items (0 or less: unknown, a spinner) with
// the given description, shown only when show is true. The CLI computes
// show from --quiet, --progress and whether stderr is a terminal.
func NewProgress(w io.Writer, show bool, max int64, desc, unit string) *Progress {
	if !show {
		return &Progress{}
	}
	opts := []progressbar.Option{
		progressbar.OptionSetWriter(w),
		progressbar.OptionSetDescription(desc),
		progressbar.OptionShowCount(),
		progressbar.OptionShowIts(),
		progressbar.OptionSetItsString(unit),
		progressbar.OptionThrottle(100_000_000),
		progressbar.OptionClearOnFinish(),
	}
	if max <= 0 {
		max = -1 // progressbar's "total unknown": a spinner and a count
	}
	return &Progress{bar: progressbar.NewOptions64(max, opts...)}
}

// Add advances the bar by n.
func (p *Progress) Add(n int) {
	if p.bar != nil {
		_ = p.bar.Add(n)
	}
}

// Describe changes the text in front of the bar.
func (p *Progress) Describe(s string) {
	if p.bar != nil {
		p.bar.Describe(s)
	}
}

// Finish removes the bar.
func (p *Progress) Finish() {
	if p.bar != nil {
		_ = p.bar.Finish()
	}
}

// SetMax changes the expected total (an estimate that firms up as the input
// is read), turning a spinner into a bar with an ETA.
func (p *Progress) SetMax(max int64) {
	if p.bar != nil {
		p.bar.ChangeMax64(max)
	}
}
