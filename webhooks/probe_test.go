package webhooks

import (
	"context"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/switchboard-gw/switchboard/database"
	"github.com/switchboard-gw/switchboard/tenants"
	"github.com/switchboard-gw/switchboard/testdb"
)

// TestProbeReenablesEndpoint: an endpoint disabled automatically, whose
// health probe fails, stays disabled; once the probe answers 2xx the probe
// job enables it and redelivers what failed while it was down. An endpoint
// disabled by hand is never probed back on.
func TestProbeReenablesEndpoint(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		var healthy atomic.Bool
		rx := newHook(t, func(_ int, w http.ResponseWriter, r *http.Request) {
			if !healthy.Load() {
				w.WriteHeader(http.StatusServiceUnavailable)
				return
			}
			w.WriteHeader(http.StatusNoContent)
		})
		_, ep := createTenant(t, db, "org_probe", rx.URL+"/hook", func(e *tenants.Endpoint) { e.ProbeURL, e.MaxAttempts = rx.URL+"/health", 1 })
		_, manual := createTenant(t, db, "org_manual", rx.URL+"/manual", func(e *tenants.Endpoint) { e.ProbeURL, e.Enabled = rx.URL+"/health", false })
		e := startEngine(t, db, engineOpts{register: addProbeWorker(db)})
		ev := e.ingest(t, "org_probe", "M-probe")
		waitUntil(t, "the delivery to fail", func() bool { return deliveryOf(t, db, ev).Status == DeliveryFailed })
		if err := disableEndpoint(db.Gorm, ep.ID, "failing since 5 days", time.Now().UTC()); err != nil {
			t.Fatal(err)
		}

		e.runProbe(t)
		if h := healthOf(t, db, ep.ID); h.Enabled || h.DisabledReason == "" {
			t.Fatalf("after a failed probe: enabled %v, reason %q; want still disabled", h.Enabled, h.DisabledReason)
		}
		healthy.Store(true)
		e.runProbe(t)
		if h := healthOf(t, db, ep.ID); !h.Enabled || h.DisabledReason != "" {
			t.Fatalf("after a good probe: enabled %v, reason %q; want enabled, reason cleared", h.Enabled, h.DisabledReason)
		}
		waitUntil(t, "the redelivery", func() bool { return deliveryOf(t, db, ev).Status == DeliveryDelivered })
		if h := healthOf(t, db, manual.ID); h.Enabled {
			t.Fatal("an endpoint disabled by hand was enabled by the probe")
		}
		delivered := 0
		for _, r := range rx.got() {
			if r.header.Get("webhook-id") != "" {
				delivered++
			}
		}
		if delivered != 2 { // the failed first attempt and the redelivery
			t.Fatalf("deliveries sent = %d, want 2 (one failed while down, one after the probe)", delivered)
		}
	})
}

// runProbe inserts one probe job and waits until River completed it.
func (e *engine) runProbe(t testing.TB) {
	t.Helper()
	res, err := e.client.Insert(context.Background(), ProbeArgs{}, &river.InsertOpts{Queue: QueueDeliveries})
	if err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "the probe job", func() bool {
		var state string
		if err := e.db.Gorm.Raw("SELECT state FROM river_job WHERE id = ?", res.Job.ID).Scan(&state).Error; err != nil {
			t.Fatal(err)
		}
		if strings.Contains("discarded cancelled", state) && state != "" {
			t.Fatalf("probe job ended %s", state)
		}
		return state == "completed"
	})
}

func healthOf(t testing.TB, db *database.DB, id int64) EndpointHealth {
	t.Helper()
	var h EndpointHealth
	if err := db.Gorm.Where("id = ?", id).First(&h).Error; err != nil {
		t.Fatal(err)
	}
	return h
}

// addProbeWorker registers the probe worker beside the engine's delivery worker.
func addProbeWorker(db *database.DB) func(*river.Workers, RetryPolicy, *Worker) {
	return func(ws *river.Workers, p RetryPolicy, w *Worker) {
		river.AddWorker(ws, NewProbeWorker(db.Gorm, w, p, discardLog()))
	}
}
