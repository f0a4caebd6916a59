package sample

import "math/rand/v2"

// NewRNG returns the selection random source of one stream of a run: a
// math/rand/v2 PCG seeded from the run's seed and a stream number, so that
// every record and every sample of a record draws its own reproducible coins
// (see [Stream]) regardless of how records are scheduled across workers.
// The same (seed, stream) always yields the same sequence.
func NewRNG(seed, stream uint64) *rand.Rand {
	// The stream is hashed so that neighbouring stream numbers start at
	// unrelated points of the generator's cycle.
	return rand.New(rand.NewPCG(seed, mix64(stream)))
}

// Stream numbers the coin stream of sample number sample of record number
// record (both counted from 0), for [NewRNG] and [NewState].
func Stream(record, sample uint64) uint64 {
	return mix64(record)*0x9e3779b97f4a7c15 ^ sample
}

// mix64 is SplitMix64's finaliser: a bijection on uint64 that spreads every
// input bit over the output.
func mix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}
