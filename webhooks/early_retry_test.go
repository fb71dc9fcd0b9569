package webhooks

import (
	"context"
	"testing"
	"time"

	"github.com/riverqueue/river/rivertype"

	"github.com/switchboard-gw/switchboard/database"
	"github.com/switchboard-gw/switchboard/testdb"
)

// failedOnce leaves delivery id as a failed attempt recorded just before a
// crash leaves it: one attempt counted, its retry due at next, while the
// job (whose snooze was never saved) is available now, as River's rescuer
// hands it out again.
func failedOnce(t testing.TB, db *database.DB, id int64, status DeliveryStatus, next time.Time) {
	t.Helper()
	err := db.Gorm.Exec("UPDATE deliveries SET status = ?, attempts = 1, last_status_code = 503, last_error = 'endpoint answered 503', next_attempt_at = ? WHERE id = ?",
		status, next.UTC(), id).Error
	if err != nil {
		t.Fatal(err)
	}
}

// jobOf is the id of delivery id's River job.
func jobOf(t testing.TB, db *database.DB, id int64) int64 {
	t.Helper()
	argID := "json_extract(args, '$.delivery_id')"
	if db.Dialect == database.Postgres {
		argID = "(args->>'delivery_id')::bigint"
	}
	return count(t, db.Gorm, "SELECT id FROM river_job WHERE kind = 'deliver' AND "+argID+" = ?", id)
}

// TestEarlyJobWaitsForItsRetry: a job that runs while its delivery's
// recorded retry is an hour ahead (a receiver's Retry-After: 3600, then a
// crash before River saved the snooze) snoozes until then: nothing sent,
// no attempt counted. A job whose retry is due sends.
func TestEarlyJobWaitsForItsRetry(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		e := startEngine(t, db, engineOpts{stopped: true})
		h := newHook(t, nil)
		createTenant(t, db, "org_early", h.URL+"/hook", nil)
		early := deliveryOf(t, db, e.ingest(t, "org_early", "m-early"))
		due := deliveryOf(t, db, e.ingest(t, "org_early", "m-due"))
		nextAt := time.Now().Add(time.Hour)
		failedOnce(t, db, early.ID, DeliveryPending, nextAt)
		failedOnce(t, db, due.ID, DeliveryPending, time.Now().Add(-time.Minute))
		job := jobOf(t, db, early.ID)
		e.start(t)

		var row *rivertype.JobRow
		waitUntil(t, "the early job to run", func() bool {
			var err error
			row, err = e.client.JobGet(ctx, job)
			return err == nil && (row.State == rivertype.JobStateScheduled || row.State == rivertype.JobStateCompleted)
		})
		if row.State != rivertype.JobStateScheduled {
			t.Fatalf("early job %s, want it snoozed (scheduled)", row.State)
		}
		waitUntil(t, "the due retry", func() bool { return deliveryOf(t, db, due.EventID).Status == DeliveryDelivered })
		if got := h.got(); len(got) != 1 || got[0].header.Get("X-Boooply-Meeting-Id") != "m-due" {
			t.Fatalf("receiver got %d requests, want only the due one", len(got))
		}
		d := deliveryOf(t, db, early.EventID)
		if d.Status != DeliveryPending || d.Attempts != 1 || len(attemptsOf(t, db, d.ID)) != 0 {
			t.Fatalf("early delivery %s with %d attempts counted, %d recorded; want pending, 1 counted (the crashed one), none recorded",
				d.Status, d.Attempts, len(attemptsOf(t, db, d.ID)))
		}
		if row.ScheduledAt.Before(nextAt.Add(-dueSlack)) || row.ScheduledAt.After(nextAt.Add(time.Minute)) {
			t.Fatalf("job scheduled at %v, want at the recorded retry %v", row.ScheduledAt, nextAt)
		}
	})
}

// TestManualRetryIgnoresOldRetryTime: a manual retry of a failed delivery,
// and a replay of a delivered one, send at once even with a retry time
// left on the row: starting a round clears next_attempt_at, which the
// worker would otherwise wait for.
func TestManualRetryIgnoresOldRetryTime(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		e := startEngine(t, db, engineOpts{stopped: true})
		h := newHook(t, nil)
		_, ep := createTenant(t, db, "org_manual_early", h.URL+"/hook", nil)
		failed := deliveryOf(t, db, e.ingest(t, "org_manual_early", "m-failed"))
		delivered := deliveryOf(t, db, e.ingest(t, "org_manual_early", "m-delivered"))
		failedOnce(t, db, failed.ID, DeliveryFailed, time.Now().Add(time.Hour))
		failedOnce(t, db, delivered.ID, DeliveryDelivered, time.Now().Add(time.Hour))
		if err := db.Gorm.Exec("DELETE FROM river_job WHERE kind = 'deliver'").Error; err != nil {
			t.Fatal(err)
		}
		e.start(t)
		if err := e.svc.RetryDelivery(ctx, nil, failed.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.Replay(ctx, nil, delivered.EventID, ep.ID); err != nil {
			t.Fatal(err)
		}
		waitUntil(t, "both sent", func() bool { return len(h.got()) == 2 })
		for _, d := range []Delivery{failed, delivered} {
			waitUntil(t, "delivered", func() bool { return deliveryOf(t, db, d.EventID).Status == DeliveryDelivered })
			if got := deliveryOf(t, db, d.EventID); got.NextAttemptAt != nil {
				t.Errorf("delivery %d still has a retry time %v", d.ID, got.NextAttemptAt)
			}
		}
	})
}

// TestNotDue: only a retry clearly ahead (past dueSlack) and no further
// than any retry can wait makes a job snooze.
func TestNotDue(t *testing.T) {
	now := time.Date(2026, 3, 21, 12, 0, 0, 0, time.UTC)
	w := &Worker{policy: NewRetryPolicy(nil, 0.2), now: func() time.Time { return now }}
	at := func(d time.Duration) *time.Time { t := now.Add(d); return &t }
	cases := []struct {
		name     string
		next     *time.Time
		wantWait time.Duration
	}{
		{name: "no retry recorded"},
		{name: "retry passed", next: at(-time.Minute)},
		{name: "within the slack", next: at(dueSlack)},
		{name: "just past the slack", next: at(dueSlack + time.Second), wantWait: dueSlack + time.Second},
		{name: "Retry-After 3600", next: at(time.Hour), wantWait: time.Hour},
		{name: "the 8 h step with +20 % jitter", next: at(9*time.Hour + 30*time.Minute), wantWait: 9*time.Hour + 30*time.Minute},
		{name: "further than any retry waits: a clock far off", next: at(30 * time.Hour)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			wait, early := w.notDue(discardLog(), tc.next)
			if wait != tc.wantWait || early != (tc.wantWait > 0) {
				t.Fatalf("notDue = %v, %v; want %v, %v", wait, early, tc.wantWait, tc.wantWait > 0)
			}
		})
	}
}
