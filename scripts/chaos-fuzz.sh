#!/usr/bin/env bash
# Runs every fuzz target in the module for FUZZTIME each (default 1m), one
# after the other. New crashers land in <pkg>/testdata/fuzz/<Target>/: commit
# them with the fix, they become regression tests of `go test ./...`.
#   scripts/chaos-fuzz.sh [FUZZTIME]
set -euo pipefail
cd "$(dirname "$0")/.."
fuzztime=${1:-1m}
export CGO_ENABLED="${CGO_ENABLED:-0}"
for pkg in $(go list ./...); do
  dir=$(go list -f '{{.Dir}}' "$pkg")
  for target in $(grep -ho '^func Fuzz[A-Za-z0-9_]*' "$dir"/*_test.go 2>/dev/null | sed 's/^func //' | sort -u); do
    echo "== $pkg $target ($fuzztime)"
    go test "$pkg" -run '^$' -fuzz "^${target}\$" -fuzztime "$fuzztime" -fuzzminimizetime 2s -parallel 2
  done
done
