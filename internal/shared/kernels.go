package shared

import (
	"fmt"
	"os"

	"github.com/degen-llm/degen/kernels"
)

// KernelsFromEnv forces the kernel implementation named by $DEGEN_KERNELS
// (generic, avx2, avx512; empty or "auto" keeps the fastest). The test
// binaries of the packages that run models call it from TestMain, so that
// scripts/test.sh can run their parity tests once per implementation the
// CPU has; `degen --kernels` reads the same variable.
func KernelsFromEnv() error {
	name := os.Getenv("DEGEN_KERNELS")
	if name == "" || name == "auto" {
		return nil
	}
	if _, err := kernels.UseImpl(name); err != nil {
		return fmt.Errorf("DEGEN_KERNELS=%s: %w", name, err)
	}
	return nil
}
