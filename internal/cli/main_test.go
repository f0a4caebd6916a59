package cli

import (
	"fmt"
	"os"
	"testing"

	"github.com/degen-llm/degen/internal/shared"
)

// TestMain applies $DEGEN_KERNELS, so that these tests run with the kernel
// implementation scripts/test.sh asks for.
//
// With DEGEN_TEST_AS_MAIN=1 the test binary is degen itself (its arguments
// are degen's), so the interruption tests signal a real process without
// building one.
func TestMain(m *testing.M) {
	if os.Getenv("DEGEN_TEST_AS_MAIN") == "1" {
		os.Exit(Run())
	}
	if err := shared.KernelsFromEnv(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	code := m.Run()
	if qwenDir != "" {
		os.RemoveAll(qwenDir)
	}
	os.Exit(code)
}
