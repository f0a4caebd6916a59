// Package hub downloads files from Hugging Face model repositories into a
// local cache, behaving like the hub's own clients (huggingface_hub,
// llama.cpp's -hf) so that mirrors and proxies built for those work too:
//
//   - A file is ENDPOINT/OWNER/REPO/resolve/REVISION/PATH. The hub answers
//     LFS files with a redirect to a CDN; redirects are followed, and the
//     token (a Bearer Authorization header) goes only to the hub's own
//     origin, never to the CDN.
//   - The first answer from the hub carries the file's identity: for LFS
//     files X-Linked-Etag is the SHA-256 of the content and X-Linked-Size its
//     length; for small files kept in git, ETag is a git blob sha1, which
//     identifies the content but is no SHA-256, so only the size is checked.
//   - Bytes go to FILE.part. A broken download resumes with a Range request
//     when the hub still announces the ETag the part was started with (kept
//     in a sidecar); otherwise it starts again. FILE appears only by an
//     atomic rename once its size and, where published, digest match.
//
// The package prints nothing: callers get progress through Options and
// errors that can be told apart with errors.Is (ErrUnauthorized,
// ErrNotFound, ErrDigestMismatch, ErrInterrupted, ErrNoSpace, ErrNetwork,
// ErrBusy).
package hub

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// DefaultEndpoint is the public hub.
const DefaultEndpoint = "https://huggingface.co"

// Errors a download can end with, for errors.Is.
var (
	ErrUnauthorized   = errors.New("access denied")            // 401, 403: private or gated repository, or a bad token
	ErrNotFound       = errors.New("not found")                // 404: no such repository, revision or file
	ErrDigestMismatch = errors.New("sha256 mismatch")          // the bytes are not the ones the hub published
	ErrInterrupted    = errors.New("download interrupted")     // the transfer broke off; the part is kept for resuming
	ErrNoSpace        = errors.New("not enough disk space")    // before or while writing
	ErrNetwork        = errors.New("network error")            // the hub could not be reached
	ErrBusy           = errors.New("download already running") // another process holds the part's lock
)

// Client talks to one hub endpoint.
type Client struct {
	Endpoint  string // base URL; "" means DefaultEndpoint
	Token     string // sent as "Authorization: Bearer TOKEN" to the endpoint's origin only
	UserAgent string
	// HTTP is the client to use; nil means one with connection and
	// response-header timeouts. Its CheckRedirect is replaced.
	HTTP *http.Client
	// StallTimeout ends a transfer that receives nothing for this long
	// (0: one minute; negative: never).
	StallTimeout time.Duration
}

// Transfer describes a download as it starts.
type Transfer struct {
	URL       string
	Size      int64  // total bytes, -1 when the hub does not say
	Have      int64  // bytes already on disk from an earlier run (resuming)
	SHA256    string // the digest the hub publishes, "" for files not in LFS
	Discarded string // why an earlier partial download was thrown away, "" if none was
	Update    bool   // a file was already in place and the hub now has other content
}

// Options are the caller's hooks into one download.
type Options struct {
	Started  func(Transfer)          // once, when bytes start to flow (or a complete part is found)
	Progress func(done, total int64) // after every write; done counts the resumed bytes too
}

// Result says what Download left in the cache.
type Result struct {
	Path     string
	Size     int64
	SHA256   string // digest of the file
	Verified bool   // SHA256 matched the one the hub publishes; false: size checked only
	Present  bool   // the file was already there and current; nothing was downloaded
	CheckErr error  // Present, but the hub could not be asked whether it has changed
	Resumed  int64  // bytes reused from an earlier partial download
	Commit   string // the commit the hub resolved the revision to, when it said
}

// StatusError is an error answer from the hub.
type StatusError struct {
	Ref        Ref
	URL        string
	Code       int
	Status     string
	HubCode    string // X-Error-Code: RepoNotFound, RevisionNotFound, EntryNotFound, GatedRepo, ...
	HubMessage string // X-Error-Message
}

