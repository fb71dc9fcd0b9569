package main

import (
	"time"

	"github.com/riverqueue/river"

	"github.com/switchboard-gw/switchboard/database"
)

// River fetch settings (issue 8; measured in the README's Performance section).
const (
	// queueFetchCooldown is the least time between two fetches of a queue:
	// with 100 workers it caps fetching at 4,000 jobs/s, and it is also the
	// window in which River sends one insert NOTIFY per queue (so a busy
	// ingest takes the NOTIFY lock at most 40 times a second). Under load a
	// longer cooldown makes fewer, larger fetches (and with them fewer
	// batched loads and records): 25 ms cost about 8 % less CPU per event
	// than 10 ms at 400 events/s, with the same lag (issue 8). An idle
	// queue still fetches as soon as an insert's NOTIFY arrives.
	queueFetchCooldown = 25 * time.Millisecond
	// queuePollPostgres is the safety net under LISTEN/NOTIFY: an insert
	// whose NOTIFY River skipped (another was sent within the cooldown) and
	// that committed after the fetch it triggered would otherwise wait for
	// River's 1 s default poll.
	queuePollPostgres = 50 * time.Millisecond
	// queuePollSQLite is how a job is found on SQLite, which has no
	// LISTEN/NOTIFY and where River wakes a worker only for inserts made
	// outside a transaction: the poll (an indexed query) is the wake-up.
	queuePollSQLite = 10 * time.Millisecond
)

// tuneQueue sets River's fetch timing for the dialect.
func tuneQueue(rc *river.Config, dialect database.Dialect) {
	rc.FetchCooldown = queueFetchCooldown
	rc.FetchPollInterval = queuePollPostgres
	if dialect == database.SQLite {
		// River refuses a cooldown longer than the poll interval.
		rc.FetchCooldown, rc.FetchPollInterval = queuePollSQLite, queuePollSQLite
	}
}
