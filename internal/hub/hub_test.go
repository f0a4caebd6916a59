package hub

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/degen-llm/degen/internal/hub/hubtest"
)

const repo = "owner/repo"

// payload is size pseudo-random bytes (several of the 1 MiB copy buffers).
func payload(seed uint64, size int) []byte {
	r := rand.New(rand.NewPCG(seed, 1))
	b := make([]byte, size+8)
	for i := 0; i < size; i += 8 {
		binary.LittleEndian.PutUint64(b[i:], r.Uint64())
	}
	return b[:size]
}

// digest is computed here with crypto/sha256 directly, independently of the
// streaming hash under test.
func digest(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

type fixture struct {
	srv    *hubtest.Server
	client *Client
	root   string
	ref    Ref
	data   []byte
}

func newFixture(t *testing.T, sameHost bool, f hubtest.File) *fixture {
	t.Helper()
	srv := hubtest.New(sameHost)
	t.Cleanup(srv.Close)
	if f.Data == nil {
		f.Data = payload(1, 3<<20+12345)
	}
	srv.Put(repo, "main", "sub/dir/model.gguf", f)
	ref, err := ParseRef("hf:" + repo + "/sub/dir/model.gguf")
	require.NoError(t, err)
	return &fixture{srv: srv, client: &Client{Endpoint: srv.Hub.URL, UserAgent: "degen-test"}, root: t.TempDir(), ref: ref, data: f.Data}
}

// events records what Download reported.
type events struct {
	started []Transfer
	done    []int64
}

func (e *events) opts() Options {
	return Options{
		Started:  func(t Transfer) { e.started = append(e.started, t) },
		Progress: func(done, total int64) { e.done = append(e.done, done) },
	}
}

func (fx *fixture) download(t *testing.T, e *events) (*Result, error) {
	t.Helper()
	if e == nil {
		e = &events{}
	}
	return fx.client.Download(context.Background(), fx.ref, fx.root, e.opts())
}

// files lists every file under root, relative, sorted.
func files(t *testing.T, root string) []string {
	t.Helper()
	var out []string
	require.NoError(t, filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(root, p)
			out = append(out, filepath.ToSlash(rel))
		}
		return err
	}))
	sort.Strings(out)
	return out
}

func (fx *fixture) dst() string { return fx.ref.CachePath(fx.root) }

func (fx *fixture) requireFile(t *testing.T, want []byte) {
	t.Helper()
	got, err := os.ReadFile(fx.dst())
	require.NoError(t, err)
	require.Equal(t, len(want), len(got))
	require.True(t, digest(got) == digest(want), "content differs")
}

