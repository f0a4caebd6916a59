package cli

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeCorpus writes about size bytes of JSONL records whose texts look
// like model output: sentences drawn from a small vocabulary, some with
// loops, a few in Chinese.
func writeCorpus(tb testing.TB, path string, size int64) int64 {
	tb.Helper()
	f, err := os.Create(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	w := bufio.NewWriterSize(f, 1<<20)
	rng := rand.New(rand.NewPCG(1, 2))
	words := strings.Fields("the a little girl boy dog cat park ball red big happy sad mom dad tree sun day played ran saw wanted said was were with to and in on of her his friend box toy house garden")
	var n int64
	var sb strings.Builder
	for i := 0; n < size; i++ {
		sb.Reset()
		sentences := 5 + rng.IntN(20)
		for s := 0; s < sentences; s++ {
			l := 4 + rng.IntN(10)
			for k := 0; k < l; k++ {
				if k > 0 {
					sb.WriteByte(' ')
				}
				sb.WriteString(words[rng.IntN(len(words))])
			}
			sb.WriteString(". ")
		}
		if i%5 == 0 { // a loop at the tail
			for k := 0; k < 6; k++ {
				sb.WriteString("She wanted to play with the ball. ")
			}
		}
		if i%17 == 0 {
			sb.WriteString("这是一个杯子，这是一个杯子，这是一个杯子。")
		}
		b, _ := json.Marshal(map[string]any{"id": i, "prompt": "Once upon a time", "text": sb.String()})
		b = append(b, '\n')
		w.Write(b)
		n += int64(len(b))
	}
	if err := w.Flush(); err != nil {
		tb.Fatal(err)
	}
	return n
}

// BenchmarkScoreThroughput runs `degen score` over a generated JSONL file
// of $DEGEN_BENCH_MB megabytes (default 100) and reports MB/s of input.
func BenchmarkScoreThroughput(b *testing.B) {
	mb := int64(100)
	if v := os.Getenv("DEGEN_BENCH_MB"); v != "" {
		fmt.Sscan(v, &mb)
	}
	path := filepath.Join(b.TempDir(), "corpus.jsonl")
	n := writeCorpus(b, path, mb<<20)
	b.SetBytes(n)
	b.ResetTimer()
	for b.Loop() {
		code := Main([]string{"score", "--quiet", "--summary", os.DevNull, path}, nil, io.Discard, io.Discard)
		if code != 0 {
			b.Fatalf("exit %d", code)
		}
	}
}

// BenchmarkDetectThroughput does the same for `degen detect`.
func BenchmarkDetectThroughput(b *testing.B) {
	mb := int64(20)
	if v := os.Getenv("DEGEN_BENCH_MB"); v != "" {
		fmt.Sscan(v, &mb)
	}
	path := filepath.Join(b.TempDir(), "corpus.jsonl")
	n := writeCorpus(b, path, mb<<20)
	b.SetBytes(n)
	b.ResetTimer()
	for b.Loop() {
		if code := Main([]string{"detect", "--quiet", path}, nil, io.Discard, io.Discard); code != 0 {
			b.Fatalf("exit %d", code)
		}
	}
}
