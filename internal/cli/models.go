package cli

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"syscall"

	"github.com/degen-llm/degen/internal/hub"
	"github.com/degen-llm/degen/internal/shared"
	"github.com/degen-llm/degen/internal/tty"
)

// knownFile is a file that `degen model pull` knows how to fetch.
type knownFile struct {
	Name   string // file name in the cache
	URL    string // official source
	SHA256 string // expected digest; "" when the project has not pinned one
	Size   int64  // expected size, 0 when unknown
}

// knownModels are the tinyllamas checkpoints and their tokenizers, from
// Karpathy's llama2.c releases. The digests of the stories260K files and the
// Llama 2 tokenizer are those verified in ../shared/models/PROVENANCE.txt;
// the larger checkpoints are checked by size, and their digest is printed so
// it can be pinned.
var knownModels = map[string][]knownFile{
	"stories260K": {
		{"stories260K.bin", "https://huggingface.co/karpathy/tinyllamas/resolve/main/stories260K/stories260K.bin", "b0a507e7ad0f626624f17112325e66691f9076d622e1d3274d103d00299f2696", 1056540},
		{"tok512.bin", "https://huggingface.co/karpathy/tinyllamas/resolve/main/stories260K/tok512.bin", "037cb335abb25d1fa9e8ecae30ed2a3a8ace9302862ebcdc05d51a6bbb10c312", 6227},
	},
	"stories15M": {
		{"stories15M.bin", "https://huggingface.co/karpathy/tinyllamas/resolve/main/stories15M.bin", "", 60816028},
		{"tokenizer.bin", "https://raw.githubusercontent.com/karpathy/llama2.c/master/tokenizer.bin", "50a52ef822ee9e83de5ce9d0be0a025a773d019437f58b5ff9dcafb063ece361", 433869},
	},
	"stories42M": {
		{"stories42M.bin", "https://huggingface.co/karpathy/tinyllamas/resolve/main/stories42M.bin", "", 0},
		{"tokenizer.bin", "https://raw.githubusercontent.com/karpathy/llama2.c/master/tokenizer.bin", "50a52ef822ee9e83de5ce9d0be0a025a773d019437f58b5ff9dcafb063ece361", 433869},
	},
	"stories110M": {
		{"stories110M.bin", "https://huggingface.co/karpathy/tinyllamas/resolve/main/stories110M.bin", "", 0},
		{"tokenizer.bin", "https://raw.githubusercontent.com/karpathy/llama2.c/master/tokenizer.bin", "50a52ef822ee9e83de5ce9d0be0a025a773d019437f58b5ff9dcafb063ece361", 433869},
	},
}

// cacheDir is where pulled models go: $DEGEN_CACHE, else the user cache
// directory's degen/models.
func cacheDir() (string, error) {
	if d := os.Getenv("DEGEN_CACHE"); d != "" {
		return d, nil
	}
	d, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("no cache directory: set DEGEN_CACHE: %w", err)
	}
	return filepath.Join(d, "degen", "models"), nil
}

// defaultModel is the model used when neither --model nor $DEGEN_MODEL is
// given.
const defaultModel = "stories260K"

// resolveModel turns --model (a path or a known name) into a file path.
// Order: the flag, then $DEGEN_MODEL, then "stories260K". A known name is
// looked up in the cache directory, then in the shared models folder beside
// the clone (../shared/models), so the demo runs offline.
func resolveModel(flag string) (string, error) {
	name := flag
	if name == "" {
		name = os.Getenv("DEGEN_MODEL")
	}
	if name == "" {
		name = defaultModel
	}
	if files, ok := knownModels[name]; ok {
		var tried []string
		if d, err := cacheDir(); err == nil {
			p := filepath.Join(d, files[0].Name)
			if fileExists(p) {
				return p, nil
			}
			tried = append(tried, p)
		}
		for _, d := range sharedModelDirs() {
			p := filepath.Join(d, files[0].Name)
			if fileExists(p) {
				return p, nil
			}
			tried = append(tried, p)
		}
		return "", fmt.Errorf("model %s not found (looked in %s): run 'degen model pull %s'", name, strings.Join(tried, ", "), name)
	}
	if hub.IsRef(name) {
		return resolveHF(name)
	}
	if !fileExists(name) {
		return "", fmt.Errorf("model file %s does not exist", name)
	}
	return name, nil
}