func TestDownloadLFSThroughCDN(t *testing.T) {
	fx := newFixture(t, false, hubtest.File{LFS: true})
	fx.client.Token = "hf_secret"
	var e events
	seenEarly := false // the file never shows under its name before it is checked
	opt := e.opts()
	progress := opt.Progress
	opt.Progress = func(done, total int64) {
		progress(done, total)
		seenEarly = seenEarly || fileExists(fx.dst())
	}
	res, err := fx.client.Download(context.Background(), fx.ref, fx.root, opt)
	require.NoError(t, err)
	assert.False(t, seenEarly)
	assert.Equal(t, filepath.Join(fx.root, "owner", "repo", "main", "sub", "dir", "model.gguf"), res.Path)
	assert.True(t, res.Verified)
	assert.False(t, res.Present)
	assert.Equal(t, digest(fx.data), res.SHA256)
	assert.Equal(t, int64(len(fx.data)), res.Size)
	assert.Equal(t, hubtest.Commit, res.Commit)
	fx.requireFile(t, fx.data)
	// Only the file and its record remain: no part, no part record.
	assert.Equal(t, []string{"owner/repo/main/sub/dir/model.gguf", "owner/repo/main/sub/dir/model.gguf.meta.json"}, files(t, fx.root))

	reqs := fx.srv.Requests()
	require.Len(t, reqs, 3, "HEAD, GET on the hub, GET on the CDN: %+v", reqs)
	assert.Equal(t, hubtest.Request{Server: "hub", Method: "HEAD", Path: "/owner/repo/resolve/main/sub/dir/model.gguf", Range: "", Authorization: "Bearer hf_secret"}, reqs[0])
	assert.Equal(t, hubtest.Request{Server: "hub", Method: "GET", Path: "/owner/repo/resolve/main/sub/dir/model.gguf", Range: "", Authorization: "Bearer hf_secret"}, reqs[1])
	assert.Equal(t, "cdn", reqs[2].Server)
	assert.Empty(t, reqs[2].Authorization, "the token never reaches another host")

	require.Len(t, e.started, 1)
	assert.Equal(t, Transfer{URL: fx.srv.Hub.URL + "/owner/repo/resolve/main/sub/dir/model.gguf", Size: int64(len(fx.data)), SHA256: digest(fx.data)}, e.started[0])
	require.NotEmpty(t, e.done)
	assert.Equal(t, int64(len(fx.data)), e.done[len(e.done)-1])
	assert.True(t, sort.SliceIsSorted(e.done, func(i, j int) bool { return e.done[i] < e.done[j] }))
}

func TestTokenKeptOnSameHost(t *testing.T) {
	fx := newFixture(t, true, hubtest.File{LFS: true})
	fx.client.Token = "hf_secret"
	_, err := fx.download(t, nil)
	require.NoError(t, err)
	// Within one origin the HEAD follows the redirect too (as for a renamed
	// repository), and every request keeps the token.
	reqs := fx.srv.Requests()
	require.Len(t, reqs, 4)
	for _, r := range reqs {
		assert.Equal(t, "Bearer hf_secret", r.Authorization, "%+v", r)
	}
	assert.Equal(t, hubtest.Request{Server: "cdn", Method: "GET", Path: reqs[3].Path, Range: "", Authorization: "Bearer hf_secret"}, reqs[3])
}

func TestNoTokenNoAuthorization(t *testing.T) {
	fx := newFixture(t, true, hubtest.File{LFS: true})
	_, err := fx.download(t, nil)
	require.NoError(t, err)
	for _, r := range fx.srv.Requests() {
		assert.Empty(t, r.Authorization)
	}
}

func TestResumeAfterCut(t *testing.T) {
	fx := newFixture(t, false, hubtest.File{LFS: true})
	const k = 1<<20 + 777
	fx.srv.CutAfter = k
	_, err := fx.download(t, nil)
	require.ErrorIs(t, err, ErrInterrupted)
	var ie *InterruptedError
	require.ErrorAs(t, err, &ie)
	assert.Equal(t, int64(k), ie.Have)
	assert.Equal(t, int64(len(fx.data)), ie.Size)
	assert.NoFileExists(t, fx.dst(), "nothing in place before it is complete")
	fi, err := os.Stat(fx.dst() + ".part")
	require.NoError(t, err)
	assert.Equal(t, int64(k), fi.Size())
	assert.FileExists(t, fx.dst()+".part.meta.json")
	fx.srv.Requests()

	var e events
	res, err := fx.download(t, &e)
	require.NoError(t, err)
	assert.True(t, res.Verified)
	assert.Equal(t, int64(k), res.Resumed)
	fx.requireFile(t, fx.data)
	reqs := fx.srv.Requests()
	require.Len(t, reqs, 3)
	assert.Equal(t, "bytes="+strconv.Itoa(k)+"-", reqs[1].Range, "the hub request carries the Range")
	assert.Equal(t, "bytes="+strconv.Itoa(k)+"-", reqs[2].Range, "and the CDN gets it through the redirect")
	require.Len(t, e.started, 1)
	assert.Equal(t, int64(k), e.started[0].Have)
	assert.Empty(t, e.started[0].Discarded)
	assert.Equal(t, int64(k), e.done[0], "progress starts from the bytes already there")
	assert.Equal(t, []string{"owner/repo/main/sub/dir/model.gguf", "owner/repo/main/sub/dir/model.gguf.meta.json"}, files(t, fx.root))
}

