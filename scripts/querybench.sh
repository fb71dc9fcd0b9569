#!/bin/sh
# Delivery-log search benchmark: fills a scratch PostgreSQL database with
# 1,000,000 deliveries, times the searches with keyset pagination, prints the
# plans, and times them again without migration 00008's index.
#
#   PG_ADMIN='postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable' scripts/querybench.sh
set -eu
cd "$(dirname "$0")/.."
PG_ADMIN=${PG_ADMIN:-postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable}
psql "$PG_ADMIN" -qc "DROP DATABASE IF EXISTS sb_querybench WITH (FORCE)" -c "CREATE DATABASE sb_querybench" >/dev/null
URL=$(echo "$PG_ADMIN" | sed "s#/postgres?#/sb_querybench?#")
go run . loadtest querybench --database-url "$URL" --deliveries "${DELIVERIES:-1000000}" --runs 200 \
	--compare-without-index deliveries_tenant_status_idx
psql "$PG_ADMIN" -qc "DROP DATABASE sb_querybench WITH (FORCE)" >/dev/null
