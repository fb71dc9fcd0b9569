package main

import (
	"time"

	"github.com/riverqueue/river"

	"github.com/switchboard-gw/switchboard/database"
)

// River fetch settings (issue 8; measured in the README's Performance section).
const (
	// defaultQueueFetchCooldown is the least time between two fetches of
	// the delivery queue (SWITCHBOARD_QUEUE_FETCH_COOLDOWN). Under load
	// each fetch takes what arrived during the cooldown, and the workers it
	// starts share one batched load and record: a longer cooldown makes
	// fewer, larger batches (less database CPU per delivery), a shorter one
	// smaller bursts and a shorter wait for the next fetch. 10 ms against
	// 25 ms on a 2-core machine at 1,000 events/s: lag p50 16 → 7 ms, ack
	// p99 lower in 5 of 6 interleaved pairs, PostgreSQL CPU per event about
	// 6 % higher. It is also the window in which River sends one insert
	// NOTIFY per queue. An idle queue fetches as soon as a NOTIFY arrives.
	defaultQueueFetchCooldown = 10 * time.Millisecond
	// queuePollPostgres is the safety net under LISTEN/NOTIFY: an insert
	// whose NOTIFY River skipped (another was sent within the cooldown) and
	// that committed after the fetch it triggered would otherwise wait for
	// River's 1 s default poll. River refuses a cooldown longer than it.
	queuePollPostgres = 50 * time.Millisecond
	// queuePollSQLite is how a job is found on SQLite, which has no
	// LISTEN/NOTIFY and where River wakes a worker only for inserts made
	// outside a transaction: the poll (an indexed query) is the wake-up.
	queuePollSQLite = 10 * time.Millisecond
)

// tuneQueue sets River's fetch timing for the dialect: on PostgreSQL the
// configured cooldown under a 50 ms poll, on SQLite a 10 ms poll (and
// cooldown), whatever the setting.
func tuneQueue(rc *river.Config, dialect database.Dialect, cooldown time.Duration) {
	if cooldown <= 0 { // a Config built without parseServeConfig
		cooldown = defaultQueueFetchCooldown
	}
	rc.FetchCooldown = cooldown
	rc.FetchPollInterval = queuePollPostgres
	if dialect == database.SQLite {
		// River refuses a cooldown longer than the poll interval.
		rc.FetchCooldown, rc.FetchPollInterval = queuePollSQLite, queuePollSQLite
	}
}
