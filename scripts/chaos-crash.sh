#!/usr/bin/env bash
# kill -9 under load, five cycles, SQLite and PostgreSQL: every acked event delivered, duplicates counted.
exec "$(dirname "$0")/chaos-run.sh" '^TestCrash' 20m
