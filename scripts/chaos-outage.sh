#!/usr/bin/env bash
# stop a private PostgreSQL cluster mid-load and start it again: 503 while down, recovery without restart.
exec "$(dirname "$0")/chaos-run.sh" '^TestDatabaseOutage$' 15m
