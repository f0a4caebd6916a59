package tty

import (
	"bytes"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestIsTerminal(t *testing.T) {
	var b bytes.Buffer
	assert.False(t, IsTerminal(&b), "a buffer has no file descriptor")
	f, err := os.CreateTemp(t.TempDir(), "x")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	assert.False(t, IsTerminal(f), "a regular file is not a terminal")
}

func TestProgressHiddenWritesNothing(t *testing.T) {
	var b bytes.Buffer
	p := NewProgress(&b, false, 10, "x", "records")
	p.Add(3)
	p.Describe("y")
	p.Finish()
	assert.Empty(t, b.String())
}

func TestProgressShown(t *testing.T) {
	var b bytes.Buffer
	p := NewProgress(&b, true, 10, "generate", "records")
	p.Add(1)
	time.Sleep(150 * time.Millisecond) // the bar redraws at most every 100 ms
	p.Add(1)
	assert.Contains(t, b.String(), "generate")
	p.Finish()
}

// TestProgressUnknownTotal: a total of 0 (a download without a size) is
// "unknown", drawn as a count, not as a bar that is full from the start.
func TestProgressUnknownTotal(t *testing.T) {
	var b bytes.Buffer
	p := NewProgress(&b, true, 0, "fetch", "B")
	p.Add(1)
	time.Sleep(150 * time.Millisecond)
	p.Add(1)
	assert.NotContains(t, b.String(), "100%")
	assert.Contains(t, b.String(), "fetch")
	p.Finish()
}
