// Package hubtest is a local stand-in for the Hugging Face hub, for tests
// (there is no network in the test environment). It answers
// /OWNER/REPO/resolve/REVISION/PATH the way huggingface.co does: LFS files
// with a 302 to a CDN carrying X-Linked-Etag (the SHA-256), X-Linked-Size
// and X-Repo-Commit, files kept in git with a 200 and their git blob sha1 as
// ETag. The CDN serves byte ranges (206). Faults can be switched on between
// requests: cut the connection after K bytes, ignore Range, publish a wrong
// digest, answer 401/403/404.
package hubtest

import (
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
)

// File is one file of a test repository.
type File struct {
	Data []byte
	LFS  bool // served through the CDN, with X-Linked-Etag and X-Linked-Size
	// WrongDigest makes the hub publish the SHA-256 of other bytes.
	WrongDigest bool
}

// Request is a request one of the servers received.
type Request struct {
	Server        string // "hub" or "cdn"
	Method        string
	Path          string
	Range         string
	Authorization string
}

// Server is a fake hub and its CDN.
type Server struct {
	Hub *httptest.Server
	CDN *httptest.Server // the same as Hub when started with New(true)

	mu    sync.Mutex
	files map[string]*File  // "owner/repo/revision/path"
	blobs map[string][]byte // CDN content by SHA-256
	log   []Request

	// Faults, read at each request; set them between requests.
	CutAfter    int64  // the next CDN answer sends this many body bytes, then the connection is cut (one shot)
	StallAfter  int64  // the next CDN answer sends this many bytes, then waits until the client gives up (one shot)
	IgnoreRange bool   // the CDN answers Range requests with 200 and the whole file
	Status      int    // the hub answers every request with this status (e.g. 401, 403)
	ErrorCode   string // X-Error-Code sent with Status
}

// Commit is the commit hash the fake hub reports for every revision.
const Commit = "0123456789abcdef0123456789abcdef01234567"

// New starts a hub. With sameHost the CDN paths are served by the hub
// itself; otherwise by a second server (another origin).
func New(sameHost bool) *Server {
	s := &Server{files: map[string]*File{}, blobs: map[string][]byte{}}
	s.Hub = httptest.NewServer(http.HandlerFunc(s.serveHub))
	if sameHost {
		s.CDN = s.Hub
	} else {
		s.CDN = httptest.NewServer(http.HandlerFunc(s.serveCDN))
	}
	return s
}

// Close stops the servers.
func (s *Server) Close() {
	s.Hub.Close()
	if s.CDN != s.Hub {
		s.CDN.Close()
	}
}

// Put adds or replaces a file at owner/repo, revision, path.
func (s *Server) Put(repo, revision, path string, f File) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.files[repo+"/"+revision+"/"+path] = &f
	s.blobs[SHA256(f.Data)] = f.Data
}

// Requests returns the requests seen so far and forgets them.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.log
	s.log = nil
	return r
}