func TestResumeServerIgnoresRange(t *testing.T) {
	fx := newFixture(t, false, hubtest.File{LFS: true})
	fx.srv.CutAfter = 5000
	_, err := fx.download(t, nil)
	require.ErrorIs(t, err, ErrInterrupted)
	fx.srv.IgnoreRange = true
	fx.srv.Requests()
	var e events
	res, err := fx.download(t, &e)
	require.NoError(t, err)
	assert.True(t, res.Verified)
	assert.Zero(t, res.Resumed)
	fx.requireFile(t, fx.data)
	assert.Equal(t, "bytes=5000-", fx.srv.Requests()[2].Range)
	require.Len(t, e.started, 1)
	assert.Zero(t, e.started[0].Have)
	assert.Contains(t, e.started[0].Discarded, "ignored the Range")
}

func TestResumeRemoteChanged(t *testing.T) {
	fx := newFixture(t, false, hubtest.File{LFS: true})
	fx.srv.CutAfter = 5000
	_, err := fx.download(t, nil)
	require.ErrorIs(t, err, ErrInterrupted)
	// A new version is pushed to main before the pull is run again.
	newData := payload(2, 2<<20)
	fx.srv.Put(repo, "main", "sub/dir/model.gguf", hubtest.File{LFS: true, Data: newData})
	fx.srv.Requests()
	var e events
	res, err := fx.download(t, &e)
	require.NoError(t, err)
	assert.Equal(t, digest(newData), res.SHA256)
	fx.requireFile(t, newData)
	for _, r := range fx.srv.Requests() {
		assert.Empty(t, r.Range, "no bytes of the old version are reused")
	}
	require.Len(t, e.started, 1)
	assert.Contains(t, e.started[0].Discarded, "changed")
}

func TestWrongDigestRemoved(t *testing.T) {
	fx := newFixture(t, false, hubtest.File{LFS: true, WrongDigest: true})
	_, err := fx.download(t, nil)
	require.ErrorIs(t, err, ErrDigestMismatch)
	assert.Contains(t, err.Error(), digest(fx.data), "names the digest it got")
	assert.Contains(t, err.Error(), "removed")
	assert.Empty(t, files(t, fx.root), "no file, part or record left behind")
}

func TestAlreadyPresent(t *testing.T) {
	fx := newFixture(t, false, hubtest.File{LFS: true})
	_, err := fx.download(t, nil)
	require.NoError(t, err)
	before, err := os.Stat(fx.dst())
	require.NoError(t, err)
	fx.srv.Requests()
	var e events
	res, err := fx.download(t, &e)
	require.NoError(t, err)
	assert.True(t, res.Present)
	assert.True(t, res.Verified)
	assert.NoError(t, res.CheckErr)
	assert.Equal(t, digest(fx.data), res.SHA256)
	assert.Empty(t, e.started)
	reqs := fx.srv.Requests()
	require.Len(t, reqs, 1, "one HEAD to see the hub still has this version")
	assert.Equal(t, "HEAD", reqs[0].Method)
	after, err := os.Stat(fx.dst())
	require.NoError(t, err)
	assert.Equal(t, before.ModTime(), after.ModTime(), "the file is not rewritten")
}

func TestPresentButUpdatedOnHub(t *testing.T) {
	fx := newFixture(t, false, hubtest.File{LFS: true})
	_, err := fx.download(t, nil)
	require.NoError(t, err)
	newData := payload(3, 100_000)
	fx.srv.Put(repo, "main", "sub/dir/model.gguf", hubtest.File{LFS: true, Data: newData})
	var e events
	res, err := fx.download(t, &e)
	require.NoError(t, err)
	assert.False(t, res.Present)
	require.Len(t, e.started, 1)
	assert.True(t, e.started[0].Update)
	fx.requireFile(t, newData)
}

