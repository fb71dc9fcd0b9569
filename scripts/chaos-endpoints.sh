#!/usr/bin/env bash
# receivers that fail at random, hang, reset, answer slowly and flap: every delivery settles with a reason; healthy tenants' lag.
exec "$(dirname "$0")/chaos-run.sh" '^TestEndpointChaos$' 15m
