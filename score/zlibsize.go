package score

import (
	"encoding/binary"
	"math/bits"
)

// This file measures how many bytes zlib's compress2(level 6) — what
// Python's zlib.compress(data) and so Whisper's compression_ratio use —
// would produce for a text, without producing them.
//
// Go's compress/flate and klauspost/compress both emit valid but different
// deflate streams: they hash 4-byte prefixes (so never find the 3-byte
// matches zlib finds, which matters for CJK text where every character is
// 3 bytes), and compress/flate ends every stream with an extra empty stored
// block. On the reference cases that puts them 4–60 % away from zlib on
// short texts. So this is a port of the parts of zlib 1.2.x/1.3 deflate.c
// and trees.c that decide the output size: the lazy matcher deflate_slow
// with level 6's parameters, the 16383-symbol block buffer, and for every
// block the choice between stored, fixed and dynamic Huffman coding from the
// code lengths build_tree/gen_bitlen/scan_tree/build_bl_tree would compute
// (tie-breaks included). No bits are written; only their number is summed.
// The result equals len(zlib.compress(data)) byte for byte on the
// reference cases.

const (
	zWSize        = 1 << 15 // window size (windowBits 15)
	zWMask        = zWSize - 1
	zWindowSize   = 2 * zWSize
	zHashBits     = 15 // memLevel 8 + 7
	zHashMask     = 1<<zHashBits - 1
	zHashShift    = 5 // (hash_bits+MIN_MATCH-1)/MIN_MATCH
	zMinMatch     = 3
	zMaxMatch     = 258
	zMinLookahead = zMaxMatch + zMinMatch + 1
	zMaxDist      = zWSize - zMinLookahead
	zTooFar       = 4096
	zLitBufSize   = 1 << 14 // memLevel 8 + 6
	zWinInit      = zMaxMatch

	zLCodes   = 286 // literal/length codes
	zDCodes   = 30
	zBLCodes  = 19
	zHeapSize = 2*zLCodes + 1
	zMaxBits  = 15
	zMaxBL    = 7
	zEndBlock = 256
	zRep36    = 16
	zRepZ310  = 17
	zRepZ1138 = 18
)

var (
	zExtraLBits  = [29]int{0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0}
	zExtraDBits  = [30]int{0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13}
	zExtraBLBits = [19]int{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 3, 7}
	zBLOrder     = [19]int{16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15}

	zLengthCode [256]uint8 // match length - 3 → length code - 257
	zDistCode   [512]uint8 // see dCode
	zStaticL    [zLCodes + 2]int
	zStaticD    [zDCodes]int
)

func init() {
	// The same construction as tr_static_init.
	length := 0
	for code := 0; code < 28; code++ {
		for n := 0; n < 1<<zExtraLBits[code]; n++ {
			zLengthCode[length] = uint8(code)
			length++
		}
	}
	zLengthCode[length-1] = 28 // length 258 has its own code
	dist := 0
	for code := 0; code < 16; code++ {
		for n := 0; n < 1<<zExtraDBits[code]; n++ {
			zDistCode[dist] = uint8(code)
			dist++
		}
	}
	dist >>= 7
	for code := 16; code < zDCodes; code++ {
		for n := 0; n < 1<<(zExtraDBits[code]-7); n++ {
			zDistCode[256+dist] = uint8(code)
			dist++
		}
	}
	for n := range zStaticL {
		switch {
		case n <= 143:
			zStaticL[n] = 8
		case n <= 255:
			zStaticL[n] = 9
		case n <= 279:
			zStaticL[n] = 7
		default:
			zStaticL[n] = 8
		}
	}
	for n := range zStaticD {
		zStaticD[n] = 5
	}
}

// dCode maps a distance-1 (0..32767) to its distance code.
func dCode(dist int) int {
	if dist < 256 {
		return int(zDistCode[dist])
	}
	return int(zDistCode[256+dist>>7])
}

// zTree is one Huffman tree under construction (ct_data of zlib with
// Freq/Len/Dad kept apart; zlib overlays Dad and Len, which is safe there
// because a parent's Len is always set before its children read it, and
// stays so here).
type zTree struct {
	freq, len, dad []int // (2*elems+1) leaves then internal nodes
	static         []int // static code lengths, nil for the bit-length tree
	extra          []int
	base, elems    int
	maxLength      int
	maxCode        int
}

func newZTree(elems int, static, extra []int, base, maxLength int) zTree {
	n := 2*elems + 1
	return zTree{freq: make([]int, n), len: make([]int, n), dad: make([]int, n),
		static: static, extra: extra, base: base, elems: elems, maxLength: maxLength}
}