func TestPresentOffline(t *testing.T) {
	fx := newFixture(t, false, hubtest.File{LFS: true})
	_, err := fx.download(t, nil)
	require.NoError(t, err)
	fx.srv.Close()
	res, err := fx.download(t, nil)
	require.NoError(t, err)
	assert.True(t, res.Present)
	assert.ErrorIs(t, res.CheckErr, ErrNetwork, "says the hub could not be asked")
}

func TestCommitRevisionNeedsNoNetwork(t *testing.T) {
	fx := newFixture(t, false, hubtest.File{LFS: true})
	fx.srv.Put(repo, hubtest.Commit, "m.gguf", hubtest.File{LFS: true, Data: fx.data})
	ref, err := ParseRef("hf:" + repo + "@" + hubtest.Commit + "/m.gguf")
	require.NoError(t, err)
	_, err = fx.client.Download(context.Background(), ref, fx.root, Options{})
	require.NoError(t, err)
	fx.srv.Close()
	res, err := fx.client.Download(context.Background(), ref, fx.root, Options{})
	require.NoError(t, err)
	assert.True(t, res.Present)
	assert.NoError(t, res.CheckErr, "a commit names fixed bytes: nothing to check")
}

func TestNonLFSFileSizeOnly(t *testing.T) {
	data := []byte("a small file kept in git, not LFS\n")
	fx := newFixture(t, false, hubtest.File{Data: data})
	var e events
	res, err := fx.download(t, &e)
	require.NoError(t, err)
	assert.False(t, res.Verified, "a git blob sha1 is no SHA-256")
	assert.Equal(t, digest(data), res.SHA256, "the digest of what arrived is still reported")
	assert.Equal(t, int64(len(data)), res.Size)
	require.Len(t, e.started, 1)
	assert.Empty(t, e.started[0].SHA256)
	fx.requireFile(t, data)
	st, ok := readState(fx.dst() + metaSuffix)
	require.True(t, ok)
	assert.Equal(t, hubtest.GitBlobSHA1(data), st.ETag)
	// A second pull is a no-op for it too.
	res, err = fx.download(t, nil)
	require.NoError(t, err)
	assert.True(t, res.Present)
	assert.False(t, res.Verified)
}

func TestNonLFSResume(t *testing.T) {
	fx := newFixture(t, false, hubtest.File{Data: payload(4, 40_000)})
	fx.srv.CutAfter = 10_000
	_, err := fx.download(t, nil)
	require.ErrorIs(t, err, ErrInterrupted)
	res, err := fx.download(t, nil)
	require.NoError(t, err)
	assert.Equal(t, int64(10_000), res.Resumed, "resumed against the unchanged blob ETag")
	fx.requireFile(t, fx.data)
}

func TestHubErrors(t *testing.T) {
	for _, c := range []struct {
		name, ref   string
		status      int
		code        string
		is          error
		msgContains []string
	}{
		{"unauthorized", "hf:owner/repo/sub/dir/model.gguf", 401, "RepoNotFound", ErrUnauthorized, []string{"repository owner/repo not found, or private or gated (401 Unauthorized)"}},
		{"bad token", "hf:owner/repo/sub/dir/model.gguf", 401, "", ErrUnauthorized, []string{"access to owner/repo denied (401 Unauthorized)"}},
		{"gated", "hf:owner/repo/sub/dir/model.gguf", 403, "GatedRepo", ErrUnauthorized, []string{"owner/repo", "gated"}},
		{"no file", "hf:owner/repo/other.gguf", 0, "", ErrNotFound, []string{"other.gguf", "owner/repo", "main", "404"}},
		{"no repo", "hf:nobody/nothing/x.gguf", 0, "", ErrNotFound, []string{"nobody/nothing", "x.gguf", "404"}},
		{"no revision", "hf:owner/repo@v9/sub/dir/model.gguf", 0, "", ErrNotFound, []string{"v9", "owner/repo"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			fx := newFixture(t, false, hubtest.File{LFS: true})
			fx.srv.Status, fx.srv.ErrorCode = c.status, c.code
			ref, err := ParseRef(c.ref)
			require.NoError(t, err)
			_, err = fx.client.Download(context.Background(), ref, fx.root, Options{})
			require.ErrorIs(t, err, c.is)
			for _, s := range c.msgContains {
				assert.Contains(t, err.Error(), s)
			}
			assert.Empty(t, files(t, fx.root))
		})
	}
}