func (e *StatusError) Error() string {
	var msg string
	switch {
	case e.Code == http.StatusNotFound && e.HubCode == "EntryNotFound":
		msg = fmt.Sprintf("file %s not found in %s at revision %s (%s)", e.Ref.Path, e.Ref.Repository(), e.Ref.Revision, e.Status)
	case e.Code == http.StatusNotFound && e.HubCode == "RevisionNotFound":
		msg = fmt.Sprintf("revision %s not found in %s (%s)", e.Ref.Revision, e.Ref.Repository(), e.Status)
	case e.Code == http.StatusNotFound:
		msg = fmt.Sprintf("repository %s or its file %s at revision %s not found (%s)", e.Ref.Repository(), e.Ref.Path, e.Ref.Revision, e.Status)
	case e.Code == http.StatusUnauthorized && e.HubCode == "RepoNotFound":
		// The hub answers so for a repository that does not exist and for
		// one that is private, to not tell them apart.
		msg = fmt.Sprintf("repository %s not found, or private or gated (%s)", e.Ref.Repository(), e.Status)
	case e.Code == http.StatusUnauthorized || e.Code == http.StatusForbidden:
		msg = fmt.Sprintf("access to %s denied (%s)", e.Ref.Repository(), e.Status)
		if e.HubCode == "GatedRepo" {
			msg += ": the repository is gated"
		}
	default:
		msg = fmt.Sprintf("the hub answered %s for %s", e.Status, e.URL)
	}
	if e.HubMessage != "" {
		msg += ": " + e.HubMessage
	}
	return msg
}

// Is makes errors.Is(err, ErrUnauthorized) and ErrNotFound work.
func (e *StatusError) Is(target error) bool {
	switch target {
	case ErrUnauthorized:
		return e.Code == http.StatusUnauthorized || e.Code == http.StatusForbidden
	case ErrNotFound:
		return e.Code == http.StatusNotFound
	}
	return false
}

// DigestError is a download whose SHA-256 differs from the published one.
// The bytes have been deleted.
type DigestError struct{ Got, Want string }

func (e *DigestError) Error() string {
	return fmt.Sprintf("sha256 %s of the download does not match the %s the hub publishes: the downloaded file was removed", e.Got, e.Want)
}

func (e *DigestError) Is(target error) bool { return target == ErrDigestMismatch }

// InterruptedError is a transfer that broke off. The part stays on disk and
// the next Download resumes it.
type InterruptedError struct {
	Part       string
	Have, Size int64 // Size -1 when unknown
	Err        error
}

func (e *InterruptedError) Error() string {
	of := ""
	if e.Size >= 0 {
		of = fmt.Sprintf(" of %d", e.Size)
	}
	return fmt.Sprintf("download interrupted after %d%s bytes (kept in %s for resuming): %v", e.Have, of, e.Part, e.Err)
}

func (e *InterruptedError) Unwrap() []error { return []error{ErrInterrupted, e.Err} }

// remote is what the hub says about a file.
type remote struct {
	etag   string // content identifier, "" when none was sent
	sha256 string // published digest (X-Linked-Etag of LFS files)
	size   int64  // -1 unknown
	commit string
}

// Test seams: the free space and the writer under the part file.
var (
	diskFree   = freeBytes
	wrapWriter = func(w io.Writer) io.Writer { return w }
)

// Download makes sure ref is in the cache under root (at ref.CachePath(root))
// and returns what it did. A file already there is checked against the
// hub (unless the revision is a commit hash) and kept when it is current.
//
// Errors name ref (they read "hf:OWNER/REPO/PATH: ...").
func (c *Client) Download(ctx context.Context, ref Ref, root string, opt Options) (*Result, error) {
	res, err := c.download(ctx, ref, root, opt)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", ref, err)
	}
	return res, nil
}

func (c *Client) download(ctx context.Context, ref Ref, root string, opt Options) (*Result, error) {
	if err := ref.check(); err != nil {
		return nil, err
	}
	endpoint, err := c.endpoint()
	if err != nil {
		return nil, err
	}
	u := ref.URL(endpoint)
	dst := ref.CachePath(root)
	present := func(st state, rem remote, checkErr error) *Result {
		commit := rem.commit
		if commit == "" {
			commit = st.Commit
		}
		return &Result{Path: dst, Size: st.Size, SHA256: st.SHA256, Verified: st.Verified, Present: true, CheckErr: checkErr, Commit: commit}
	}
	st, have := readState(dst + metaSuffix)
	have = have && sizeIs(dst, st.Size)
	if have && isCommit(ref.Revision) {
		return present(st, remote{}, nil), nil
	}
	rem, err := c.head(ctx, ref, u)
	if err != nil {
		if have && ctx.Err() == nil {
			return present(st, remote{}, err), nil
		}
		return nil, err
	}
	if have && rem.etag == st.ETag && (rem.size < 0 || rem.size == st.Size) {
		return present(st, rem, nil), nil
	}
	return c.fetch(ctx, ref, u, dst, rem, have, opt)
}

