#!/bin/sh
# Go benchmarks of the hot functions (ingest verification, field extraction,
# fingerprinting, mapping with rules and jq, outgoing signing), of River's batch
# parameters' encoding and of the load generator itself, with allocations.
# Compare two checkouts with benchstat:  scripts/bench.sh > new.txt; benchstat old.txt new.txt
set -eu
cd "$(dirname "$0")/.."
go test -run '^$' -bench . -benchmem -count "${COUNT:-6}" ./webhooks ./routing ./loadtest ./database