func TestEndpoint(t *testing.T) {
	// The endpoint decides which server is asked.
	fx := newFixture(t, false, hubtest.File{LFS: true})
	other := hubtest.New(false)
	defer other.Close()
	other.Put(repo, "main", "sub/dir/model.gguf", hubtest.File{LFS: true, Data: []byte("from the mirror")})
	fx.client.Endpoint = other.Hub.URL + "/"
	_, err := fx.download(t, nil)
	require.NoError(t, err)
	fx.requireFile(t, []byte("from the mirror"))
	assert.Empty(t, fx.srv.Requests())

	fx.client.Endpoint = "ftp://example.com"
	_, err = fx.download(t, nil)
	assert.ErrorContains(t, err, "bad hub endpoint")
}

func TestNetworkError(t *testing.T) {
	fx := newFixture(t, false, hubtest.File{LFS: true})
	fx.srv.Close()
	_, err := fx.download(t, nil)
	require.ErrorIs(t, err, ErrNetwork)
	assert.Empty(t, files(t, fx.root))
}

func TestStallTimeout(t *testing.T) {
	fx := newFixture(t, false, hubtest.File{LFS: true})
	fx.client.StallTimeout = 200 * time.Millisecond
	fx.srv.StallAfter = 4096
	_, err := fx.download(t, nil)
	require.ErrorIs(t, err, ErrInterrupted)
	assert.ErrorContains(t, err, "no data received for 200ms")
	fi, err := os.Stat(fx.dst() + ".part")
	require.NoError(t, err)
	assert.Equal(t, int64(4096), fi.Size(), "kept for resuming")
}

func TestCancelKeepsPart(t *testing.T) {
	fx := newFixture(t, false, hubtest.File{LFS: true})
	// The server holds the rest back after 4096 bytes, so the cancel is
	// seen while the download waits, not after a fast copy has finished.
	fx.srv.StallAfter = 4096
	ctx, cancel := context.WithCancel(context.Background())
	opt := Options{Progress: func(done, total int64) {
		if done > 0 {
			cancel() // as Ctrl-C would
		}
	}}
	_, err := fx.client.Download(ctx, fx.ref, fx.root, opt)
	require.ErrorIs(t, err, ErrInterrupted)
	require.ErrorIs(t, err, context.Canceled)
	assert.FileExists(t, fx.dst()+".part")
	res, err := fx.download(t, nil)
	require.NoError(t, err)
	assert.Positive(t, res.Resumed)
	fx.requireFile(t, fx.data)
}

func TestNotEnoughSpaceUpFront(t *testing.T) {
	fx := newFixture(t, false, hubtest.File{LFS: true})
	diskFree = func(string) int64 { return 1000 }
	defer func() { diskFree = freeBytes }()
	_, err := fx.download(t, nil)
	require.ErrorIs(t, err, ErrNoSpace)
	assert.ErrorContains(t, err, "only 1000 are free")
	assert.Empty(t, files(t, fx.root))
}

// fullDisk accepts n bytes, then fails as a full disk does.
type fullDisk struct {
	w io.Writer
	n int
}

