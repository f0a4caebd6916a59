package hub

import (
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"strings"
)

// Scheme is the prefix that marks a Hugging Face file name on the command
// line: hf:OWNER/REPO[@REVISION]/PATH.
const Scheme = "hf:"

// DefaultRevision is the branch used when a name gives no @REVISION.
const DefaultRevision = "main"

// Ref names one file of a model repository at one revision.
type Ref struct {
	Owner, Repo string
	Revision    string // a branch, tag or commit; may hold '/' (refs/pr/1)
	Path        string // slash-separated path inside the repository
}

// IsRef reports whether s is written as a Hugging Face file name (starts
// with "hf:"), so callers can tell it from a local path before parsing.
func IsRef(s string) bool { return strings.HasPrefix(s, Scheme) }

// ParseRef parses hf:OWNER/REPO/PATH or hf:OWNER/REPO@REVISION/PATH. PATH
// may run through subfolders (hf:OWNER/REPO/sub/dir/FILE.gguf). A revision
// holding '/' is written with %2F (hf:OWNER/REPO@refs%2Fpr%2F1/FILE.gguf),
// since a bare '/' would start the path.
func ParseRef(s string) (Ref, error) {
	if !IsRef(s) {
		return Ref{}, fmt.Errorf("%q is not a Hugging Face name: write hf:OWNER/REPO[@REVISION]/FILE", s)
	}
	parts := strings.Split(strings.TrimPrefix(s, Scheme), "/")
	if len(parts) < 3 {
		return Ref{}, fmt.Errorf("%q names no file: write hf:OWNER/REPO[@REVISION]/FILE (for example hf:OWNER/REPO/model-Q8_0.gguf)", s)
	}
	r := Ref{Owner: parts[0], Repo: parts[1], Revision: DefaultRevision, Path: strings.Join(parts[2:], "/")}
	if repo, rev, ok := strings.Cut(r.Repo, "@"); ok {
		unesc, err := url.PathUnescape(rev)
		if err != nil {
			return Ref{}, fmt.Errorf("%q: bad revision %q: %w", s, rev, err)
		}
		r.Repo, r.Revision = repo, unesc
	}
	if err := r.check(); err != nil {
		return Ref{}, fmt.Errorf("%q: %w", s, err)
	}
	return r, nil
}

// check rejects names that the hub would not accept and anything that
// could climb out of the cache directory.
func (r Ref) check() error {
	if err := checkRepoName("owner", r.Owner); err != nil {
		return err
	}
	if err := checkRepoName("repository", r.Repo); err != nil {
		return err
	}
	if r.Revision == "" {
		return errors.New("empty revision after @")
	}
	if r.Revision == "." || r.Revision == ".." || strings.ContainsAny(r.Revision, "\\\x00") || hasControl(r.Revision) {
		return fmt.Errorf("bad revision %q", r.Revision)
	}
	for _, seg := range strings.Split(r.Path, "/") {
		switch {
		case seg == "":
			return fmt.Errorf("empty folder or file name in path %q", r.Path)
		case seg == "." || seg == "..":
			return fmt.Errorf("path %q may not hold . or ..", r.Path)
		case strings.ContainsAny(seg, "\\\x00") || hasControl(seg):
			return fmt.Errorf("bad character in path %q", r.Path)
		}
	}
	for _, suf := range []string{partSuffix, metaSuffix} {
		if strings.HasSuffix(r.Path, suf) {
			return fmt.Errorf("file names ending in %s are kept for degen's own bookkeeping", suf)
		}
	}
	return nil
}

// checkRepoName applies the hub's rule for owner and repository names:
// letters, digits, '-', '_' and '.', no "--" or "..", not starting or
// ending with '-' or '.', at most 96 characters.
func checkRepoName(what, s string) error {
	if s == "" {
		return fmt.Errorf("empty %s name", what)
	}
	bad := len(s) > 96 || strings.Contains(s, "--") || strings.Contains(s, "..") ||
		strings.ContainsAny(s[:1], "-.") || strings.ContainsAny(s[len(s)-1:], "-.")
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			bad = true
		}
	}
	if bad {
		return fmt.Errorf("bad %s name %q: the hub allows letters, digits, '-', '_' and '.'", what, s)
	}
	return nil
}

func hasControl(s string) bool {
	for _, c := range s {
		if c < 0x20 || c == 0x7f {
			return true
		}
	}
	return false
}

// String writes the name back in the form ParseRef reads, leaving out
// @main.
func (r Ref) String() string {
	rev := ""
	if r.Revision != DefaultRevision {
		rev = "@" + url.PathEscape(r.Revision)
	}
	return Scheme + r.Owner + "/" + r.Repo + rev + "/" + r.Path
}

// Repository is OWNER/REPO.
func (r Ref) Repository() string { return r.Owner + "/" + r.Repo }

// URL is the file's resolve address on the hub at endpoint
// (ENDPOINT/OWNER/REPO/resolve/REVISION/PATH), with the revision escaped
// as one path segment and the path escaped segment by segment, as the
// hub's own clients do.
func (r Ref) URL(endpoint string) string {
	segs := strings.Split(r.Path, "/")
	for i, s := range segs {
		segs[i] = url.PathEscape(s)
	}
	return strings.TrimRight(endpoint, "/") + "/" + r.Owner + "/" + r.Repo + "/resolve/" +
		url.PathEscape(r.Revision) + "/" + strings.Join(segs, "/")
}

// CachePath is where the file lives under root: root/OWNER/REPO/REVISION/PATH,
// so owners, repositories and revisions never share a file. A revision
// holding '/' becomes one escaped folder (refs%2Fpr%2F1).
func (r Ref) CachePath(root string) string {
	return filepath.Join(root, r.Owner, r.Repo, url.PathEscape(r.Revision), filepath.FromSlash(r.Path))
}

// isCommit reports whether the revision is a full commit hash, which names
// the same bytes forever, so a file pulled at it never needs checking again.
func isCommit(rev string) bool { return len(rev) == 40 && isHex(rev) }

func isHex(s string) bool {
	for _, c := range s {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}
