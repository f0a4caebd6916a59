#!/usr/bin/env bash
# Runs every check CI runs: formatting, vet, the whole test suite, the race
# detector on the packages that use goroutines, the model-running tests again
# under every other kernel implementation this CPU can run (DEGEN_KERNELS),
# and the kernels, model and CLI tests with the pure-Go build (-tags purego).
# It ends by saying which kernel implementations ran and which could not.
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

echo "== go test -race -short (packages with goroutines; -short trims the longest parity runs)"
go test -count=1 -race -short ./kernels/ ./internal/... ./generate/... ./model/

# Which kernel implementations this CPU runs: the default (fastest) one ran
# above; the parity tests of the packages that run models run again under
# each other one. The kernels package tests every implementation itself.
info=$(go run ./cmd/degen version -v)
best=$(sed -n 's/^kernels: //p' <<<"$info")
runnable=$(sed -n 's/^kernels runnable: //p' <<<"$info")
missing=$(sed -n 's/^kernels not runnable: //p' <<<"$info" | paste -sd ';' | sed 's/;/; /g')
for k in $runnable; do
  [ "$k" = "$best" ] && continue
  echo "== go test -short with DEGEN_KERNELS=$k (model, generate, score, detect, CLI parity)"
  DEGEN_KERNELS=$k go test -count=1 -short ./model/ ./generate/... ./score/lm/ ./detect/ ./internal/cli/
done

echo "== go test -short -tags purego (generic kernels build)"
go test -count=1 -short -tags purego ./kernels/ ./model/ ./internal/cli/

echo "== kernels exercised: $runnable (default $best; kernels package: all of them against generic); not exercised: ${missing:-none}"