// hfRoot is where hf: files live under a cache directory:
// DIR/hf/OWNER/REPO/REVISION/PATH.
func hfRoot(dir string) string { return filepath.Join(dir, "hf") }

// resolveHF finds a pulled hf:OWNER/REPO[@REVISION]/PATH in the cache. The
// file is only ever there once it passed the checks of 'degen model pull'.
func resolveHF(name string) (string, error) {
	ref, err := hub.ParseRef(name)
	if err != nil {
		return "", usagef("%v", err)
	}
	d, err := cacheDir()
	if err != nil {
		return "", err
	}
	p := ref.CachePath(hfRoot(d))
	if !fileExists(p) {
		return "", fmt.Errorf("%s is not in the cache (looked for %s): run 'degen model pull %s'", ref, p, name)
	}
	return p, nil
}

// sharedModelDirs are where the shared models folder may be: beside the
// clone that holds the working directory (found through go.mod), or beside
// the clone that holds the degen binary (bin/degen in a clone), so the demo
// model is found from any working directory.
func sharedModelDirs() []string {
	var dirs []string
	if d, err := shared.Models(); err == nil {
		dirs = append(dirs, d)
	}
	if exe, err := os.Executable(); err == nil {
		if exe, err = filepath.EvalSymlinks(exe); err == nil {
			d := filepath.Dir(exe)
			for i := 0; i < 3; i++ {
				cand := filepath.Join(filepath.Dir(d), "shared", "models")
				if fi, err := os.Stat(cand); err == nil && fi.IsDir() && !slices.Contains(dirs, cand) {
					dirs = append(dirs, cand)
				}
				d = filepath.Dir(d)
			}
		}
	}
	return dirs
}

func fileExists(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && !fi.IsDir()
}

// pullFile copies one known file from the mirror directory or its URL into
// dir, checking size and digest, and returns the digest.
func pullFile(f knownFile, dir, mirror string, progress bool, stderr io.Writer) (string, error) {
	dst := filepath.Join(dir, f.Name)
	var src io.ReadCloser
	size := f.Size
	if mirror != "" {
		file, err := os.Open(filepath.Join(mirror, f.Name))
		if err != nil {
			return "", fmt.Errorf("mirror: %w", err)
		}
		if fi, err := file.Stat(); err == nil {
			size = fi.Size()
		}
		src = file
	} else {
		resp, err := http.Get(f.URL)
		if err != nil {
			return "", fmt.Errorf("download %s: %w", f.URL, err)
		}
		if resp.StatusCode != http.StatusOK {
			resp.Body.Close()
			return "", fmt.Errorf("download %s: %s", f.URL, resp.Status)
		}
		if resp.ContentLength > 0 {
			size = resp.ContentLength
		}
		src = resp.Body
	}
	defer src.Close()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	tmp, err := os.CreateTemp(dir, f.Name+".part-*")
	if err != nil {
		return "", err
	}
	defer os.Remove(tmp.Name())
	bar := tty.NewProgress(stderr, progress, size, f.Name, "B")
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(tmp, h, progressWriter{bar}), src)
	bar.Finish()
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return "", fmt.Errorf("%s: %w", f.Name, err)
	}
	sum := hex.EncodeToString(h.Sum(nil))
	if f.Size > 0 && n != f.Size {
		return "", fmt.Errorf("%s: got %d bytes, expected %d", f.Name, n, f.Size)
	}
	if f.SHA256 != "" && sum != f.SHA256 {
		return "", fmt.Errorf("%s: sha256 %s does not match the expected %s", f.Name, sum, f.SHA256)
	}
	if err := os.Rename(tmp.Name(), dst); err != nil {
		return "", err
	}
	return sum, nil
}

