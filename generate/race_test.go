//go:build race

package generate_test

// raceEnabled: the race detector changes allocation counts (sync.Pool drops
// items at random), so allocation tests skip themselves.
const raceEnabled = true
