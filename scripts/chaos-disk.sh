#!/usr/bin/env bash
# SQLite on a full, then read-only, tmpfs (needs root): no 2xx for unstored events.
exec "$(dirname "$0")/chaos-run.sh" '^TestSQLiteDiskFullAndReadOnly$' 5m