// fetch downloads into dst.part and moves it to dst once it checks out.
func (c *Client) fetch(ctx context.Context, ref Ref, u, dst string, rem remote, update bool, opt Options) (res *Result, err error) {
	dir := filepath.Dir(dst)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	partPath, partMeta := dst+partSuffix, dst+partSuffix+metaSuffix
	part, err := openPart(partPath)
	if err != nil {
		return nil, err
	}
	defer func() {
		// An error before any byte arrived leaves nothing behind.
		if err != nil {
			if fi, serr := part.Stat(); serr == nil && fi.Size() == 0 {
				os.Remove(partPath)
				os.Remove(partMeta)
			}
		}
		part.Close()
	}()
	// Another pull may have finished this file while we waited to open it.
	if st, ok := readState(dst + metaSuffix); ok && rem.etag != "" && st.ETag == rem.etag && sizeIs(dst, st.Size) {
		if fi, err := part.Stat(); err == nil && fi.Size() == 0 {
			os.Remove(partPath) // the empty one just created
		}
		return &Result{Path: dst, Size: st.Size, SHA256: st.SHA256, Verified: st.Verified, Present: true, Commit: rem.commit}, nil
	}
	fi, err := part.Stat()
	if err != nil {
		return nil, err
	}
	have := fi.Size()
	discarded := ""
	if have > 0 {
		pst, ok := readState(partMeta)
		switch {
		case !ok:
			discarded = "nothing records what it was started from"
		case rem.etag == "":
			discarded = "the hub gives no ETag to tell whether the file changed"
		case pst.ETag != rem.etag:
			discarded = "the file on the hub changed since it was started"
		case rem.size >= 0 && have > rem.size:
			discarded = "it is larger than the file on the hub"
		}
		if discarded != "" {
			have = 0
		}
	}
	t := &transfer{c: c, ref: ref, url: u, part: part, partPath: partPath, partMeta: partMeta, rem: rem, have: have, h: sha256.New()}
	if err := t.restart(have); err != nil {
		return nil, err
	}
	if have > 0 {
		// The digest covers the whole file: hash what is already there.
		if _, err := io.Copy(t.h, io.NewSectionReader(part, 0, have)); err != nil {
			return nil, fmt.Errorf("read %s: %w", partPath, err)
		}
	}
	if rem.size >= 0 {
		if free := diskFree(dir); free >= 0 && free < rem.size-have {
			return nil, fmt.Errorf("%w: %d more bytes are needed in %s, only %d are free", ErrNoSpace, rem.size-have, dir, free)
		}
	}
	tr := Transfer{URL: u, Size: rem.size, Have: have, SHA256: rem.sha256, Discarded: discarded, Update: update}
	if rem.size < 0 || have < rem.size {
		if err := t.run(ctx, tr, opt); err != nil {
			return nil, err
		}
	} else {
		t.resumedFrom = have
		if opt.Started != nil {
			opt.Started(tr)
		}
		if opt.Progress != nil {
			opt.Progress(have, rem.size)
		}
	}
	return t.place(dst)
}

// transfer is one download into a part file.
type transfer struct {
	c                  *Client
	ref                Ref
	url                string
	part               *os.File
	partPath, partMeta string
	rem                remote
	have               int64 // bytes in the part
	resumedFrom        int64 // bytes the part held when the accepted answer began
	h                  hash.Hash
}

// restart keeps the first keep bytes of the part (0: empties it), resets
// the digest and records what the part is a prefix of.
func (t *transfer) restart(keep int64) error {
	if keep == 0 {
		if err := t.part.Truncate(0); err != nil {
			return fmt.Errorf("truncate %s: %w", t.partPath, err)
		}
		t.h.Reset()
	}
	t.have = keep
	if _, err := t.part.Seek(keep, io.SeekStart); err != nil {
		return err
	}
	return writeState(t.partMeta, state{URL: t.url, ETag: t.rem.etag, SHA256: t.rem.sha256, Size: t.rem.size, Commit: t.rem.commit})
}