// zConfig is a row of zlib's configuration_table; levels 4–9 use
// deflate_slow, the only strategy ported here.
type zConfig struct{ good, lazy, nice, chain int }

var zConfigs = map[int]zConfig{
	4: {4, 4, 16, 16},
	5: {8, 16, 32, 32},
	6: {8, 16, 128, 128},
	7: {8, 32, 128, 256},
	8: {32, 128, 258, 1024},
	9: {32, 258, 258, 4096},
}

// zlibSizer holds the deflate state. One per goroutine; about 260 KB.
type zlibSizer struct {
	cfg zConfig

	window [zWindowSize + zMaxMatch + 16]byte
	head   [1 << zHashBits]uint16
	prev   [zWSize]uint16

	in        string // input being consumed
	inPos     int
	strstart  int
	blockStrt int
	lookahead int
	insert    int
	insH      int
	highWater int

	matchLength, prevLength int
	matchStart, prevMatch   int
	matchAvailable          bool
	slid                    bool // the window slid since reset

	syms              int
	optLen, staticLen int
	bits              int

	ltree, dtree, bltree zTree
	heap                 [zHeapSize]int
	heapLen, heapMax     int
	depth                [zHeapSize]uint8
	blCount              [zMaxBits + 1]int
}

// newZlibSizer returns a sizer for a zlib level in 4..9 (ok false otherwise).
func newZlibSizer(level int) (*zlibSizer, bool) {
	cfg, ok := zConfigs[level]
	if !ok {
		return nil, false
	}
	z := &zlibSizer{cfg: cfg}
	z.ltree = newZTree(zLCodes, zStaticL[:], zExtraLBits[:], 257, zMaxBits)
	z.dtree = newZTree(zDCodes, zStaticD[:], zExtraDBits[:], 0, zMaxBits)
	z.bltree = newZTree(zBLCodes, nil, zExtraBLBits[:], 0, zMaxBL)
	return z, true
}

// size returns len(zlib.compress(data, level)) (2-byte header, deflate
// stream, 4-byte Adler-32).
func (z *zlibSizer) size(data string) int {
	z.reset()
	z.in, z.inPos = data, 0
	z.deflate(true)
	z.in, z.inPos = "", 0
	return 2 + z.bits>>3 + 4
}

// reset starts a new stream. zlib starts from an all-zero head table;
// clearing 64 KB per record would dominate short records, so after a
// stream that never slid its window only the slots its positions hashed to
// are cleared, recomputed from the bytes still in the window.
func (z *zlibSizer) reset() {
	if z.slid || z.highWater == 0 {
		clear(z.head[:])
	} else {
		w := z.window[:z.strstart+z.lookahead+2]
		for p := 0; p+2 < len(w); p++ {
			z.head[(int(w[p])<<(2*zHashShift)^int(w[p+1])<<zHashShift^int(w[p+2]))&zHashMask] = 0
		}
	}
	z.slid = false
	z.in, z.inPos = "", 0
	z.strstart, z.blockStrt, z.lookahead, z.insert, z.insH = 0, 0, 0, 0, 0
	z.highWater = 0
	z.matchLength, z.prevLength = zMinMatch-1, zMinMatch-1
	z.matchStart, z.prevMatch = 0, 0
	z.matchAvailable = false
	z.bits = 0
	z.initBlock()
}

// write feeds p to the stream (deflate with Z_NO_FLUSH). zlib processes a
// position only once MIN_LOOKAHEAD bytes follow it or the stream is
// finishing, so feeding a text in pieces gives the same stream as feeding it
// at once.
func (z *zlibSizer) write(p string) {
	z.in, z.inPos = p, 0
	z.deflate(false)
	z.in, z.inPos = "", 0
}

// finish ends the stream (Z_FINISH) and returns the deflate stream's size
// in bytes, without any container.
func (z *zlibSizer) finish() int {
	z.deflate(true)
	return z.bits >> 3
}

func (z *zlibSizer) initBlock() {
	clear(z.ltree.freq[:zLCodes])
	clear(z.dtree.freq[:zDCodes])
	clear(z.bltree.freq[:zBLCodes])
	z.ltree.freq[zEndBlock] = 1
	z.optLen, z.staticLen, z.syms = 0, 0, 0
}

func (z *zlibSizer) insertString(str int) int {
	z.insH = ((z.insH << zHashShift) ^ int(z.window[str+zMinMatch-1])) & zHashMask
	m := int(z.head[z.insH])
	z.prev[str&zWMask] = uint16(m)
	z.head[z.insH] = uint16(str)
	return m
}

