package cli

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/degen-llm/degen/internal/hub/hubtest"
)

const hfName = "hf:owner/repo/sub/model.gguf"

// hfSetup starts a fake hub holding owner/repo/sub/model.gguf (LFS, on a
// CDN of another origin), points HF_ENDPOINT at it and the cache at a
// fresh folder.
func hfSetup(t *testing.T, f hubtest.File) (srv *hubtest.Server, cache string, data []byte) {
	t.Helper()
	srv = hubtest.New(false)
	t.Cleanup(srv.Close)
	if f.Data == nil {
		r := rand.New(rand.NewPCG(7, 7))
		f.Data = make([]byte, 2<<20+99)
		for i := range f.Data {
			f.Data[i] = byte(r.Uint32())
		}
	}
	srv.Put("owner/repo", "main", "sub/model.gguf", f)
	cache = t.TempDir()
	t.Setenv("DEGEN_CACHE", cache)
	t.Setenv("HF_ENDPOINT", srv.Hub.URL)
	// Unset (kong reads an empty variable as a value): t.Setenv restores them.
	for _, k := range []string{"HF_TOKEN", "DEGEN_QUIET"} {
		t.Setenv(k, "")
		os.Unsetenv(k)
	}
	return srv, cache, f.Data
}

func run(args ...string) (code int, stdout, stderr string) {
	var out, errb bytes.Buffer
	code = Main(args, nil, &out, &errb)
	return code, out.String(), errb.String()
}

func sha(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

func TestPullHF(t *testing.T) {
	srv, cache, data := hfSetup(t, hubtest.File{LFS: true})
	want := filepath.Join(cache, "hf", "owner", "repo", "main", "sub", "model.gguf")

	// Before the pull, --model names the command that fetches it.
	_, err := resolveModel(hfName)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "run 'degen model pull "+hfName+"'")

	code, stdout, stderr := run("model", "pull", hfName)
	require.Equal(t, 0, code, stderr)
	assert.Empty(t, stdout, "stdout carries data only")
	lines := strings.Split(strings.TrimSpace(stderr), "\n")
	require.Len(t, lines, 2, "no progress bar when stderr is not a terminal: %q", stderr)
	assert.Equal(t, "degen: downloading "+hfName+" (2,097,251 bytes) from "+srv.Hub.URL+"/owner/repo/resolve/main/sub/model.gguf", lines[0])
	assert.Equal(t, "degen: "+hfName+" sha256 "+sha(data)+" verified -> "+want, lines[1])
	got, err := os.ReadFile(want)
	require.NoError(t, err)
	assert.Equal(t, sha(data), sha(got))

	p, err := resolveModel(hfName)
	require.NoError(t, err)
	assert.Equal(t, want, p)
	p, err = resolveModel("hf:owner/repo@main/sub/model.gguf")
	require.NoError(t, err)
	assert.Equal(t, want, p, "@main is the default revision")
	_, err = resolveModel("hf:owner/repo@v2/sub/model.gguf")
	assert.Error(t, err, "another revision is another file")

	// Again: nothing to do.
	srv.Requests()
	code, stdout, stderr = run("model", "pull", hfName)
	require.Equal(t, 0, code, stderr)
	assert.Empty(t, stdout)
	assert.Equal(t, "degen: "+hfName+" is already there (sha256 "+sha(data)+" verified): "+want+"\n", stderr)
	for _, r := range srv.Requests() {
		assert.Equal(t, "HEAD", r.Method, "no download the second time")
	}
}

func TestPullHFQuiet(t *testing.T) {
	_, cache, _ := hfSetup(t, hubtest.File{LFS: true})
	code, stdout, stderr := run("--quiet", "model", "pull", hfName)
	require.Equal(t, 0, code, stderr)
	assert.Empty(t, stdout)
	assert.Empty(t, stderr)
	assert.FileExists(t, filepath.Join(cache, "hf", "owner", "repo", "main", "sub", "model.gguf"))
}

func TestPullHFResume(t *testing.T) {
	srv, cache, data := hfSetup(t, hubtest.File{LFS: true})
	srv.CutAfter = 1_000_000
	code, stdout, stderr := run("model", "pull", hfName)
	assert.Equal(t, 1, code)
	assert.Empty(t, stdout)
	assert.Contains(t, stderr, "degen: error: "+hfName+": download interrupted after 1000000 of 2097251 bytes")
	assert.Contains(t, stderr, "run the same command again to resume")
	dst := filepath.Join(cache, "hf", "owner", "repo", "main", "sub", "model.gguf")
	assert.NoFileExists(t, dst)
	_, err := resolveModel(hfName)
	assert.Error(t, err, "a part is not a model")

	srv.Requests()
	code, stdout, stderr = run("model", "pull", hfName)
	require.Equal(t, 0, code, stderr)
	assert.Empty(t, stdout)
	assert.Contains(t, stderr, "degen: resuming "+hfName+" at 1,000,000 of 2,097,251 bytes from ")
	assert.Contains(t, stderr, "sha256 "+sha(data)+" verified -> "+dst)
	var ranges []string
	for _, r := range srv.Requests() {
		if r.Method == "GET" {
			ranges = append(ranges, r.Range)
		}
	}
	assert.Equal(t, []string{"bytes=1000000-", "bytes=1000000-"}, ranges, "hub then CDN")
}

