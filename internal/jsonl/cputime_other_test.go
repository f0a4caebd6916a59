//go:build !unix

package jsonl

// cpuSeconds is unavailable here; benchmarks then skip the CPU metric.
func cpuSeconds() float64 { return 0 }
