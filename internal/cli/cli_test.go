package cli

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/degen-llm/degen/detect"
	"github.com/degen-llm/degen/internal/jsonl"
	"github.com/degen-llm/degen/internal/shared"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite the expected outputs of the CLI cases")

// TestCases runs every case under testdata/cases/<command>/<case>/:
//
//	args       one argument per line; $TMP is a fresh temporary folder
//	in.jsonl   standard input (optional)
//	out        expected standard output (timings masked)
//	err        expected standard error (optional; checked when present)
//	code       expected exit code (optional; default 0)
//	files/     expected files the run writes into $TMP (optional)
//
// go test ./internal/cli -update rewrites out, err, code and files/.
func TestCases(t *testing.T) {
	dirs, err := filepath.Glob("testdata/cases/*/*")
	require.NoError(t, err)
	require.NotEmpty(t, dirs)
	sort.Strings(dirs)
	for _, dir := range dirs {
		t.Run(strings.TrimPrefix(dir, "testdata/cases/"), func(t *testing.T) {
			tmp := t.TempDir()
			argText, err := os.ReadFile(filepath.Join(dir, "args"))
			require.NoError(t, err)
			var args []string
			for _, a := range strings.Split(strings.TrimRight(string(argText), "\n"), "\n") {
				args = append(args, strings.ReplaceAll(a, "$TMP", tmp))
			}
			in, err := os.ReadFile(filepath.Join(dir, "in.jsonl"))
			if err != nil && !os.IsNotExist(err) {
				require.NoError(t, err)
			}
			var stdout, stderr bytes.Buffer
			code := Main(args, bytes.NewReader(in), &stdout, &stderr)
			gotOut := maskTimings(stdout.String())
			gotErr := strings.ReplaceAll(stderr.String(), tmp, "$TMP")
			files := map[string]string{}
			_ = filepath.Walk(tmp, func(p string, fi os.FileInfo, err error) error {
				if err == nil && !fi.IsDir() {
					b, _ := os.ReadFile(p)
					rel, _ := filepath.Rel(tmp, p)
					files[rel] = maskTimings(string(b))
				}
				return nil
			})
			if *update {
				require.NoError(t, os.WriteFile(filepath.Join(dir, "out"), []byte(gotOut), 0o644))
				require.NoError(t, os.WriteFile(filepath.Join(dir, "err"), []byte(gotErr), 0o644))
				require.NoError(t, os.WriteFile(filepath.Join(dir, "code"), []byte(strconv.Itoa(code)+"\n"), 0o644))
				_ = os.RemoveAll(filepath.Join(dir, "files"))
				for name, content := range files {
					p := filepath.Join(dir, "files", name)
					require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
					require.NoError(t, os.WriteFile(p, []byte(content), 0o644))
				}
				return
			}
			wantCode := 0
			if b, err := os.ReadFile(filepath.Join(dir, "code")); err == nil {
				wantCode, err = strconv.Atoi(strings.TrimSpace(string(b)))
				require.NoError(t, err)
			}
			assert.Equal(t, wantCode, code, "exit code; stderr: %s", stderr.String())
			wantOut, err := os.ReadFile(filepath.Join(dir, "out"))
			require.NoError(t, err)
			assertSameOutput(t, string(wantOut), gotOut, "stdout")
			if wantErr, err := os.ReadFile(filepath.Join(dir, "err")); err == nil {
				assert.Equal(t, string(wantErr), gotErr, "stderr")
			}
			wantFiles := map[string]string{}
			_ = filepath.Walk(filepath.Join(dir, "files"), func(p string, fi os.FileInfo, err error) error {
				if err == nil && !fi.IsDir() {
					b, _ := os.ReadFile(p)
					rel, _ := filepath.Rel(filepath.Join(dir, "files"), p)
					wantFiles[rel] = string(b)
				}
				return nil
			})
			sameFiles(t, wantFiles, files)
		})
	}
}

func TestCompressedOutputRoundTrip(t *testing.T) {
	for _, ext := range []string{".gz", ".zst"} {
		t.Run(ext, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "out.jsonl"+ext)
			var stdout, stderr bytes.Buffer
			code := Main([]string{"generate", "--quiet", "--prompt", "Once", "--max-new-tokens", "4", "-o", out}, nil, &stdout, &stderr)
			require.Equal(t, 0, code, stderr.String())
			assert.Empty(t, stdout.String())
			raw, err := os.ReadFile(out)
			require.NoError(t, err)
			assert.NotContains(t, string(raw), "Once", "compressed")
			// Read it back through the CLI: generate's input side decompresses.
			stdout.Reset()
			code = Main([]string{"generate", "--quiet", "--prompt-field", "text", "--max-new-tokens", "1", out}, nil, &stdout, &stderr)
			require.Equal(t, 0, code, stderr.String())
			assert.Contains(t, stdout.String(), `"prompt":"Once"`)
		})
	}
}