func (z *zlibSizer) fillWindow() {
	for {
		more := zWindowSize - z.lookahead - z.strstart
		if z.strstart >= zWSize+zMaxDist {
			copy(z.window[:zWSize-more], z.window[zWSize:2*zWSize-more])
			z.matchStart -= zWSize
			z.strstart -= zWSize
			z.blockStrt -= zWSize
			z.slid = true
			if z.insert > z.strstart {
				z.insert = z.strstart
			}
			for i, m := range z.head {
				z.head[i] = slide(m)
			}
			for i, m := range z.prev {
				z.prev[i] = slide(m)
			}
			more += zWSize
		}
		if z.inPos == len(z.in) {
			break
		}
		n := min(more, len(z.in)-z.inPos)
		copy(z.window[z.strstart+z.lookahead:], z.in[z.inPos:z.inPos+n])
		z.inPos += n
		z.lookahead += n
		if z.lookahead+z.insert >= zMinMatch {
			str := z.strstart - z.insert
			z.insH = int(z.window[str])
			z.insH = ((z.insH << zHashShift) ^ int(z.window[str+1])) & zHashMask
			for z.insert > 0 {
				z.insH = ((z.insH << zHashShift) ^ int(z.window[str+zMinMatch-1])) & zHashMask
				z.prev[str&zWMask] = z.head[z.insH]
				z.head[z.insH] = uint16(str)
				str++
				z.insert--
				if z.lookahead+z.insert < zMinMatch {
					break
				}
			}
		}
		if z.lookahead >= zMinLookahead || z.inPos == len(z.in) {
			break
		}
	}
	// zlib zeroes WIN_INIT bytes past the data once, so that the matcher's
	// over-reads see zeros (or bytes left there by a slide) rather than
	// uninitialised memory; reproduce the same bytes.
	if z.highWater < zWindowSize {
		curr := z.strstart + z.lookahead
		if z.highWater < curr {
			init := min(zWindowSize-curr, zWinInit)
			clear(z.window[curr : curr+init])
			z.highWater = curr + init
		} else if z.highWater < curr+zWinInit {
			init := min(curr+zWinInit-z.highWater, zWindowSize-z.highWater)
			clear(z.window[z.highWater : z.highWater+init])
			z.highWater += init
		}
	}
}

func slide(m uint16) uint16 {
	if m >= zWSize {
		return m - zWSize
	}
	return 0
}

func (z *zlibSizer) longestMatch(curMatch int) int {
	chain := z.cfg.chain
	win := z.window[:]
	scan := z.strstart
	bestLen := z.prevLength
	nice := z.cfg.nice
	limit := 0 // NIL: position 0 never starts a match, as in zlib
	if z.strstart > zMaxDist {
		limit = z.strstart - zMaxDist
	}
	if z.prevLength >= z.cfg.good {
		chain >>= 2
	}
	if nice > z.lookahead {
		nice = z.lookahead
	}
	// A candidate must agree on the two bytes ending the best match so far
	// and on the first two bytes (the third follows from the hash); 16-bit
	// loads test both pairs at once, like zlib's UNALIGNED_OK variant.
	start := binary.LittleEndian.Uint16(win[scan:])
	end := binary.LittleEndian.Uint16(win[scan+bestLen-1:])
	cur := win[scan : scan+zMaxMatch+8]
	for {
		if binary.LittleEndian.Uint16(win[curMatch+bestLen-1:]) == end &&
			binary.LittleEndian.Uint16(win[curMatch:]) == start {
			n := matchLen(cur, win[curMatch:curMatch+zMaxMatch+8])
			if n > bestLen {
				z.matchStart = curMatch
				bestLen = n
				if n >= nice {
					break
				}
				end = binary.LittleEndian.Uint16(win[scan+bestLen-1:])
			}
		}
		curMatch = int(z.prev[curMatch&zWMask])
		if curMatch <= limit {
			break
		}
		chain--
		if chain == 0 {
			break
		}
	}
	if bestLen <= z.lookahead {
		return bestLen
	}
	return z.lookahead
}

// matchLen is the length of the common prefix of a and b from byte 3 on,
// at most zMaxMatch, compared 8 bytes at a time (both have 8 bytes of slack
// past zMaxMatch: the window is padded).
func matchLen(a, b []byte) int {
	a, b = a[:zMaxMatch+8], b[:zMaxMatch+8]
	for n := 3; n < zMaxMatch; n += 8 {
		if x := binary.LittleEndian.Uint64(a[n:]) ^ binary.LittleEndian.Uint64(b[n:]); x != 0 {
			return min(n+bits.TrailingZeros64(x)>>3, zMaxMatch)
		}
	}
	return zMaxMatch
}

