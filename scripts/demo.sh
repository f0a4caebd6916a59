#!/usr/bin/env bash
# The demo pipeline on the real stories260K model: generate continuations of
# 20 prompts, score them, detect degenerate ones, filter them out.
# Needs Go and ../shared/models beside the clone (or DEGEN_MODEL set).
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p bin out
go build -o bin/degen ./cmd/degen
degen=bin/degen

$degen generate --max-new-tokens 200 testdata/prompts.jsonl -o out/generated.jsonl
$degen score out/generated.jsonl --summary out/summary.md --summary-format markdown -o out/scored.jsonl
$degen detect out/scored.jsonl -o out/detected.jsonl
$degen filter --drop-degenerate --rejects out/rejected.jsonl out/detected.jsonl -o out/clean.jsonl

echo
echo "records: $(wc -l < out/generated.jsonl) generated, $(wc -l < out/clean.jsonl) kept, $(wc -l < out/rejected.jsonl 2>/dev/null || echo 0) dropped"
echo "corpus summary (out/summary.md):"
cat out/summary.md
echo
echo "first kept record:"
head -n 1 out/clean.jsonl