func (d *fullDisk) Write(b []byte) (int, error) {
	if len(b) <= d.n {
		d.n -= len(b)
		return d.w.Write(b)
	}
	k, _ := d.w.Write(b[:d.n])
	d.n = 0
	return k, &os.PathError{Op: "write", Path: "part", Err: syscall.ENOSPC}
}

func TestDiskFullKeepsPartForResume(t *testing.T) {
	fx := newFixture(t, false, hubtest.File{LFS: true})
	wrapWriter = func(w io.Writer) io.Writer { return &fullDisk{w, 1_500_000} }
	_, err := fx.download(t, nil)
	wrapWriter = func(w io.Writer) io.Writer { return w }
	require.ErrorIs(t, err, ErrNoSpace)
	assert.ErrorContains(t, err, "disk full")
	fi, err := os.Stat(fx.dst() + ".part")
	require.NoError(t, err)
	assert.Equal(t, int64(1_500_000), fi.Size())
	res, err := fx.download(t, nil)
	require.NoError(t, err)
	assert.Equal(t, int64(1_500_000), res.Resumed)
	assert.True(t, res.Verified)
	fx.requireFile(t, fx.data)
}

func TestPartWithoutRecordOrTooLongIsDiscarded(t *testing.T) {
	fx := newFixture(t, false, hubtest.File{LFS: true, Data: payload(5, 10_000)})
	require.NoError(t, os.MkdirAll(filepath.Dir(fx.dst()), 0o755))
	require.NoError(t, os.WriteFile(fx.dst()+".part", []byte("junk from somewhere"), 0o644))
	var e events
	res, err := fx.download(t, &e)
	require.NoError(t, err)
	assert.Zero(t, res.Resumed)
	assert.Contains(t, e.started[0].Discarded, "nothing records")
	fx.requireFile(t, fx.data)

	// A part longer than the file, recorded against the right ETag.
	require.NoError(t, os.Remove(fx.dst()))
	require.NoError(t, os.WriteFile(fx.dst()+".part", make([]byte, 20_000), 0o644))
	require.NoError(t, writeState(fx.dst()+".part.meta.json", state{ETag: digest(fx.data), Size: 10_000}))
	e = events{}
	_, err = fx.download(t, &e)
	require.NoError(t, err)
	assert.Contains(t, e.started[0].Discarded, "larger")
	fx.requireFile(t, fx.data)
}

func TestCompletePartOnlyVerified(t *testing.T) {
	// A part that is already whole (a crash after the last byte) is checked
	// and placed without another GET.
	fx := newFixture(t, false, hubtest.File{LFS: true, Data: payload(6, 10_000)})
	require.NoError(t, os.MkdirAll(filepath.Dir(fx.dst()), 0o755))
	require.NoError(t, os.WriteFile(fx.dst()+".part", fx.data, 0o644))
	require.NoError(t, writeState(fx.dst()+".part.meta.json", state{ETag: digest(fx.data), Size: 10_000}))
	res, err := fx.download(t, nil)
	require.NoError(t, err)
	assert.True(t, res.Verified)
	assert.Equal(t, int64(10_000), res.Resumed)
	reqs := fx.srv.Requests()
	require.Len(t, reqs, 1)
	assert.Equal(t, "HEAD", reqs[0].Method)
}

func TestBusy(t *testing.T) {
	fx := newFixture(t, false, hubtest.File{LFS: true})
	require.NoError(t, os.MkdirAll(filepath.Dir(fx.dst()), 0o755))
	f, err := openPart(fx.dst() + ".part")
	require.NoError(t, err)
	defer f.Close()
	_, err = fx.download(t, nil)
	if runtime.GOOS != "linux" && runtime.GOOS != "darwin" && runtime.GOOS != "freebsd" {
		require.NoError(t, err, "no advisory locks here: the download goes ahead")
		return
	}
	require.ErrorIs(t, err, ErrBusy)
}
