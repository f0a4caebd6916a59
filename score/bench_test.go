package score

import (
	"bufio"
	"encoding/json"
	"math"
	"os"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/degen-llm/degen/internal/shared"
)

// benchTexts builds about size bytes of records of 200 B to 8 KB: word
// salad over a Zipf-like 5000-word vocabulary, a third of it ending in a
// loop of a phrase, a tenth Chinese.
func benchTexts(size int) []string {
	state := uint64(42)
	rnd := func(n int) int {
		state = state*6364136223846793005 + 1442695040888963407
		return int((state >> 33) % uint64(n))
	}
	vocab := make([]string, 5000)
	for i := range vocab {
		var sb strings.Builder
		for range 2 + rnd(8) {
			sb.WriteByte(byte('a' + rnd(26)))
		}
		vocab[i] = sb.String()
	}
	word := func() string { // rank ~ 1/u: a heavy head
		r := int(math.Min(4998, 1/(float64(rnd(1<<20))/(1<<20)+1e-4)))
		return vocab[r+rnd(2)]
	}
	var texts []string
	for total := 0; total < size; {
		n := 200 + rnd(8000)
		var sb strings.Builder
		if rnd(10) == 0 {
			for sb.Len() < n {
				sb.WriteRune(rune(0x4e00 + rnd(2000)))
				if rnd(12) == 0 {
					sb.WriteString("。")
				}
			}
		} else {
			loop := rnd(3) == 0
			for sb.Len() < n {
				if loop && sb.Len() > n/2 {
					phrase := word() + " " + word() + " " + word() + ". "
					for sb.Len() < n {
						sb.WriteString(phrase)
					}
					break
				}
				sb.WriteString(word())
				sb.WriteByte(' ')
			}
		}
		texts = append(texts, sb.String())
		total += sb.Len()
	}
	return texts
}

// BenchmarkScoreText scores about 10 MB of records on one goroutine with
// all per-record metrics (words tokenisation, n = 1..4, zlib level 6).
func BenchmarkScoreText(b *testing.B) {
	texts := benchTexts(10 << 20)
	total := 0
	for _, t := range texts {
		total += len(t)
	}
	s := mustScorer(b, Options{})
	b.SetBytes(int64(total))
	b.ResetTimer()
	for b.Loop() {
		for _, t := range texts {
			if _, err := s.Score(t); err != nil {
				b.Fatal(err)
			}
		}
	}
}

func BenchmarkZlibSize(b *testing.B) {
	texts := benchTexts(10 << 20)
	total := 0
	for _, t := range texts {
		total += len(t)
	}
	z, _ := newZlibSizer(6)
	b.SetBytes(int64(total))
	b.ResetTimer()
	for b.Loop() {
		for _, t := range texts {
			z.size(t)
		}
	}
}

// BenchmarkScoreEval scores the texts of the shared detect set (short
// records, half of them loops: long zlib matches, deep longest-repeat
// lifting), repeated to about 10 MB.
func BenchmarkScoreEval(b *testing.B) {
	p, err := shared.Path("eval", "detect_public.jsonl")
	if err != nil {
		b.Skip(err)
	}
	f, err := os.Open(p)
	if err != nil {
		b.Skip(err)
	}
	defer f.Close()
	var texts []string
	total := 0
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<24)
	for sc.Scan() {
		var d struct{ Text string }
		if err := json.Unmarshal(sc.Bytes(), &d); err != nil {
			b.Fatal(err)
		}
		texts = append(texts, d.Text)
		total += len(d.Text)
	}
	reps := max(1, (10<<20)/total)
	s := mustScorer(b, Options{})
	b.SetBytes(int64(total * reps))
	b.ResetTimer()
	for b.Loop() {
		for range reps {
			for _, t := range texts {
				if _, err := s.Score(t); err != nil {
					b.Fatal(err)
				}
			}
		}
	}
}

// BenchmarkScoreTextParallel is the CLI's setting: records spread over
// GOMAXPROCS workers, one Scorer each (run with -cpu 2).
func BenchmarkScoreTextParallel(b *testing.B) {
	texts := benchTexts(10 << 20)
	total := 0
	for _, t := range texts {
		total += len(t)
	}
	b.SetBytes(int64(total))
	b.ResetTimer()
	for b.Loop() {
		var next atomic.Int64
		var wg sync.WaitGroup
		for range runtime.GOMAXPROCS(0) {
			wg.Go(func() {
				s := mustScorer(b, Options{})
				for i := next.Add(1) - 1; i < int64(len(texts)); i = next.Add(1) - 1 {
					if _, err := s.Score(texts[i]); err != nil {
						b.Error(err)
						return
					}
				}
			})
		}
		wg.Wait()
	}
}
