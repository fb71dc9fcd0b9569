#!/usr/bin/env bash
# Runs one long chaos run of ./chaos and prints its figures.
#   scripts/chaos-run.sh TEST_REGEXP [TIMEOUT]
# The scripts/chaos-*.sh wrappers name the run; see README "Reliability".
# PostgreSQL runs use SWITCHBOARD_TEST_POSTGRES_URL (default: the local
# server on 127.0.0.1:5432), where they create and drop their own database.
set -euo pipefail
cd "$(dirname "$0")/.."
pattern=${1:?usage: scripts/chaos-run.sh TEST_REGEXP [TIMEOUT]}
timeout=${2:-20m}
export SWITCHBOARD_CHAOS=long
export SWITCHBOARD_TEST_POSTGRES_URL="${SWITCHBOARD_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable}"
export CGO_ENABLED="${CGO_ENABLED:-0}"
report=$(mktemp)
log=$(mktemp)
trap 'rm -f "$report" "$log"' EXIT
status=0
SWITCHBOARD_CHAOS_REPORT="$report" go test ./chaos/ -run "$pattern" -count=1 -v -timeout "$timeout" >"$log" 2>&1 || status=$?
grep -E '^(--- |\s+--- )|KNOWN BUG|_test\.go:[0-9]+: ' "$log" | grep -v FIGURES || true
echo "== figures (one JSON line per run)"
cat "$report"
[ "$status" -eq 0 ] || { echo "FAILED (go test exit $status); full log follows"; tail -100 "$log"; }
exit "$status"