func (z *zlibSizer) tallyLit(c byte) bool {
	z.ltree.freq[c]++
	z.syms++
	return z.syms == zLitBufSize-1
}

func (z *zlibSizer) tallyDist(dist, lc int) bool {
	z.syms++
	dist--
	z.ltree.freq[int(zLengthCode[lc])+257]++
	z.dtree.freq[dCode(dist)]++
	return z.syms == zLitBufSize-1
}

// deflate is deflate_slow with Z_NO_FLUSH (finish false: returns when it
// needs more input) or Z_FINISH.
func (z *zlibSizer) deflate(finish bool) {
	for {
		if z.lookahead < zMinLookahead {
			z.fillWindow()
			if z.lookahead < zMinLookahead && !finish {
				return
			}
			if z.lookahead == 0 {
				break
			}
		}
		hashHead := 0
		if z.lookahead >= zMinMatch {
			hashHead = z.insertString(z.strstart)
		}
		z.prevLength, z.prevMatch = z.matchLength, z.matchStart
		z.matchLength = zMinMatch - 1
		if hashHead != 0 && z.prevLength < z.cfg.lazy && z.strstart-hashHead <= zMaxDist {
			z.matchLength = z.longestMatch(hashHead)
			if z.matchLength == zMinMatch && z.strstart-z.matchStart > zTooFar {
				z.matchLength = zMinMatch - 1
			}
		}
		switch {
		case z.prevLength >= zMinMatch && z.matchLength <= z.prevLength:
			maxInsert := z.strstart + z.lookahead - zMinMatch
			flush := z.tallyDist(z.strstart-1-z.prevMatch, z.prevLength-zMinMatch)
			z.lookahead -= z.prevLength - 1
			z.prevLength -= 2
			for {
				z.strstart++
				if z.strstart <= maxInsert {
					z.insertString(z.strstart)
				}
				z.prevLength--
				if z.prevLength == 0 {
					break
				}
			}
			z.matchAvailable = false
			z.matchLength = zMinMatch - 1
			z.strstart++
			if flush {
				z.flushBlock(false)
			}
		case z.matchAvailable:
			if z.tallyLit(z.window[z.strstart-1]) {
				z.flushBlock(false)
			}
			z.strstart++
			z.lookahead--
		default:
			z.matchAvailable = true
			z.strstart++
			z.lookahead--
		}
	}
	if z.matchAvailable {
		z.tallyLit(z.window[z.strstart-1])
		z.matchAvailable = false
	}
	z.flushBlock(true)
}

// flushBlock adds the size of the block that _tr_flush_block would emit.
func (z *zlibSizer) flushBlock(last bool) {
	storedLen := z.strstart - z.blockStrt
	hasBuf := z.blockStrt >= 0
	z.buildTree(&z.ltree)
	z.buildTree(&z.dtree)
	maxBLIndex := z.buildBLTree()
	optLenb := (z.optLen + 3 + 7) >> 3
	staticLenb := (z.staticLen + 3 + 7) >> 3
	if staticLenb <= optLenb {
		optLenb = staticLenb
	}
	switch {
	case storedLen+4 <= optLenb && hasBuf:
		z.bits = (z.bits+3+7)&^7 + 32 + 8*storedLen
	case staticLenb == optLenb:
		z.bits += 3 + z.staticLen
	default:
		z.bits += 3 + z.optLen
	}
	_ = maxBLIndex // already counted in optLen
	z.initBlock()
	if last {
		z.bits = (z.bits + 7) &^ 7
	}
	z.blockStrt = z.strstart
}

func (z *zlibSizer) smaller(t *zTree, n, m int) bool {
	return t.freq[n] < t.freq[m] || (t.freq[n] == t.freq[m] && z.depth[n] <= z.depth[m])
}

func (z *zlibSizer) pqDownHeap(t *zTree, k int) {
	v := z.heap[k]
	j := k << 1
	for j <= z.heapLen {
		if j < z.heapLen && z.smaller(t, z.heap[j+1], z.heap[j]) {
			j++
		}
		if z.smaller(t, v, z.heap[j]) {
			break
		}
		z.heap[k] = z.heap[j]
		k = j
		j <<= 1
	}
	z.heap[k] = v
}