type progressWriter struct{ p *tty.Progress }

func (w progressWriter) Write(b []byte) (int, error) { w.p.Add(len(b)); return len(b), nil }

// pullHF downloads one file of a Hugging Face repository into dir/hf. All
// messages go to stderr (none with --quiet); stdout stays empty.
func (c *ModelPullCmd) pullHF(g *Globals, io *IO, dir string) error {
	ref, err := hub.ParseRef(c.Name)
	if err != nil {
		return usagef("%v", err)
	}
	if c.Mirror != "" {
		return usagef("--mirror copies the known models; for %s point --endpoint (or HF_ENDPOINT) at a mirror of the hub", ref)
	}
	endpoint := c.Endpoint
	if endpoint == "" {
		endpoint = hub.DefaultEndpoint
	}
	client := &hub.Client{Endpoint: endpoint, Token: c.Token, UserAgent: "degen/" + Version}
	// Ctrl-C ends the transfer cleanly: the part stays for the next run.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	show := g.showProgress(io)
	var bar *tty.Progress
	var shown int64
	opts := hub.Options{
		Started: func(t hub.Transfer) {
			size := "size unknown"
			if t.Size >= 0 {
				size = commas(t.Size) + " bytes"
			}
			if t.Update {
				g.logf(io, "%s changed on the hub: fetching the new version", ref)
			}
			if t.Discarded != "" {
				g.logf(io, "%s: starting again, the partial download was discarded: %s", ref, t.Discarded)
			}
			if t.Have > 0 {
				g.logf(io, "resuming %s at %s of %s from %s", ref, commas(t.Have), size, t.URL)
			} else {
				g.logf(io, "downloading %s (%s) from %s", ref, size, t.URL)
			}
			bar = tty.NewProgress(io.Stderr, show, t.Size, path.Base(ref.Path), "B")
			bar.Add(int(t.Have))
			shown = t.Have
		},
		Progress: func(done, total int64) {
			if bar != nil && done > shown {
				bar.Add(int(done - shown))
				shown = done
			}
		},
	}
	res, err := client.Download(ctx, ref, hfRoot(dir), opts)
	if bar != nil {
		bar.Finish()
	}
	if err != nil {
		return hfHint(err, ref, c.Token != "", endpoint)
	}
	check := "sha256 " + res.SHA256 + " verified"
	if !res.Verified {
		check = fmt.Sprintf("%s bytes, size checked; digest not verified (the hub publishes no SHA-256 for files kept in git rather than LFS)", commas(res.Size))
	}
	if res.Present {
		if res.CheckErr != nil {
			g.logf(io, "could not ask the hub whether %s changed: %v", ref, res.CheckErr)
		}
		g.logf(io, "%s is already there (%s): %s", ref, check, res.Path)
		return nil
	}
	g.logf(io, "%s %s -> %s", ref, check, res.Path)
	return nil
}

// hfHint adds what the user can do about a failed hf: pull.
func hfHint(err error, ref hub.Ref, haveToken bool, endpoint string) error {
	page := strings.TrimRight(endpoint, "/") + "/" + ref.Repository()
	switch {
	case errors.Is(err, hub.ErrUnauthorized) && haveToken:
		return fmt.Errorf("%w: the token (HF_TOKEN or --token) was refused or has no access: check it, and accept the model's terms on %s if it is gated", err, page)
	case errors.Is(err, hub.ErrUnauthorized):
		return fmt.Errorf("%w: if the repository is gated or private, accept its terms on %s and set HF_TOKEN (or --token) to an access token from %s/settings/tokens", err, page, strings.TrimRight(endpoint, "/"))
	case errors.Is(err, hub.ErrInterrupted):
		return fmt.Errorf("%w: run the same command again to resume", err)
	case errors.Is(err, hub.ErrNetwork):
		return fmt.Errorf("%w: check the connection, or the hub address %s (HF_ENDPOINT or --endpoint)", err, endpoint)
	}
	return err
}
