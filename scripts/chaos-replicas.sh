#!/usr/bin/env bash
# three replicas on one PostgreSQL, two kill -9 cycles under load: every acked event delivered, stored once.
exec "$(dirname "$0")/chaos-run.sh" '^TestMultiReplicaCrash$' 20m