// run sends the GET (with Range when resuming) and streams the answer into
// the part.
func (t *transfer) run(ctx context.Context, tr Transfer, opt Options) error {
	gctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	stall := t.c.StallTimeout
	if stall == 0 {
		stall = time.Minute
	}
	errStalled := fmt.Errorf("no data received for %s", stall)
	var timer *time.Timer
	if stall > 0 {
		timer = time.AfterFunc(stall, func() { cancel(errStalled) })
		defer timer.Stop()
	}
	// A stall shows as a cancelled context; say what happened instead.
	cause := func(err error) error {
		if c := context.Cause(gctx); c != nil && ctx.Err() == nil {
			return c
		}
		return err
	}
	interrupted := func(err error) error {
		return &InterruptedError{Part: t.partPath, Have: t.have, Size: t.rem.size, Err: cause(err)}
	}
	var resp *http.Response
	for attempt := 0; ; attempt++ {
		if attempt == 4 {
			return errors.New("the server keeps answering in ways a download cannot continue from")
		}
		var err error
		resp, err = t.c.do(gctx, http.MethodGet, t.url, t.have, false)
		if err != nil {
			if t.have > 0 {
				return interrupted(err)
			}
			return fmt.Errorf("%w: %w", ErrNetwork, cause(err))
		}
		if resp.StatusCode >= 400 && resp.StatusCode != http.StatusRequestedRangeNotSatisfiable {
			resp.Body.Close()
			return statusError(t.ref, t.url, resp)
		}
		m := remoteFrom(resp, t.url)
		if m.etag != "" && t.rem.etag != "" && m.etag != t.rem.etag {
			// The file changed between the HEAD and this GET: take the
			// new identity; bytes of the old one cannot be kept.
			t.rem = m
			tr.Discarded, tr.SHA256, tr.Size = "the file on the hub changed since it was started", m.sha256, m.size
			if t.have > 0 {
				resp.Body.Close()
				if err := t.restart(0); err != nil {
					return err
				}
				continue
			}
			if err := t.restart(0); err != nil {
				resp.Body.Close()
				return err
			}
		}
		ok := false
		switch resp.StatusCode {
		case http.StatusOK:
			if t.have > 0 {
				// The server ignored the Range: this body is the whole file.
				tr.Discarded = "the server does not resume downloads (it ignored the Range request)"
				if err := t.restart(0); err != nil {
					resp.Body.Close()
					return err
				}
			}
			ok = true
		case http.StatusPartialContent:
			start, total, crOK := contentRange(resp.Header.Get("Content-Range"))
			ok = t.have > 0 && crOK && start == t.have && (t.rem.size < 0 || total < 0 || total == t.rem.size)
			if !ok {
				tr.Discarded = "the server answered the Range request with other bytes"
			}
		case http.StatusRequestedRangeNotSatisfiable:
			tr.Discarded = "the server refused the Range request"
		default:
			resp.Body.Close()
			return fmt.Errorf("unexpected answer %s from %s", resp.Status, resp.Request.URL.Redacted())
		}
		if ok {
			break
		}
		resp.Body.Close()
		if err := t.restart(0); err != nil {
			return err
		}
	}
	defer resp.Body.Close()
	if t.rem.size < 0 {
		t.rem.size = entitySize(resp)
	}
	tr.Size, tr.Have = t.rem.size, t.have
	t.resumedFrom = t.have
	if opt.Started != nil {
		opt.Started(tr)
	}
	if opt.Progress != nil {
		opt.Progress(t.have, t.rem.size)
	}
	w := wrapWriter(t.part)
	buf := make([]byte, 1<<20)
	for {
		if timer != nil {
			timer.Reset(stall)
		}
		n, rerr := resp.Body.Read(buf)
		if n > 0 {
			wn, werr := w.Write(buf[:n])
			t.h.Write(buf[:wn])
			t.have += int64(wn)
			if opt.Progress != nil {
				opt.Progress(t.have, t.rem.size)
			}
			if werr == nil && wn < n {
				werr = io.ErrShortWrite
			}
			if werr != nil {
				if errors.Is(werr, syscall.ENOSPC) {
					return fmt.Errorf("%w: disk full writing %s after %d bytes (kept for resuming: free space and run again)", ErrNoSpace, t.partPath, t.have)
				}
				return fmt.Errorf("write %s: %w", t.partPath, werr)
			}
		}
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			return interrupted(rerr)
		}
	}
	if t.rem.size >= 0 && t.have < t.rem.size {
		return interrupted(io.ErrUnexpectedEOF)
	}
	return nil
}