func TestPullHFWrongDigest(t *testing.T) {
	_, cache, data := hfSetup(t, hubtest.File{LFS: true, WrongDigest: true})
	code, stdout, stderr := run("model", "pull", hfName)
	assert.Equal(t, 1, code)
	assert.Empty(t, stdout)
	assert.Contains(t, stderr, "sha256 "+sha(data)+" of the download does not match")
	assert.Contains(t, stderr, "the downloaded file was removed")
	entries, err := os.ReadDir(filepath.Join(cache, "hf", "owner", "repo", "main", "sub"))
	require.NoError(t, err)
	assert.Empty(t, entries, "nothing misleading left behind")
}

func TestPullHFNotLFS(t *testing.T) {
	_, _, _ = hfSetup(t, hubtest.File{Data: []byte("tiny file kept in git\n")})
	code, _, stderr := run("model", "pull", hfName)
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, stderr, "22 bytes, size checked; digest not verified")
}

func TestPullHFAuth(t *testing.T) {
	srv, _, _ := hfSetup(t, hubtest.File{LFS: true})
	srv.Status, srv.ErrorCode = 401, "GatedRepo"
	code, stdout, stderr := run("model", "pull", hfName)
	assert.Equal(t, 1, code)
	assert.Empty(t, stdout)
	assert.Contains(t, stderr, "access to owner/repo denied (401 Unauthorized): the repository is gated")
	assert.Contains(t, stderr, "set HF_TOKEN (or --token)")

	code, _, stderr = run("model", "pull", "--token", "hf_flag", hfName)
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr, "the token (HF_TOKEN or --token) was refused")
	assert.NotContains(t, stderr, "hf_flag", "the token is never printed")

	// The token goes to the hub as a Bearer token, from the flag or HF_TOKEN,
	// and never to the CDN.
	srv.Status = 0
	srv.Requests()
	t.Setenv("HF_TOKEN", "hf_env")
	code, _, stderr = run("model", "pull", hfName)
	require.Equal(t, 0, code, stderr)
	for _, r := range srv.Requests() {
		if r.Server == "hub" {
			assert.Equal(t, "Bearer hf_env", r.Authorization)
		} else {
			assert.Empty(t, r.Authorization)
		}
	}
}

func TestPullHFTokenFlag(t *testing.T) {
	srv, _, _ := hfSetup(t, hubtest.File{LFS: true})
	code, _, stderr := run("model", "pull", "--token", "hf_flag", hfName)
	require.Equal(t, 0, code, stderr)
	reqs := srv.Requests()
	require.NotEmpty(t, reqs)
	assert.Equal(t, "Bearer hf_flag", reqs[0].Authorization)
}

func TestPullHFNotFound(t *testing.T) {
	hfSetup(t, hubtest.File{LFS: true})
	code, _, stderr := run("model", "pull", "hf:owner/repo/missing.gguf")
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr, "degen: error: hf:owner/repo/missing.gguf: file missing.gguf not found in owner/repo at revision main (404 Not Found)")
	code, _, stderr = run("model", "pull", "hf:someone/else/x.gguf")
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr, "repository someone/else or its file x.gguf")
}

func TestPullHFEndpointFlag(t *testing.T) {
	srv, cache, _ := hfSetup(t, hubtest.File{LFS: true})
	t.Setenv("HF_ENDPOINT", "http://127.0.0.1:1") // nothing listens there
	code, _, stderr := run("model", "pull", hfName)
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr, "network error")
	assert.Contains(t, stderr, "http://127.0.0.1:1 (HF_ENDPOINT or --endpoint)")
	entries, _ := os.ReadDir(cache)
	assert.Empty(t, entries, "a failed connection leaves nothing")

	code, _, stderr = run("model", "pull", "--endpoint", srv.Hub.URL, hfName)
	require.Equal(t, 0, code, stderr)
}

func TestPullHFUsage(t *testing.T) {
	hfSetup(t, hubtest.File{LFS: true})
	code, _, stderr := run("model", "pull", "hf:owner/repo")
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, "names no file")
	code, _, stderr = run("model", "pull", "hf:owner/repo/../../x.gguf")
	assert.Equal(t, 2, code, stderr)
	code, _, stderr = run("model", "pull", "--mirror", t.TempDir(), hfName)
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, "--endpoint")
	_, err := resolveModel("hf:owner")
	assert.Error(t, err)
}
