package webhooks

import (
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
