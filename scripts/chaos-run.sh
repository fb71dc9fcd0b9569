#!/usr/bin/env bash
# Runs one long chaos run of ./chaos and prints its figures.
#   scripts/chaos-run.sh TEST_REGEXP [TIMEOUT]
# The scripts/chaos-*.sh wrappers name the run; see README "Reliability".
# PostgreSQL runs start (and remove) a private cluster of their own; they
# need the PostgreSQL server binaries and root (to run them as postgres).
set -euo pipefail
cd "$(dirname "$0")/.."
pattern=${1:?usage: scripts/chaos-run.sh TEST_REGEXP [TIMEOUT]}
timeout=${2:-20m}
export SWITCHBOARD_CHAOS=long
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
