package score

import "sync"

// zlibPool keeps level-6 sizers: each holds zlib's window and hash tables,
// too large to allocate per text.
var zlibPool = sync.Pool{New: func() any {
	z, _ := newZlibSizer(6)
	return z
}}

// ZlibRatio is Whisper's compression ratio of text: UTF-8 bytes over the
// bytes of zlib.compress(text) at level 6, with zlib's exact output size
// (see zlibsize.go). It is 0 for the empty text. Safe for concurrent use.
func ZlibRatio(text string) float64 {
	if text == "" {
		return 0
	}
	z := zlibPool.Get().(*zlibSizer)
	n := z.size(text)
	zlibPool.Put(z)
	return float64(len(text)) / float64(n)
}
