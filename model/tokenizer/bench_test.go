package tokenizer

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/degen-llm/degen/internal/shared"
)

// englishTexts are the clean English records of the public detection set:
// natural prose of a few hundred bytes each, 60 kB in all.
func englishTexts(b *testing.B) []string {
	b.Helper()
	path, err := shared.Path("eval", "detect_public.jsonl")
	require.NoError(b, err)
	f, err := os.Open(path)
	require.NoError(b, err)
	defer f.Close()
	var texts []string
	r := bufio.NewReader(f)
	for {
		line, err := r.ReadBytes('\n')
		if len(line) > 0 {
			var rec struct{ Text, Label, Lang string }
			require.NoError(b, json.Unmarshal(line, &rec))
			if rec.Label == "clean" && rec.Lang == "en" {
				texts = append(texts, rec.Text)
			}
		}
		if err != nil {
			break
		}
	}
	require.NotEmpty(b, texts)
	return texts
}

// BenchmarkEncode measures encoding throughput (MB/s of input text) with the
// 32000-token Llama vocabulary: record by record as score does, and the
// whole set as one text to show that long inputs stay O(n log n).
func BenchmarkEncode(b *testing.B) {
	tok := loadLlama2C(b, "tokenizer.bin", 32000)
	texts := englishTexts(b)
	total := 0
	for _, s := range texts {
		total += len(s)
	}
	b.Run("records", func(b *testing.B) {
		b.SetBytes(int64(total))
		b.ReportAllocs()
		var ids []int
		for b.Loop() {
			for _, s := range texts {
				ids = tok.EncodeInto(ids[:0], s, true)
			}
		}
	})
	for _, copies := range []int{1, 16} {
		joined := strings.Repeat(strings.Join(texts, "\n\n"), copies)
		b.Run(fmt.Sprintf("joined/x%d", copies), func(b *testing.B) {
			b.SetBytes(int64(len(joined)))
			b.ReportAllocs()
			var ids []int
			for b.Loop() {
				ids = tok.EncodeInto(ids[:0], joined, true)
			}
		})
	}
}

func BenchmarkDecodeAll(b *testing.B) {
	tok := loadLlama2C(b, "tokenizer.bin", 32000)
	text := strings.Join(englishTexts(b), "\n\n")
	ids := tok.Encode(text, true)
	b.SetBytes(int64(len(text)))
	b.ReportAllocs()
	for b.Loop() {
		_ = tok.DecodeAll(ids)
	}
}

// BenchmarkEncodeHF measures byte-level BPE encoding (MB/s of input) with
// the Llama 3 and Qwen2.5 vocabularies and Gemma 3's merge-ranked
// SentencePiece one: a few KB of prose as one text, and the records one by
// one.
func BenchmarkEncodeHF(b *testing.B) {
	texts := englishTexts(b)
	var prose strings.Builder
	for _, s := range texts {
		if prose.Len() > 4096 {
			break
		}
		prose.WriteString(s)
		prose.WriteString("\n\n")
	}
	total := 0
	for _, s := range texts {
		total += len(s)
	}
	for _, name := range []string{"llama3", "qwen2.5", "gemma3"} {
		tok, _ := loadHF(b, name)
		b.Run(name+"/prose", func(b *testing.B) {
			text := prose.String()
			b.SetBytes(int64(len(text)))
			b.ReportAllocs()
			var ids []int
			for b.Loop() {
				ids = tok.EncodeInto(ids[:0], text, false)
			}
		})
		b.Run(name+"/records", func(b *testing.B) {
			b.SetBytes(int64(total))
			b.ReportAllocs()
			var ids []int
			for b.Loop() {
				for _, s := range texts {
					ids = tok.EncodeInto(ids[:0], s, false)
				}
			}
		})
	}
}
