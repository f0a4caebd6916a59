package kernels

import (
	"fmt"
	"strings"
)

// allImpls are every implementation the package has, on any build.
var allImpls = []implID{implGeneric, implAVX2, implAVX512}

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

// Unavailable is an implementation this process cannot run, and why: the
// CPU lacks features it needs, the build left the assembly out (purego), or
// the architecture has none.
type Unavailable struct {
	Name   string // "avx2", "avx512"
	Reason string // e.g. "CPU lacks avx512f avx512bw"
}

// Missing lists the implementations that are not in Impls, with the reason,
// so that a test log or `degen version -v` can say what was not exercised.
func Missing() []Unavailable {
	var out []Unavailable
	have := supportedImpls()
	for _, id := range allImpls {
		found := false
		for _, h := range have {
			found = found || h == id
		}
		if !found {
			out = append(out, Unavailable{id.String(), whyMissing(id)})
		}
	}
	return out
}

// Describe is one line naming the implementation in use, the ones this CPU
// and build can run, and the ones they cannot, with the reason: what `degen
// model info`, `degen bench` and the test script print.
func Describe() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s (runnable: %s", Impl(), strings.Join(Impls(), " "))
	for _, m := range Missing() {
		fmt.Fprintf(&b, "; not %s: %s", m.Name, m.Reason)
	}
	b.WriteString(")")
	return b.String()
}