// place checks the complete part and renames it to dst, or deletes it.
func (t *transfer) place(dst string) (*Result, error) {
	discard := func() {
		os.Remove(t.partPath)
		os.Remove(t.partMeta)
	}
	if t.rem.size >= 0 && t.have != t.rem.size {
		discard()
		return nil, fmt.Errorf("got %d bytes, the hub announced %d: the downloaded file was removed", t.have, t.rem.size)
	}
	sum := hex.EncodeToString(t.h.Sum(nil))
	if t.rem.sha256 != "" && sum != t.rem.sha256 {
		discard()
		return nil, &DigestError{Got: sum, Want: t.rem.sha256}
	}
	if err := t.part.Sync(); err != nil {
		return nil, fmt.Errorf("sync %s: %w", t.partPath, err)
	}
	// Drop the old record first: a crash between the steps then leaves a
	// file without a record, which the next pull downloads again, never a
	// record vouching for other bytes.
	if err := os.Remove(dst + metaSuffix); err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	if err := os.Rename(t.partPath, dst); err != nil {
		// Some systems refuse to rename an open file.
		t.part.Close()
		if err = os.Rename(t.partPath, dst); err != nil {
			return nil, fmt.Errorf("move %s into place: %w", t.partPath, err)
		}
	}
	st := state{URL: t.url, ETag: t.rem.etag, SHA256: sum, Size: t.have, Commit: t.rem.commit, Verified: t.rem.sha256 != ""}
	if err := writeState(dst+metaSuffix, st); err != nil {
		return nil, err
	}
	os.Remove(t.partMeta)
	return &Result{Path: dst, Size: t.have, SHA256: sum, Verified: st.Verified, Resumed: t.resumedFrom, Commit: t.rem.commit}, nil
}

// head asks the hub about the file without downloading it. Redirects within
// the hub's origin are followed (a renamed repository); one to another
// origin (the CDN) is where the answer is read, as the hub's clients do.
func (c *Client) head(ctx context.Context, ref Ref, u string) (remote, error) {
	resp, err := c.do(ctx, http.MethodHead, u, 0, true)
	if err != nil {
		return remote{}, fmt.Errorf("%w: %w", ErrNetwork, err)
	}
	resp.Body.Close()
	if resp.StatusCode >= 400 {
		return remote{}, statusError(ref, u, resp)
	}
	return remoteFrom(resp, u), nil
}

// do sends one request: identity encoding (byte offsets must mean file
// offsets), the token, a Range from `from`, and a redirect policy that
// keeps the token on the starting origin.
func (c *Client) do(ctx context.Context, method, u string, from int64, stopCrossOrigin bool) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, method, u, nil)
	if err != nil {
		return nil, err
	}
	if c.UserAgent != "" {
		req.Header.Set("User-Agent", c.UserAgent)
	}
	req.Header.Set("Accept-Encoding", "identity")
	if c.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	if from > 0 {
		req.Header.Set("Range", fmt.Sprintf("bytes=%d-", from))
	}
	hc := *c.httpClient()
	origin := req.URL
	hc.CheckRedirect = func(next *http.Request, via []*http.Request) error {
		if len(via) >= 10 {
			return errors.New("stopped after 10 redirects")
		}
		if !sameOrigin(next.URL, origin) {
			if stopCrossOrigin {
				return http.ErrUseLastResponse
			}
			next.Header.Del("Authorization")
		}
		return nil
	}
	return hc.Do(req)
}

var defaultHTTP = &http.Client{Transport: func() http.RoundTripper {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.ResponseHeaderTimeout = time.Minute
	return t
}()}

func (c *Client) httpClient() *http.Client {
	if c.HTTP != nil {
		return c.HTTP
	}
	return defaultHTTP
}

func (c *Client) endpoint() (string, error) {
	e := c.Endpoint
	if e == "" {
		e = DefaultEndpoint
	}
	u, err := url.Parse(e)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return "", fmt.Errorf("bad hub endpoint %q: want http(s)://HOST or http(s)://HOST/PATH", e)
	}
	return strings.TrimRight(e, "/"), nil
}

// sameOrigin compares scheme, host and port, so a token meant for the hub
// never reaches another server, nor the hub over plain http.
func sameOrigin(a, b *url.URL) bool {
	return strings.EqualFold(a.Scheme, b.Scheme) && strings.EqualFold(hostPort(a), hostPort(b))
}

func hostPort(u *url.URL) string {
	if u.Port() != "" {
		return u.Host
	}
	switch strings.ToLower(u.Scheme) {
	case "https":
		return u.Hostname() + ":443"
	case "http":
		return u.Hostname() + ":80"
	}
	return u.Host
}

