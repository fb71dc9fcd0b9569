#!/usr/bin/env bash
# hostile input table, raw HTTP, slowloris on 200 connections, SSRF matrix and redirects.
exec "$(dirname "$0")/chaos-run.sh" '^(TestHostile|TestSlowloris|TestSSRF|TestRedirect)' 10m
