package jsonl

import (
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
)

var (
	benchOnce sync.Once
	benchData []byte
)

// benchCorpus builds ~100 MB of generate-like records (~1.6 KB each): text
// with escapes, non-ASCII and HTML characters, a token id array and a
// nested score object.
func benchCorpus() []byte {
	benchOnce.Do(func() {
		rng := rand.New(rand.NewPCG(7, 7))
		words := []string{"once", "upon", "a", "time", "the", "little", "dog", "<b>", "&", "café", "猫", "\\n", "\\\"quoted\\\"", "🙂"}
		var buf bytes.Buffer
		for i := 0; buf.Len() < 100<<20; i++ {
			var text strings.Builder
			for text.Len() < 700 {
				text.WriteString(words[rng.IntN(len(words))])
				text.WriteByte(' ')
			}
			fmt.Fprintf(&buf, `{"id":"rec-%07d","prompt":"Once upon a time","generation":{"text":"%s","token_ids":[`, i, text.String())
			for j := range 150 {
				if j > 0 {
					buf.WriteByte(',')
				}
				fmt.Fprintf(&buf, "%d", rng.IntN(32000))
			}
			fmt.Fprintf(&buf, `],"finish":"length"},"score":{"seq_rep_4":%.4f,"distinct_2":%.4f},"extra":null}`+"\n",
				rng.Float64(), rng.Float64())
		}
		benchData = buf.Bytes()
	})
	return benchData
}

// BenchmarkPassThrough reads every record and writes it back: the I/O cost
// every subcommand pays.
func BenchmarkPassThrough(b *testing.B) {
	data := benchCorpus()
	b.SetBytes(int64(len(data)))
	defer reportCPU(b, len(data))()
	for b.Loop() {
		r, err := NewReader("bench", bytes.NewReader(data), Options{})
		if err != nil {
			b.Fatal(err)
		}
		w := NewWriter("discard", io.Discard, WriterOptions{})
		for {
			rec, err := r.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			if err := w.Write(rec); err != nil {
				b.Fatal(err)
			}
		}
		if err := w.Close(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkReadLookup reads records and decodes one nested string field,
// as score does.
func BenchmarkReadLookup(b *testing.B) {
	data := benchCorpus()
	b.SetBytes(int64(len(data)))
	defer reportCPU(b, len(data))()
	for b.Loop() {
		r, _ := NewReader("bench", bytes.NewReader(data), Options{})
		for {
			rec, err := r.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			if _, ok, err := rec.LookupString("generation.text"); !ok || err != nil {
				b.Fatal("no text", err)
			}
		}
	}
}

func BenchmarkParse(b *testing.B) {
	data := benchCorpus()
	line := data[:bytes.IndexByte(data, '\n')]
	b.SetBytes(int64(len(line)))
	for b.Loop() {
		if _, err := Parse(line); err != nil {
			b.Fatal(err)
		}
	}
}

// reportCPU starts a CPU clock; the returned func reports MB per CPU-second
// (GC included) as "cpu-MB/s".
func reportCPU(b *testing.B, size int) func() {
	start := cpuSeconds()
	return func() {
		if used := cpuSeconds() - start; used > 0 {
			b.ReportMetric(float64(size)*float64(b.N)/1e6/used, "cpu-MB/s")
		}
	}
}

// BenchmarkReadCompressed reads the corpus compressed, as from a .gz or
// .zst file; throughput is in uncompressed bytes.
func BenchmarkReadCompressed(b *testing.B) {
	data := benchCorpus()
	for _, ext := range []string{".gz", ".zst"} {
		b.Run(ext[1:], func(b *testing.B) {
			p := b.TempDir() + "/c.jsonl" + ext
			w, err := Create(p, WriterOptions{})
			if err != nil {
				b.Fatal(err)
			}
			if err := w.WriteLine(bytes.TrimSuffix(data, []byte{'\n'})); err != nil {
				b.Fatal(err)
			}
			if err := w.Close(); err != nil {
				b.Fatal(err)
			}
			b.SetBytes(int64(len(data)))
			defer reportCPU(b, len(data))()
			for b.Loop() {
				r, err := Open(p, Options{})
				if err != nil {
					b.Fatal(err)
				}
				for {
					_, err := r.Next()
					if err == io.EOF {
						break
					}
					if err != nil {
						b.Fatal(err)
					}
				}
				r.Close()
			}
		})
	}
}