func (z *zlibSizer) buildTree(t *zTree) {
	z.heapLen, z.heapMax = 0, zHeapSize
	maxCode := -1
	for n := 0; n < t.elems; n++ {
		if t.freq[n] != 0 {
			z.heapLen++
			z.heap[z.heapLen] = n
			maxCode = n
			z.depth[n] = 0
		} else {
			t.len[n] = 0
		}
	}
	// At least two codes of non-zero frequency, as deflate requires.
	for z.heapLen < 2 {
		node := 0
		if maxCode < 2 {
			maxCode++
			node = maxCode
		}
		z.heapLen++
		z.heap[z.heapLen] = node
		t.freq[node] = 1
		z.depth[node] = 0
		z.optLen--
		if t.static != nil {
			z.staticLen -= t.static[node]
		}
	}
	t.maxCode = maxCode
	for n := z.heapLen / 2; n >= 1; n-- {
		z.pqDownHeap(t, n)
	}
	node := t.elems
	for {
		n := z.heap[1]
		z.heap[1] = z.heap[z.heapLen]
		z.heapLen--
		z.pqDownHeap(t, 1)
		m := z.heap[1]
		z.heapMax--
		z.heap[z.heapMax] = n
		z.heapMax--
		z.heap[z.heapMax] = m
		t.freq[node] = t.freq[n] + t.freq[m]
		z.depth[node] = max(z.depth[n], z.depth[m]) + 1
		t.dad[n], t.dad[m] = node, node
		z.heap[1] = node
		node++
		z.pqDownHeap(t, 1)
		if z.heapLen < 2 {
			break
		}
	}
	z.heapMax--
	z.heap[z.heapMax] = z.heap[1]
	z.genBitLen(t)
}

func (z *zlibSizer) genBitLen(t *zTree) {
	clear(z.blCount[:])
	t.len[z.heap[z.heapMax]] = 0 // root
	overflow := 0
	h := z.heapMax + 1
	for ; h < zHeapSize; h++ {
		n := z.heap[h]
		bits := t.len[t.dad[n]] + 1
		if bits > t.maxLength {
			bits = t.maxLength
			overflow++
		}
		t.len[n] = bits
		if n > t.maxCode {
			continue // internal node
		}
		z.blCount[bits]++
		xbits := 0
		if n >= t.base {
			xbits = t.extra[n-t.base]
		}
		f := t.freq[n]
		z.optLen += f * (bits + xbits)
		if t.static != nil {
			z.staticLen += f * (t.static[n] + xbits)
		}
	}
	if overflow == 0 {
		return
	}
	for overflow > 0 {
		bits := t.maxLength - 1
		for z.blCount[bits] == 0 {
			bits--
		}
		z.blCount[bits]--
		z.blCount[bits+1] += 2
		z.blCount[t.maxLength]--
		overflow -= 2
	}
	h = zHeapSize
	for bits := t.maxLength; bits != 0; bits-- {
		n := z.blCount[bits]
		for n != 0 {
			h--
			m := z.heap[h]
			if m > t.maxCode {
				continue
			}
			if t.len[m] != bits {
				z.optLen += (bits - t.len[m]) * t.freq[m]
				t.len[m] = bits
			}
			n--
		}
	}
}

func (z *zlibSizer) scanTree(t *zTree) {
	maxCode := t.maxCode
	prevLen := -1
	nextLen := t.len[0]
	count := 0
	maxCount, minCount := 7, 4
	if nextLen == 0 {
		maxCount, minCount = 138, 3
	}
	bl := z.bltree.freq
	for n := 0; n <= maxCode; n++ {
		curLen := nextLen
		if n+1 <= maxCode {
			nextLen = t.len[n+1]
		} else {
			nextLen = 0xffff // zlib's guard
		}
		count++
		if count < maxCount && curLen == nextLen {
			continue
		}
		switch {
		case count < minCount:
			bl[curLen] += count
		case curLen != 0:
			if curLen != prevLen {
				bl[curLen]++
			}
			bl[zRep36]++
		case count <= 10:
			bl[zRepZ310]++
		default:
			bl[zRepZ1138]++
		}
		count = 0
		prevLen = curLen
		switch {
		case nextLen == 0:
			maxCount, minCount = 138, 3
		case curLen == nextLen:
			maxCount, minCount = 6, 3
		default:
			maxCount, minCount = 7, 4
		}
	}
}

func (z *zlibSizer) buildBLTree() int {
	z.scanTree(&z.ltree)
	z.scanTree(&z.dtree)
	z.buildTree(&z.bltree)
	maxBLIndex := zBLCodes - 1
	for ; maxBLIndex >= 3; maxBLIndex-- {
		if z.bltree.len[zBLOrder[maxBLIndex]] != 0 {
			break
		}
	}
	z.optLen += 3*(maxBLIndex+1) + 5 + 5 + 4
	return maxBLIndex
}
