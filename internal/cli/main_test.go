package cli

import (
	"fmt"
	"os"
	"testing"

	"github.com/degen-llm/degen/internal/shared"
)

// TestMain applies $DEGEN_KERNELS, so that these tests run with the kernel
// implementation scripts/test.sh asks for.
func TestMain(m *testing.M) {
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
