#!/bin/sh
# Runs the load-test scenarios of the README's Performance section, one after
# the other, on PostgreSQL (a fresh scratch database per run) and SQLite.
# Tables go to stdout; JSON reports to $OUT (compare two runs with
# `switchboard loadtest compare`).
#
#   PG_ADMIN='postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable' scripts/loadtest-suite.sh
#
# Every run is bounded (--duration, --drain); the whole suite takes about 16 minutes.
# Each run's tenants are created through the spawned server's API, by an
# admin the load tool creates as `switchboard users create` does.
set -eu
cd "$(dirname "$0")/.."
PG_ADMIN=${PG_ADMIN:-postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable}
OUT=${OUT:-./loadtest-results}
DUR=${DUR:-20s}
mkdir -p "$OUT"
# The binary lives outside $OUT, so a results folder holds reports only.
BIN_DIR=$(mktemp -d)
trap 'rm -rf "$BIN_DIR"' EXIT
CGO_ENABLED=0 go build -o "$BIN_DIR/switchboard" .
SB="$BIN_DIR/switchboard"

# fresh_pg NAME: prints the URL of a new, empty database NAME (dropped first).
fresh_pg() {
	psql "$PG_ADMIN" -qc "DROP DATABASE IF EXISTS $1 WITH (FORCE)" -c "CREATE DATABASE $1" >/dev/null 2>&1
	echo "$PG_ADMIN" | sed "s#/postgres?#/$1?#"
}

# ONLY="pg-hang pg-idle" runs just those scenarios.
ONLY=${ONLY:-}
run() { # run NAME ARGS...: one scenario
	name=$1; shift
	if [ -n "$ONLY" ] && ! echo " $ONLY " | grep -q " $name "; then return 0; fi
	echo "== $name: switchboard loadtest $*"
	"$SB" loadtest --spawn --spawn-process --drain 60s --json-out "$OUT/$name.json" "$@"
}

run pg-rate500-baseline --database-url "$(fresh_pg sb_lt_a)" --rate 500 --duration "$DUR" --tenants 100 --baseline --count-statements
run pg-conc64-baseline --database-url "$(fresh_pg sb_lt_b)" --concurrency 64 --duration "$DUR" --tenants 100 --baseline
# Ingest alone: one delivery worker and no backlog bound, so the acks measure
# durable ingest without delivery competing for the CPU (the deliveries left
# after the short drain are sent later; "missing after drain" is expected).
(export SWITCHBOARD_MAX_DELIVERY_BACKLOG=0; run pg-conc64-ingest-only --database-url "$(fresh_pg sb_lt_g)" --concurrency 64 --duration "$DUR" --tenants 100 --baseline --delivery-workers 1 --drain 2s)
# The sustained rates start warm: a 5 s warm-up phase (reported in its own
# column) opens the connections and grows the heap before the measured phase.
# At 1,000/s the baselines run too, at the same rate: the ack target's yardstick.
run pg-rate1000 --database-url "$(fresh_pg sb_lt_c)" --rate 1000 --warmup 5s --duration "$DUR" --tenants 100 --baseline
# The ack target's rate with ingest alone (as pg-conc64-ingest-only): what
# the acks cost when delivery does not share the two cores.
(export SWITCHBOARD_MAX_DELIVERY_BACKLOG=0; run pg-rate1000-ingest-only --database-url "$(fresh_pg sb_lt_i)" --rate 1000 --warmup 5s --duration "$DUR" --tenants 100 --delivery-workers 1 --drain 2s)
# Sustained end to end: 1,500 events/s offered, open loop.
run pg-rate1500 --database-url "$(fresh_pg sb_lt_h)" --rate 1500 --warmup 5s --duration "$DUR" --tenants 100
run pg-idle --database-url "$(fresh_pg sb_lt_d)" --rate 2 --duration "$DUR" --tenants 10
# The 10,000 tenants are created through the spawned server's API first
# (about 45 s on a 2-core machine; tenants_create_seconds in the JSON).
run pg-10k-tenants --database-url "$(fresh_pg sb_lt_e)" --rate 200 --duration "$DUR" --tenants 10000
# The memory bound holds under overload too: 10,000 tenants at 1,500/s.
run pg-10k-rate1500 --database-url "$(fresh_pg sb_lt_j)" --rate 1500 --warmup 5s --duration "$DUR" --tenants 10000
run pg-hang --database-url "$(fresh_pg sb_lt_f)" --rate 200 --duration "$DUR" --tenants 20 --slow-share 0.1 --hang
run sqlite-rate200-baseline --rate 200 --duration "$DUR" --tenants 100 --baseline
run sqlite-conc16-baseline --concurrency 16 --duration "$DUR" --tenants 100 --baseline
# The database's own floor, without Switchboard: pgbench's simple-update
# transaction (five statements, one commit) at 1,000/s from 4 clients,
# latency percentiles from its per-transaction log. Skipped without pgbench.
pgbench_floor() {
	if ! command -v pgbench >/dev/null 2>&1; then echo "== pgbench-floor: no pgbench, skipped"; return 0; fi
	url=$(fresh_pg sb_lt_p)
	dir=$(mktemp -d)
	pgbench -i -q "$url" >/dev/null 2>&1
	(cd "$dir" && pgbench -n -N -c 4 -j 2 -T "${DUR%s}" --rate 1000 -l "$url" >/dev/null 2>&1)
	cat "$dir"/pgbench_log.* | awk '{print $3/1000}' | sort -n |
		awk '{a[NR]=$1} END {printf "pgbench simple-update, 1000 tx/s, 4 clients: %d transactions, latency ms p50 %.2f p99 %.2f max %.2f\n", NR, a[int(NR*0.5)], a[int(NR*0.99)], a[NR]}' |
		tee "$OUT/pgbench-floor.txt"
	rm -rf "$dir"
}
if [ -z "$ONLY" ] || echo " $ONLY " | grep -q " pgbench-floor "; then echo "== pgbench-floor"; pgbench_floor; fi
for db in a b c d e f g h i j p; do psql "$PG_ADMIN" -qc "DROP DATABASE IF EXISTS sb_lt_$db WITH (FORCE)" >/dev/null 2>&1; done
