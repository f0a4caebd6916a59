#!/usr/bin/env bash
# Runs every check CI runs: formatting, vet, the whole test suite, the race
# detector on the packages that use goroutines, and the kernels and model
# tests again with the pure-Go kernels (-tags purego).
# Needs Go (see go.mod) and ../shared beside the clone (models, eval sets).
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== gofmt"
unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))
if [ -n "$unformatted" ]; then
  echo "gofmt would change:"; echo "$unformatted"; exit 1
fi

echo "== go vet"
go vet ./...

echo "== go test"
go test -count=1 ./...

echo "== go test -race (packages with goroutines)"
go test -count=1 -race ./kernels/ ./internal/... ./generate/... ./model/

echo "== go test -tags purego (generic kernels)"
go test -count=1 -tags purego ./kernels/ ./model/
