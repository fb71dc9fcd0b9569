package main

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-gw/switchboard/database"
	"github.com/switchboard-gw/switchboard/testdb"
)

// TestRescueStuckDelivery: a delivery job left "running" by a process that
// died (River's row as a killed worker leaves it: state running, attempt
// counted, attempted long ago, never finished) is rescued by River's
// rescuer in a freshly started server and delivered exactly once.
func TestRescueStuckDelivery(t *testing.T) {
	for _, target := range testdb.Targets(t) {
		t.Run(target.Name, func(t *testing.T) {
			recv := newReceiver(t, nil)
			tenant := strings.TrimSpace(runCLI(t, "tenants", "create", "--database-url", target.URL, "--secret-key", testKey,
				"--name", "Rescue", "--source-id", "org_rescue", "--endpoint", recv.URL+"/rescue", "--allow-private-endpoints"))
			db := testdb.Open(t, target.URL)
			ep := countRows(t, db, "SELECT id FROM endpoints WHERE tenant_id = ?", tenant)
			// An insert-only client queues the delivery and its job; nothing works it yet.
			runCLI(t, "deliveries", "test", "--database-url", target.URL, "--tenant", tenant, "--endpoint", fmt.Sprint(ep))
			job := countRows(t, db, "SELECT id FROM river_job WHERE kind = 'deliver'")
			killWorker(t, db, job)

			start := time.Now()
			startServer(t, target.URL, "--rescue-stuck-after", "1s", "--retry-schedule", "20ms")
			waitFor(t, "the rescued delivery", func() bool {
				return countRows(t, db, "SELECT COUNT(*) FROM deliveries WHERE status = 'delivered'") == 1
			})
			t.Logf("rescued and delivered %v after the server started", time.Since(start).Round(10*time.Millisecond))
			if n := recv.hitCount("/rescue"); n != 1 {
				t.Fatalf("receiver got %d requests, want exactly 1", n)
			}
			waitFor(t, "the job to complete", func() bool {
				return countRows(t, db, "SELECT COUNT(*) FROM river_job WHERE id = ? AND state = 'completed'", job) == 1
			})
		})
	}
}

// TestRescueKeepsRetryTime: a process that recorded a failed attempt with
// its retry an hour ahead (a receiver's Retry-After: 3600, or a late step
// of the schedule) and died before River saved the job's snooze leaves the
// job running. River's rescuer hands it out again within seconds; the
// worker must wait for the recorded retry instead of sending it now.
func TestRescueKeepsRetryTime(t *testing.T) {
	for _, target := range testdb.Targets(t) {
		t.Run(target.Name, func(t *testing.T) {
			recv := newReceiver(t, nil)
			tenant := strings.TrimSpace(runCLI(t, "tenants", "create", "--database-url", target.URL, "--secret-key", testKey,
				"--name", "Rescue later", "--source-id", "org_rescue_later", "--endpoint", recv.URL+"/later", "--allow-private-endpoints"))
			db := testdb.Open(t, target.URL)
			ep := countRows(t, db, "SELECT id FROM endpoints WHERE tenant_id = ?", tenant)
			runCLI(t, "deliveries", "test", "--database-url", target.URL, "--tenant", tenant, "--endpoint", fmt.Sprint(ep))
			job := countRows(t, db, "SELECT id FROM river_job WHERE kind = 'deliver'")
			delivery := countRows(t, db, "SELECT id FROM deliveries")
			err := db.Gorm.Exec("UPDATE deliveries SET attempts = 1, last_status_code = 503, next_attempt_at = ? WHERE id = ?",
				time.Now().Add(time.Hour).UTC(), delivery).Error
			if err != nil {
				t.Fatal(err)
			}
			killWorker(t, db, job)

			startServer(t, target.URL, "--rescue-stuck-after", "1s", "--retry-schedule", "20ms")
			var state string
			waitFor(t, "the rescued job to run", func() bool {
				if err := db.Gorm.Raw("SELECT state FROM river_job WHERE id = ?", job).Scan(&state).Error; err != nil {
					t.Fatal(err)
				}
				return state == "scheduled" || state == "completed"
			})
			if state != "scheduled" || recv.hitCount("/later") != 0 {
				t.Fatalf("rescued job %s, receiver hit %d times; want it snoozed until the recorded retry, nothing sent", state, recv.hitCount("/later"))
			}
			if n := countRows(t, db, "SELECT attempts FROM deliveries WHERE id = ?", delivery); n != 1 {
				t.Fatalf("delivery counts %d attempts, want still 1", n)
			}
		})
	}
}

// killWorker leaves job as a worker killed mid-attempt 10 minutes ago would:
// running, its attempt counted, attempted_at old, no finalization.
func killWorker(t *testing.T, db *database.DB, job int64) {
	t.Helper()
	q := "UPDATE river_job SET state = 'running', attempt = 1, attempted_at = now() - interval '10 minutes' WHERE id = ? AND state = 'available'"
	if db.Dialect == database.SQLite {
		q = "UPDATE river_job SET state = 'running', attempt = 1, attempted_at = datetime('now', '-10 minutes', 'subsec') WHERE id = ? AND state = 'available'"
	}
	res := db.Gorm.Exec(q, job)
	if res.Error != nil || res.RowsAffected != 1 {
		t.Fatalf("mark job %d running: %v (%d rows)", job, res.Error, res.RowsAffected)
	}
}