func TestModelPullMirror(t *testing.T) {
	dir := t.TempDir()
	var stdout, stderr bytes.Buffer
	models, err := shared.Models()
	require.NoError(t, err)
	code := Main([]string{"model", "pull", "--mirror", models, "--dir", dir, "stories260K"}, nil, &stdout, &stderr)
	require.Equal(t, 0, code, stderr.String())
	assert.Empty(t, stdout.String(), "stdout carries data only")
	for _, f := range knownModels["stories260K"] {
		fi, err := os.Stat(filepath.Join(dir, f.Name))
		require.NoError(t, err)
		assert.Equal(t, f.Size, fi.Size())
		assert.Contains(t, stderr.String(), f.SHA256)
	}
	// The pulled model is found by name through $DEGEN_CACHE.
	t.Setenv("DEGEN_CACHE", dir)
	p, err := resolveModel("stories260K")
	require.NoError(t, err)
	assert.Equal(t, filepath.Join(dir, "stories260K.bin"), p)
}

func TestModelPullChecksDigest(t *testing.T) {
	mirror := t.TempDir()
	// A mirror with a corrupted model file must be refused.
	models, err := shared.Models()
	require.NoError(t, err)
	src, err := os.ReadFile(filepath.Join(models, "stories260K.bin"))
	require.NoError(t, err)
	src[1000] ^= 1
	require.NoError(t, os.WriteFile(filepath.Join(mirror, "stories260K.bin"), src, 0o644))
	dir := t.TempDir()
	var stdout, stderr bytes.Buffer
	code := Main([]string{"model", "pull", "--mirror", mirror, "--dir", dir, "stories260K"}, nil, &stdout, &stderr)
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr.String(), "does not match")
	_, err = os.Stat(filepath.Join(dir, "stories260K.bin"))
	assert.True(t, os.IsNotExist(err), "nothing left behind")
}

// TestGenerateBatchSameOutput: --batch changes how records are scheduled,
// never what they contain.
func TestGenerateBatchSameOutput(t *testing.T) {
	in, err := os.ReadFile("../../testdata/prompts.jsonl")
	require.NoError(t, err)
	// Mixed settings: per-record params make some records sample, one use
	// beam search (which runs on its own), one stop on loops.
	lines := strings.Split(strings.TrimSpace(string(in)), "\n")[:7]
	lines[1] = strings.Replace(lines[1], "}", `,"params":{"do_sample":true,"seed":5,"temperature":0.9}}`, 1)
	lines[3] = strings.Replace(lines[3], "}", `,"params":{"num_beams":2}}`, 1)
	lines[4] = strings.Replace(lines[4], "}", `,"params":{"stop_on_loop":true}}`, 1)
	input := strings.Join(lines, "\n") + "\n"
	run := func(batch string) string {
		var stdout, stderr bytes.Buffer
		code := Main([]string{"generate", "--quiet", "--max-new-tokens", "60", "--batch", batch}, strings.NewReader(input), &stdout, &stderr)
		require.Equal(t, 0, code, stderr.String())
		return maskTimings(stdout.String())
	}
	one := run("1")
	assert.Equal(t, 7, strings.Count(one, "\n"))
	assert.Equal(t, one, run("3"))
	assert.Equal(t, one, run("16"))
}

// TestPrevParamsKeepsLargeSeeds: a record's uint64 seed reaches the retry
// ladder exactly, so two records whose seeds differ only beyond float64's
// 53 bits get different retry seeds.
func TestPrevParamsKeepsLargeSeeds(t *testing.T) {
	seen := map[any]string{}
	for _, s := range []string{"18446744073709551615", "18446744073709551614", "9223372036854775809", "9007199254740993", "9007199254740992"} {
		rec, err := jsonl.Parse([]byte(`{"text":"x","generation":{"params":{"seed":` + s + `,"do_sample":false}}}`))
		require.NoError(t, err)
		next := detect.NextParams(1, prevParams(rec))["seed"]
		require.NotContains(t, seen, next, "seeds %s and %s give one retry seed", seen[next], s)
		seen[next] = s
	}
}