// SHA256 is the hex digest of b.
func SHA256(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// GitBlobSHA1 is git's object id of b, the ETag the hub sends for files
// that are not in LFS.
func GitBlobSHA1(b []byte) string {
	h := sha1.New()
	fmt.Fprintf(h, "blob %d\x00", len(b))
	h.Write(b)
	return hex.EncodeToString(h.Sum(nil))
}

func (s *Server) record(server string, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.log = append(s.log, Request{server, r.Method, r.URL.EscapedPath(), r.Header.Get("Range"), r.Header.Get("Authorization")})
}

func (s *Server) serveHub(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, "/cdn/") {
		s.serveCDN(w, r)
		return
	}
	s.record("hub", r)
	// /OWNER/REPO/resolve/REVISION/PATH..., revision as one escaped segment.
	segs := strings.Split(strings.TrimPrefix(r.URL.EscapedPath(), "/"), "/")
	if len(segs) < 5 || segs[2] != "resolve" {
		http.NotFound(w, r)
		return
	}
	for i, seg := range segs {
		u, err := url.PathUnescape(seg)
		if err != nil {
			http.Error(w, "bad path", http.StatusBadRequest)
			return
		}
		segs[i] = u
	}
	repo, rev, path := segs[0]+"/"+segs[1], segs[3], strings.Join(segs[4:], "/")
	w.Header().Set("X-Repo-Commit", Commit)
	s.mu.Lock()
	if status, code := s.Status, s.ErrorCode; status != 0 {
		s.mu.Unlock()
		w.Header().Set("X-Error-Code", code)
		w.Header().Set("X-Error-Message", http.StatusText(status))
		w.WriteHeader(status)
		return
	}
	f := s.files[repo+"/"+rev+"/"+path]
	repoKnown, revKnown := false, false
	for k := range s.files {
		if strings.HasPrefix(k, repo+"/") {
			repoKnown = true
			if strings.HasPrefix(k, repo+"/"+rev+"/") {
				revKnown = true
			}
		}
	}
	s.mu.Unlock()
	if f == nil {
		switch {
		case !repoKnown:
			w.Header().Set("X-Error-Code", "RepoNotFound")
		case !revKnown:
			w.Header().Set("X-Error-Code", "RevisionNotFound")
		default:
			w.Header().Set("X-Error-Code", "EntryNotFound")
		}
		w.WriteHeader(http.StatusNotFound)
		return
	}
	if !f.LFS {
		w.Header().Set("ETag", `"`+GitBlobSHA1(f.Data)+`"`)
		s.serveBytes(w, r, f.Data)
		return
	}
	sum := SHA256(f.Data)
	published := sum
	if f.WrongDigest {
		published = SHA256(append([]byte("other"), f.Data...))
	}
	w.Header().Set("X-Linked-Etag", `"`+published+`"`)
	w.Header().Set("X-Linked-Size", strconv.Itoa(len(f.Data)))
	w.Header().Set("ETag", `W/"redirect-`+sum[:8]+`"`)
	w.Header().Set("Location", s.CDN.URL+"/cdn/"+sum+"?sig=x")
	w.WriteHeader(http.StatusFound)
}

func (s *Server) serveCDN(w http.ResponseWriter, r *http.Request) {
	s.record("cdn", r)
	sum := strings.TrimPrefix(r.URL.Path, "/cdn/")
	s.mu.Lock()
	data := s.blobs[sum]
	s.mu.Unlock()
	if data == nil {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("ETag", `"cdn-`+sum[:16]+`"`) // an S3-style ETag, not the hub's
	s.serveBytes(w, r, data)
}

// serveBytes answers with data or the range asked for, applying the faults.
func (s *Server) serveBytes(w http.ResponseWriter, r *http.Request, data []byte) {
	w.Header().Set("Accept-Ranges", "bytes")
	body, status := data, http.StatusOK
	s.mu.Lock()
	ignore := s.IgnoreRange
	s.mu.Unlock()
	if rg := r.Header.Get("Range"); rg != "" && !ignore {
		start, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimPrefix(rg, "bytes="), "-"), 10, 64)
		if err != nil || !strings.HasPrefix(rg, "bytes=") || !strings.HasSuffix(rg, "-") {
			http.Error(w, "only bytes=N- ranges", http.StatusBadRequest)
			return
		}
		if start >= int64(len(data)) {
			w.Header().Set("Content-Range", fmt.Sprintf("bytes */%d", len(data)))
			w.WriteHeader(http.StatusRequestedRangeNotSatisfiable)
			return
		}
		body, status = data[start:], http.StatusPartialContent
		w.Header().Set("Content-Range", fmt.Sprintf("bytes %d-%d/%d", start, len(data)-1, len(data)))
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	if r.Method == http.MethodHead {
		return
	}
	s.mu.Lock()
	cut, stall := s.CutAfter, s.StallAfter
	s.CutAfter, s.StallAfter = 0, 0
	s.mu.Unlock()
	switch {
	case cut > 0 && cut < int64(len(body)):
		w.Write(body[:cut])
		w.(http.Flusher).Flush()
		panic(http.ErrAbortHandler) // the server drops the connection
	case stall > 0 && stall < int64(len(body)):
		w.Write(body[:stall])
		w.(http.Flusher).Flush()
		<-r.Context().Done()
		return
	}
	w.Write(body)
}
