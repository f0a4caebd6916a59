package hub

import (
	"net/url"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseRef(t *testing.T) {
	for _, c := range []struct {
		in   string
		want Ref
	}{
		{"hf:Qwen/Qwen2.5-0.5B-Instruct-GGUF/qwen2.5-0.5b-instruct-q8_0.gguf",
			Ref{"Qwen", "Qwen2.5-0.5B-Instruct-GGUF", "main", "qwen2.5-0.5b-instruct-q8_0.gguf"}},
		{"hf:owner/repo@v1.0/model.gguf", Ref{"owner", "repo", "v1.0", "model.gguf"}},
		{"hf:owner/repo/sub/dir/model.gguf", Ref{"owner", "repo", "main", "sub/dir/model.gguf"}},
		{"hf:owner/repo@0123456789abcdef0123456789abcdef01234567/a/b.gguf",
			Ref{"owner", "repo", "0123456789abcdef0123456789abcdef01234567", "a/b.gguf"}},
		{"hf:owner/repo@refs%2Fpr%2F1/model.gguf", Ref{"owner", "repo", "refs/pr/1", "model.gguf"}},
		{"hf:o_1/r.x/m.gguf", Ref{"o_1", "r.x", "main", "m.gguf"}},
	} {
		got, err := ParseRef(c.in)
		require.NoError(t, err, c.in)
		assert.Equal(t, c.want, got, c.in)
		back, err := ParseRef(got.String())
		require.NoError(t, err, got.String())
		assert.Equal(t, got, back, "String round-trips %s", c.in)
	}
	for _, bad := range []string{
		"owner/repo/model.gguf",       // no scheme
		"hf:owner/repo",               // no file
		"hf:owner/repo/",              // empty file
		"hf:owner//model.gguf",        // empty repo
		"hf:/repo/model.gguf",         // empty owner
		"hf:owner/repo@/model.gguf",   // empty revision
		"hf:owner/repo@../model.gguf", // revision climbing out of the cache
		"hf:owner/repo@%2e%2e/m.gguf", // the same, escaped
		"hf:owner/repo/../../etc/passwd",
		"hf:owner/repo/a/./b.gguf",
		"hf:owner/repo/a//b.gguf",
		"hf:../repo/model.gguf",
		"hf:owner/re po/model.gguf",
		"hf:owner/-repo/model.gguf",
		"hf:owner/re--po/model.gguf",
		"hf:owner/repo/a\\b.gguf",
		"hf:owner/repo/model.gguf.part", // degen's own bookkeeping names
		"hf:owner/repo/model.gguf.meta.json",
		"hf:owner/repo@%zz/model.gguf",
		"hf:owner/repo/a\nb.gguf",
	} {
		_, err := ParseRef(bad)
		assert.Error(t, err, bad)
	}
}

func TestRefURLAndCachePath(t *testing.T) {
	r := Ref{"owner", "repo", "refs/pr/1", "sub dir/model #1.gguf"}
	// The revision is one segment, the path is escaped segment by segment.
	assert.Equal(t, "https://hub.example/owner/repo/resolve/refs%2Fpr%2F1/sub%20dir/model%20%231.gguf", r.URL("https://hub.example/"))
	assert.Equal(t, filepath.Join("/c", "owner", "repo", "refs%2Fpr%2F1", "sub dir", "model #1.gguf"), r.CachePath("/c"))
	// Revisions and repositories never share a folder.
	a := Ref{"o", "r", "main", "m.gguf"}.CachePath("/c")
	b := Ref{"o", "r", "v1", "m.gguf"}.CachePath("/c")
	c := Ref{"o", "r2", "main", "m.gguf"}.CachePath("/c")
	assert.NotEqual(t, a, b)
	assert.NotEqual(t, a, c)
}

func TestContentRange(t *testing.T) {
	s, total, ok := contentRange("bytes 100-199/200")
	assert.True(t, ok)
	assert.Equal(t, int64(100), s)
	assert.Equal(t, int64(200), total)
	s, total, ok = contentRange("bytes 5-9/*")
	assert.True(t, ok)
	assert.Equal(t, int64(5), s)
	assert.Equal(t, int64(-1), total)
	for _, bad := range []string{"", "bytes */200", "items 1-2/3", "bytes 1-2", "bytes x-2/3"} {
		_, _, ok := contentRange(bad)
		assert.False(t, ok, bad)
	}
}

func TestSameOrigin(t *testing.T) {
	p := func(s string) *url.URL {
		u, err := url.Parse(s)
		require.NoError(t, err)
		return u
	}
	assert.True(t, sameOrigin(p("https://huggingface.co/a"), p("https://huggingface.co:443/b")))
	assert.False(t, sameOrigin(p("https://huggingface.co/a"), p("https://cdn-lfs.huggingface.co/b")), "a subdomain is another host")
	assert.False(t, sameOrigin(p("https://huggingface.co/a"), p("http://huggingface.co/a")), "no token over plain http")
	assert.False(t, sameOrigin(p("http://127.0.0.1:8000/a"), p("http://127.0.0.1:8001/a")), "another port is another server")
}
