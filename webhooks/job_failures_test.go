package webhooks

import (
	"context"
	"strings"
	"testing"

	"github.com/switchboard-gw/switchboard/database"
	"github.com/switchboard-gw/switchboard/testdb"
)

// TestQueueGaveUpFailsDelivery: when every try of a delivery's job ends in
// an error the worker can't record (here the attempts table is gone), River
// discards the job after its last try; the delivery must then be failed,
// saying why, instead of staying pending with nothing left to run it.
func TestQueueGaveUpFailsDelivery(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		e := startEngine(t, db, engineOpts{})
		h := newHook(t, nil)
		createTenant(t, db, "org_gaveup", h.URL+"/hook", nil)
		if err := db.Gorm.Exec("DROP TABLE attempts").Error; err != nil {
			t.Fatal(err)
		}
		evID := e.ingest(t, "org_gaveup", "m-gaveup")
		var d Delivery
		waitUntil(t, "the delivery to leave pending", func() bool { d = deliveryOf(t, db, evID); return d.Status != DeliveryPending })
		if d.Status != DeliveryFailed || !strings.HasPrefix(d.LastError, ReasonQueueGaveUp) || !strings.Contains(d.LastError, "25 tries") {
			t.Fatalf("delivery %s, last_error %q; want failed by the queue giving up after 25 tries", d.Status, d.LastError)
		}
		if d.NextAttemptAt != nil {
			t.Errorf("next_attempt_at %v on a failed delivery", d.NextAttemptAt)
		}
		// River finalizes the job after its error handler has run.
		var state string
		waitUntil(t, "River to discard the job", func() bool {
			if err := db.Gorm.Raw("SELECT state FROM river_job WHERE kind = ? ORDER BY id DESC LIMIT 1", (DeliverArgs{}).Kind()).Scan(&state).Error; err != nil {
				t.Fatal(err)
			}
			return state == "discarded"
		})
	})
}

// TestSweepDiscardedFailsOrphans: a pending delivery whose only job River
// discarded (as its rescuer does, without the error handler) is failed by
// the sweep; one that still has a live job, and one already settled, are
// left alone.
func TestSweepDiscardedFailsOrphans(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		e := startEngine(t, db, engineOpts{stopped: true})
		h := newHook(t, nil)
		createTenant(t, db, "org_sweep", h.URL+"/hook", nil)
		orphan := deliveryOf(t, db, e.ingest(t, "org_sweep", "m-orphan"))
		queued := deliveryOf(t, db, e.ingest(t, "org_sweep", "m-queued"))
		settled := deliveryOf(t, db, e.ingest(t, "org_sweep", "m-settled"))
		argID := "json_extract(args, '$.delivery_id')"
		if db.Dialect == database.Postgres {
			argID = "(args->>'delivery_id')::bigint"
		}
		// River's discard: the job finalized, the delivery untouched.
		discard := "UPDATE river_job SET state = 'discarded', finalized_at = CURRENT_TIMESTAMP WHERE " + argID + " IN (?, ?)"
		if err := db.Gorm.Exec(discard, orphan.ID, settled.ID).Error; err != nil {
			t.Fatal(err)
		}
		if err := db.Gorm.Model(&Delivery{}).Where("id = ?", settled.ID).Update("status", DeliveryDelivered).Error; err != nil {
			t.Fatal(err)
		}
		// queued has a discarded job too, but also a live one.
		var jobID int64
		if err := db.Gorm.Raw("SELECT id FROM river_job WHERE "+argID+" = ?", queued.ID).Scan(&jobID).Error; err != nil {
			t.Fatal(err)
		}
		if err := db.Gorm.Exec("INSERT INTO river_job (args, attempt, kind, max_attempts, metadata, priority, queue, state, scheduled_at, finalized_at, tags) "+
			"SELECT args, attempt, kind, max_attempts, metadata, priority, queue, 'discarded', scheduled_at, CURRENT_TIMESTAMP, tags FROM river_job WHERE id = ?", jobID).Error; err != nil {
			t.Fatal(err)
		}

		n, err := NewJobFailures(db.Gorm, e.worker.log).SweepDiscarded(context.Background())
		if err != nil || n != 1 {
			t.Fatalf("sweep failed %d deliveries (err %v), want 1", n, err)
		}
		if d := deliveryOf(t, db, orphan.EventID); d.Status != DeliveryFailed || !strings.HasPrefix(d.LastError, ReasonQueueGaveUp) {
			t.Errorf("orphan: %s %q, want failed by the queue giving up", d.Status, d.LastError)
		}
		if d := deliveryOf(t, db, queued.EventID); d.Status != DeliveryPending {
			t.Errorf("a delivery with a live job: %s, want pending", d.Status)
		}
		if d := deliveryOf(t, db, settled.EventID); d.Status != DeliveryDelivered {
			t.Errorf("a settled delivery: %s, want delivered", d.Status)
		}
		if n, err := NewJobFailures(db.Gorm, e.worker.log).SweepDiscarded(context.Background()); err != nil || n != 0 {
			t.Errorf("second sweep failed %d (err %v), want 0", n, err)
		}
	})
}
