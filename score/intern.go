package score

import (
	"hash/maphash"
	"math/bits"
)

// keySeed hashes what only needs equality within a process (group keys,
// whole texts); token keys use the fixed strHash.
var keySeed = maphash.MakeSeed()

// idTable interns 64-bit keys to dense ids 0, 1, 2, … in order of first
// appearance and counts each id. It is open addressing with linear probing
// at load ≤ 1/2, sized for a known number of inserts, and reused across
// calls so that scoring a record allocates nothing once warmed up. Slots
// carry the generation that filled them, so emptying the table between the
// several passes over a text is a counter increment, not a clear.
type idTable struct {
	slots  []genSlot
	gen    uint32
	shift  uint
	counts []int32 // (distinct keys) occurrences of each dense id
}

type genSlot struct {
	key uint64
	id  int32  // dense id
	gen uint32 // the slot is empty unless gen == idTable.gen
}

// reset empties the table and sizes it for n inserts.
func (t *idTable) reset(n int) {
	size := 16
	for size < 2*n {
		size <<= 1
	}
	t.gen++
	if t.gen == 0 { // wrapped: old stamps could look current
		clear(t.slots[:cap(t.slots)])
		t.gen = 1
	}
	if cap(t.slots) >= size {
		t.slots = t.slots[:size]
	} else {
		t.slots = make([]genSlot, size)
	}
	t.shift = uint(64 - bits.TrailingZeros(uint(size)))
	t.counts = t.counts[:0]
}

// fib spreads a key over the table: the high bits of a multiplication by
// 2^64/φ depend on every bit of the key.
func fib(k uint64) uint64 { return k * 0x9E3779B97F4A7C15 }

func (t *idTable) intern(key uint64) int32 {
	mask := len(t.slots) - 1
	i := int(fib(key) >> t.shift)
	for {
		s := &t.slots[i]
		if s.gen != t.gen {
			id := int32(len(t.counts))
			s.key, s.id, s.gen = key, id, t.gen
			t.counts = append(t.counts, 1)
			return id
		}
		if s.key == key {
			t.counts[s.id]++
			return s.id
		}
		i = (i + 1) & mask
	}
}

// distinct is the number of distinct keys interned since reset.
func (t *idTable) distinct() int { return len(t.counts) }

type idSlot struct {
	key uint64
	id  int32 // dense id + 1; 0 marks an empty slot
}

// strTable interns token strings to dense ids. Lookups hash the string
// once with maphash and compare the string only on a hash hit, so equal
// hashes of different strings (vanishingly rare) still get different ids.
// The hash doubles as the token's corpus key.
type strTable struct {
	slots  []idSlot // key = maphash of the string
	shift  uint
	strs   []string // (distinct) the string of each dense id
	keys   []uint64 // (distinct) its maphash
	counts []int32  // (distinct) occurrences
}

func (t *strTable) reset(n int) {
	size := 16
	for size < 2*n {
		size <<= 1
	}
	if cap(t.slots) >= size {
		t.slots = t.slots[:size]
		clear(t.slots)
	} else {
		t.slots = make([]idSlot, size)
	}
	t.shift = uint(64 - bits.TrailingZeros(uint(size)))
	clear(t.strs) // drop references to the previous text
	t.strs, t.keys, t.counts = t.strs[:0], t.keys[:0], t.counts[:0]
}

// grow doubles the table when it passes load 1/2 (the number of tokens of a
// text is not known before it is split).
func (t *strTable) grow() {
	old := t.slots
	t.slots = make([]idSlot, 2*len(old))
	t.shift--
	mask := len(t.slots) - 1
	for _, s := range old {
		if s.id == 0 {
			continue
		}
		i := int(fib(s.key) >> t.shift)
		for t.slots[i].id != 0 {
			i = (i + 1) & mask
		}
		t.slots[i] = s
	}
}

func (t *strTable) intern(s string) int32 {
	h := strHash(s)
	mask := len(t.slots) - 1
	i := int(fib(h) >> t.shift)
	for {
		sl := &t.slots[i]
		if sl.id == 0 {
			id := int32(len(t.strs))
			sl.key, sl.id = h, id+1
			t.strs = append(t.strs, s)
			t.keys = append(t.keys, h)
			t.counts = append(t.counts, 1)
			if 2*len(t.strs) > len(t.slots) {
				t.grow()
			}
			return id
		}
		if sl.key == h && t.strs[sl.id-1] == s {
			t.counts[sl.id-1]++
			return sl.id - 1
		}
		i = (i + 1) & mask
	}
}

// strHash is a fixed 64-bit hash of a token string. Token keys must not
// depend on the process (maphash seeds are random): the pooled distinct-n
// estimate of a large corpus hashes them into a sketch, and the same input
// must give the same summary every run.
func strHash(s string) uint64 {
	h := uint64(len(s))*0x9E3779B97F4A7C15 ^ 0x243F6A8885A308D3
	for len(s) >= 8 {
		v := uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
			uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
		h = (h ^ v) * 0xbf58476d1ce4e5b9
		h ^= h >> 31
		s = s[8:]
	}
	var v uint64
	for i := 0; i < len(s); i++ {
		v |= uint64(s[i]) << (8 * i)
	}
	h = (h ^ v) * 0x94d049bb133111eb
	return mix64(h)
}
