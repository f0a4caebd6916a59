package bench

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"

	"github.com/degen-llm/degen/model"
)

// runLlamaBench runs llama.cpp's llama-bench on path with threads threads
// and returns its decode (tg) and prefill (pp) tokens per second: the mean
// of its three repetitions, as it reports them.
func runLlamaBench(bin, path string, threads int, o Options) (decode, prefill float64, err error) {
	args := []string{"-m", path, "-t", strconv.Itoa(threads), "-p", strconv.Itoa(o.PrefillTokens), "-n", strconv.Itoa(o.DecodeTokens), "-r", "3", "-o", "json"}
	cmd := exec.Command(bin, args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		return 0, 0, fmt.Errorf("llama-bench on %s: %v: %s", path, err, lastLine(errb.Bytes()))
	}
	var results []struct {
		NPrompt int     `json:"n_prompt"`
		NGen    int     `json:"n_gen"`
		AvgTS   float64 `json:"avg_ts"`
	}
	if err := json.Unmarshal(out.Bytes(), &results); err != nil {
		return 0, 0, fmt.Errorf("llama-bench output: %w", err)
	}
	for _, r := range results {
		switch {
		case r.NGen > 0 && r.NPrompt == 0:
			decode = r.AvgTS
		case r.NPrompt > 0 && r.NGen == 0:
			prefill = r.AvgTS
		}
	}
	return decode, prefill, nil
}

var achieved = regexp.MustCompile(`achieved tok/s: ([0-9.]+)`)

// runLlama2C runs llama2.c's run on a llama2.c export of the preset's
// synthetic weights (written once next to the GGUF ones), with OpenMP
// threads, and returns its "achieved tok/s" (every forward pass after the
// first, prompt tokens included, one at a time).
func runLlama2C(bin, dir string, p model.Preset, threads int, o Options) (float64, error) {
	if p.Config.ArchName() != "llama" || p.Config.HeadSize != 0 || p.Llama3Rope != nil {
		return 0, nil // not a model llama2.c can run
	}
	path, err := model.SynthFile(dir, p.Config, 1, model.FormatLlama2CLegacy)
	if err != nil {
		return 0, err
	}
	tok := filepath.Join(dir, fmt.Sprintf("synth-tokenizer-v%d.bin", p.Config.VocabSize))
	if _, err := os.Stat(tok); err != nil {
		s, err := model.Synth(p.Config, 1)
		if err != nil {
			return 0, err
		}
		f, err := os.Create(tok)
		if err != nil {
			return 0, err
		}
		if err := s.WriteTokenizer(f); err != nil {
			f.Close()
			return 0, err
		}
		if err := f.Close(); err != nil {
			return 0, err
		}
	}
	steps := min(o.DecodeTokens+8, p.Config.SeqLen)
	cmd := exec.Command(bin, path, "-z", tok, "-t", "0", "-n", strconv.Itoa(steps), "-i", "a")
	cmd.Env = append(os.Environ(), "OMP_NUM_THREADS="+strconv.Itoa(threads))
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return 0, fmt.Errorf("llama2.c on %s: %v: %s", path, err, lastLine(out.Bytes()))
	}
	m := achieved.FindSubmatch(out.Bytes())
	if m == nil {
		return 0, fmt.Errorf("llama2.c printed no tok/s: %s", lastLine(out.Bytes()))
	}
	return strconv.ParseFloat(string(m[1]), 64)
}

func lastLine(b []byte) string {
	b = bytes.TrimSpace(b)
	if i := bytes.LastIndexByte(b, '\n'); i >= 0 {
		b = b[i+1:]
	}
	return string(b)
}
