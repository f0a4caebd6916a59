package kernels

import (
	"fmt"
	"strings"
)

// implID names one set of kernel implementations.
type implID uint8

const (
	implGeneric implID = iota // portable Go
	implAVX2                  // amd64 AVX2 + FMA + F16C
	implAVX512                // amd64 AVX-512 F/BW/VL (plus the AVX2 set)
)

func (i implID) String() string {
	switch i {
	case implAVX2:
		return "avx2"
	case implAVX512:
		return "avx512"
	}
	return "generic"
}

// impl is the implementation the dispatch functions call. It is set once at
// init from the CPU features (see dispatch_*.go) and changed afterwards only
// by UseImpl.
var impl = bestImpl()

// Impl names the kernel implementation in use: "avx512", "avx2" or
// "generic". `degen bench` and `model info` print it.
func Impl() string { return impl.String() }

// Impls lists the implementations this CPU and build can run, best last.
func Impls() []string {
	var names []string
	for _, id := range supportedImpls() {
		names = append(names, id.String())
	}
	return names
}

// UseImpl switches every kernel to the named implementation (one of
// Impls()) and returns a function that restores the previous one. It is
// for tests and benchmarks that compare implementations: it must not be
// called while kernels are running on other goroutines.
func UseImpl(name string) (restore func(), err error) {
	for _, id := range supportedImpls() {
		if id.String() == name {
			prev := impl
			impl = id
			return func() { impl = prev }, nil
		}
	}
	return nil, fmt.Errorf("kernel implementation %q not available here (have %s)", name, strings.Join(Impls(), ", "))
}
