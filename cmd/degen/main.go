// Command degen generates, scores, detects and filters degenerate LLM text
// over JSONL. See README.md, or run degen --help.
package main

import (
	"os"

	"github.com/degen-llm/degen/internal/cli"
)

func main() { os.Exit(cli.Run()) }
