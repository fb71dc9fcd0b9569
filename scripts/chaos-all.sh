#!/usr/bin/env bash
# Every long chaos run, one after the other (about 20 minutes), then 1 minute per fuzz target.
set -euo pipefail
d="$(dirname "$0")"
for run in crash outage disk endpoints replicas hostile; do "$d/chaos-$run.sh"; done
"$d/chaos-fuzz.sh" 1m