// remoteFrom reads the file's identity from the answers of the hub's own
// origin along the redirect chain that ended in resp: the first
// X-Linked-Etag/X-Linked-Size (LFS files), else the ETag and length of the
// hub's final answer (files in git). A CDN's own ETag is never used: it is
// not the hub's and differs between a HEAD and a GET.
func remoteFrom(resp *http.Response, start string) remote {
	origin, _ := url.Parse(start)
	var chain []*http.Response
	for r := resp; r != nil; {
		chain = append(chain, r)
		if r.Request == nil {
			break
		}
		r = r.Request.Response
	}
	slices.Reverse(chain)
	m := remote{size: -1}
	for _, r := range chain {
		if r.Request == nil || !sameOrigin(r.Request.URL, origin) {
			continue
		}
		if m.commit == "" {
			m.commit = r.Header.Get("X-Repo-Commit")
		}
		if le := r.Header.Get("X-Linked-Etag"); le != "" && m.etag == "" {
			m.etag = normETag(le)
			if s := strings.ToLower(m.etag); len(s) == 64 && isHex(s) {
				m.sha256 = s
			}
			if n, err := strconv.ParseInt(r.Header.Get("X-Linked-Size"), 10, 64); err == nil && n >= 0 {
				m.size = n
			}
		}
	}
	if m.etag == "" {
		last := chain[len(chain)-1]
		if last.Request != nil && sameOrigin(last.Request.URL, origin) && last.StatusCode/100 == 2 {
			m.etag = normETag(last.Header.Get("ETag"))
			m.size = entitySize(last)
		}
	}
	return m
}

// normETag drops the weak marker and the quotes: W/"abc" -> abc.
func normETag(s string) string {
	return strings.Trim(strings.TrimPrefix(strings.TrimSpace(s), "W/"), `"`)
}

// entitySize is the full length of the file an answer is (part of), -1 if
// it does not say.
func entitySize(resp *http.Response) int64 {
	switch resp.StatusCode {
	case http.StatusOK:
		if resp.ContentLength >= 0 {
			return resp.ContentLength
		}
	case http.StatusPartialContent:
		if _, total, ok := contentRange(resp.Header.Get("Content-Range")); ok {
			return total
		}
	}
	return -1
}

// contentRange parses "bytes START-END/TOTAL"; total is -1 for "*".
func contentRange(s string) (start, total int64, ok bool) {
	rest, found := strings.CutPrefix(s, "bytes ")
	if !found {
		return 0, 0, false
	}
	rng, tot, found := strings.Cut(rest, "/")
	if !found {
		return 0, 0, false
	}
	first, _, found := strings.Cut(rng, "-")
	if !found {
		return 0, 0, false
	}
	start, err := strconv.ParseInt(first, 10, 64)
	if err != nil || start < 0 {
		return 0, 0, false
	}
	if tot == "*" {
		return start, -1, true
	}
	total, err = strconv.ParseInt(tot, 10, 64)
	if err != nil || total < 0 {
		return 0, 0, false
	}
	return start, total, true
}

func statusError(ref Ref, u string, resp *http.Response) error {
	return &StatusError{Ref: ref, URL: u, Code: resp.StatusCode, Status: resp.Status,
		HubCode: resp.Header.Get("X-Error-Code"), HubMessage: resp.Header.Get("X-Error-Message")}
}

// openPart opens (creating) and locks the part file. After the lock it
// checks the name still points at the locked file, since a pull that
// finished meanwhile has renamed it into place.
func openPart(path string) (*os.File, error) {
	for range 3 {
		f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
		if err != nil {
			return nil, err
		}
		if err := lockFile(f); err != nil {
			f.Close()
			if errors.Is(err, ErrBusy) {
				return nil, fmt.Errorf("%w: another pull is writing %s", ErrBusy, path)
			}
			return nil, fmt.Errorf("lock %s: %w", path, err)
		}
		a, err1 := f.Stat()
		b, err2 := os.Stat(path)
		if err1 == nil && err2 == nil && os.SameFile(a, b) {
			return f, nil
		}
		f.Close()
	}
	return nil, fmt.Errorf("%w: %s keeps changing", ErrBusy, path)
}

func fileExists(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.Mode().IsRegular()
}

// sizeIs reports whether p is a regular file of size n (any size if n < 0).
func sizeIs(p string, n int64) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.Mode().IsRegular() && (n < 0 || fi.Size() == n)
}
