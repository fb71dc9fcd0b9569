package webhooks

import (
	"context"
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/switchboard-gw/switchboard/database"
	"github.com/switchboard-gw/switchboard/tenants"
	"github.com/switchboard-gw/switchboard/testdb"
)

// TestPauseHoldsQueuedDeliveries: deliveries queued while the tenant was
// active, then paused before the worker picks them, are held without an
// attempt; resume sends each exactly once.
func TestPauseHoldsQueuedDeliveries(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		rx := newHook(t, nil)
		tn, _ := createTenant(t, db, "org_pause", rx.URL, nil)
		e := startEngine(t, db, engineOpts{stopped: true})
		ids := []int64{e.ingest(t, "org_pause", "M-1"), e.ingest(t, "org_pause", "M-2"), e.ingest(t, "org_pause", "M-3")}
		setTenantStatus(t, db, tn.ID, tenants.StatusPaused)
		e.start(t)
		waitUntil(t, "deliveries held", func() bool { return countStatus(t, db, ids, DeliveryHeld) == len(ids) })
		for _, id := range ids {
			if d := deliveryOf(t, db, id); d.Attempts != 0 || len(attemptsOf(t, db, d.ID)) != 0 {
				t.Fatalf("held delivery %d: %d attempts counted, %d recorded; want none", d.ID, d.Attempts, len(attemptsOf(t, db, d.ID)))
			}
		}
		if n := len(rx.got()); n != 0 {
			t.Fatalf("receiver got %d requests while the tenant was paused, want 0", n)
		}
		_, released, err := tenants.NewStore(db.Gorm).Resume(ctx, tn.ID, e.svc)
		if err != nil || released != len(ids) {
			t.Fatalf("resume released %d (err %v), want %d", released, err, len(ids))
		}
		waitUntil(t, "deliveries sent", func() bool { return countStatus(t, db, ids, DeliveryDelivered) == len(ids) })
		seen := map[string]int{}
		for _, r := range rx.got() {
			seen[r.header.Get("webhook-id")]++
		}
		for _, id := range ids {
			d := deliveryOf(t, db, id)
			if key := "dlv_" + strconv.FormatInt(d.ID, 10); seen[key] != 1 || d.Attempts != 1 {
				t.Fatalf("delivery %d: received %d times, %d attempts; want exactly once", d.ID, seen[key], d.Attempts)
			}
		}
		if n := len(rx.got()); n != len(ids) {
			t.Fatalf("receiver got %d requests, want %d", n, len(ids))
		}
	})
}

// TestDisableCancelsQueuedDeliveries: a disabled tenant's queued deliveries
// fail with "tenant disabled", nothing sent, no attempt recorded.
func TestDisableCancelsQueuedDeliveries(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		rx := newHook(t, nil)
		tn, _ := createTenant(t, db, "org_off", rx.URL, nil)
		e := startEngine(t, db, engineOpts{stopped: true})
		ids := []int64{e.ingest(t, "org_off", "M-1"), e.ingest(t, "org_off", "M-2")}
		setTenantStatus(t, db, tn.ID, tenants.StatusDisabled)
		e.start(t)
		waitUntil(t, "deliveries cancelled", func() bool { return countStatus(t, db, ids, DeliveryFailed) == len(ids) })
		for _, id := range ids {
			d := deliveryOf(t, db, id)
			if d.LastError != ReasonTenantDisabled || d.Attempts != 0 || len(attemptsOf(t, db, d.ID)) != 0 {
				t.Fatalf("delivery %d: last_error %q, %d attempts; want %q and none", d.ID, d.LastError, d.Attempts, ReasonTenantDisabled)
			}
		}
		if n := len(rx.got()); n != 0 {
			t.Fatalf("receiver got %d requests for a disabled tenant, want 0", n)
		}
	})
}

func setTenantStatus(t testing.TB, db *database.DB, id int64, s tenants.Status) {
	t.Helper()
	if _, err := tenants.NewStore(db.Gorm).UpdateTenant(context.Background(), id, tenants.TenantUpdate{Status: &s}); err != nil {
		t.Fatal(err)
	}
}

// countStatus counts the deliveries of eventIDs in status s.
func countStatus(t testing.TB, db *database.DB, eventIDs []int64, s DeliveryStatus) int {
	t.Helper()
	var n int64
	if err := db.Gorm.Model(&Delivery{}).Where("event_id IN ? AND status = ?", eventIDs, s).Count(&n).Error; err != nil {
		t.Fatal(err)
	}
	return int(n)
}

// TestResumeStartsNewRound: on both dialects, deliveries held for two
// hours by a paused tenant get their full retry window after the resume
// (a new round, as a manual retry starts): one whose endpoint's max age
// (1 h) passed during the pause, and one that had used all but one of its
// attempts before it was held, each fail their first attempt after the
// resume and are retried and delivered, not failed at once. The oldest
// pending delivery's age counts from the resume, not from the creation two
// hours earlier. Resume used to leave the round alone: the first failed
// attempt failed both for good, and the age gauge jumped to the pause.
func TestResumeStartsNewRound(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		var mu sync.Mutex
		tries := map[string]int{}
		rx := newHook(t, func(_ int, w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			defer mu.Unlock()
			if tries[r.Header.Get("webhook-id")]++; tries[r.Header.Get("webhook-id")] == 1 {
				w.WriteHeader(http.StatusServiceUnavailable) // each delivery's first try after the resume
				return
			}
			w.WriteHeader(http.StatusNoContent)
		})
		tn, _ := createTenant(t, db, "org_resume", rx.URL, func(ep *tenants.Endpoint) { ep.MaxAgeSeconds = 3600 })
		e := startEngine(t, db, engineOpts{stopped: true}) // three 20 ms waits: 4 attempts a round
		setTenantStatus(t, db, tn.ID, tenants.StatusPaused)
		evs := []int64{e.ingest(t, "org_resume", "M-aged"), e.ingest(t, "org_resume", "M-tried")}
		if n := countStatus(t, db, evs, DeliveryHeld); n != 2 {
			t.Fatalf("held deliveries = %d, want 2", n)
		}
		// Paused two hours ago, right after the events arrived; the second
		// delivery had failed 3 of its 4 attempts before it was held.
		pausedAt := time.Now().UTC().Add(-2 * time.Hour)
		if err := db.Gorm.Table("events").Where("id IN ?", evs).Update("received_at", pausedAt).Error; err != nil {
			t.Fatal(err)
		}
		if err := db.Gorm.Model(&Delivery{}).Where("event_id IN ?", evs).Update("created_at", pausedAt).Error; err != nil {
			t.Fatal(err)
		}
		if err := db.Gorm.Model(&Delivery{}).Where("event_id = ?", evs[1]).Update("attempts", 3).Error; err != nil {
			t.Fatal(err)
		}

		g := NewOpsGauges(db.Gorm, nil, time.Now)
		resumed := time.Now()
		if _, released, err := tenants.NewStore(db.Gorm).Resume(ctx, tn.ID, e.svc); err != nil || released != 2 {
			t.Fatalf("resume released %d (err %v), want 2", released, err)
		}
		if err := g.Refresh(ctx); err != nil {
			t.Fatal(err)
		}
		if age := gaugeValues(t, g)["switchboard_delivery_pending_oldest_age_seconds"]; age > time.Since(resumed).Seconds()+1 {
			t.Errorf("oldest pending age just after the resume = %.0f s, want the time since the resume (the pause lasted 7200 s)", age)
		}

		e.start(t)
		waitUntil(t, "both deliveries settled", func() bool {
			return countStatus(t, db, evs, DeliveryDelivered)+countStatus(t, db, evs, DeliveryFailed) == 2
		})
		for i, want := range []int{2, 5} {
			d := deliveryOf(t, db, evs[i])
			if d.Status != DeliveryDelivered || d.Attempts != want {
				t.Errorf("delivery %d: %s after %d attempts (last error %q), want delivered after %d (a retry after the resume)",
					d.ID, d.Status, d.Attempts, d.LastError, want)
			}
		}
	})
}

// TestRetentionKeepsHeldEvents: events still to be delivered keep their
// bodies past retention, or a late delivery would send an empty body: an
// unrouted event (held until its tenant exists) and one whose delivery is
// held for a paused tenant. Once delivered, retention purges them.
func TestRetentionKeepsHeldEvents(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		rx := newHook(t, nil)
		tn, _ := createTenant(t, db, "org_paused_long", rx.URL, nil)
		e := startEngine(t, db, engineOpts{stopped: true})
		held := e.ingest(t, "org_paused_long", "M-held")
		unrouted := e.ingest(t, "org_not_yet", "M-unrouted")
		setTenantStatus(t, db, tn.ID, tenants.StatusPaused)
		e.start(t)
		waitUntil(t, "delivery held", func() bool { return countStatus(t, db, []int64{held}, DeliveryHeld) == 1 })
		db.Gorm.Exec("UPDATE events SET received_at = ?", time.Now().Add(-40*24*time.Hour).UTC())
		cutoff := time.Now().Add(-30 * 24 * time.Hour)
		if n, err := PurgePayloads(ctx, db.Gorm, cutoff, time.Now()); err != nil || n != 0 {
			t.Fatalf("purged %d (%v), want 0: both events are still to be delivered", n, err)
		}
		if c := count(t, db.Gorm, "SELECT COUNT(*) FROM events WHERE LENGTH(body) > 0"); c != 2 {
			t.Fatalf("%d events keep their body, want 2", c)
		}
		if _, _, err := tenants.NewStore(db.Gorm).Resume(ctx, tn.ID, e.svc); err != nil {
			t.Fatal(err)
		}
		waitUntil(t, "delivered", func() bool { return countStatus(t, db, []int64{held}, DeliveryDelivered) == 1 })
		if got := rx.got(); len(got) != 1 || len(got[0].body) == 0 {
			t.Fatalf("receiver got %d requests, want one carrying the body", len(got))
		}
		if n, err := PurgePayloads(ctx, db.Gorm, cutoff, time.Now()); err != nil || n != 1 {
			t.Fatalf("purged %d (%v) after delivery, want 1", n, err)
		}
		if c := count(t, db.Gorm, "SELECT COUNT(*) FROM events WHERE id = ? AND LENGTH(body) > 0", unrouted); c != 1 {
			t.Error("the unrouted event lost its body")
		}
	})
}

// TestDeliverHeldStartsItsRound: an event held for want of a tenant, then
// delivered with deliver-held, has its max age counted from when its
// delivery was created, as a paused tenant's held delivery counts from the
// resume (and as the oldest-pending gauge counts it): the hold is not
// charged to it, so a first failure two hours after the event arrived is
// retried under a one-hour max age.
func TestDeliverHeldStartsItsRound(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		rx := newHook(t, func(n int, w http.ResponseWriter, _ *http.Request) {
			if n == 1 {
				w.WriteHeader(http.StatusServiceUnavailable)
				return
			}
			w.WriteHeader(http.StatusNoContent)
		})
		e := startEngine(t, db, engineOpts{stopped: true})
		ev := e.ingest(t, "org_late", "M-late") // no tenant yet: held
		if err := db.Gorm.Table("events").Where("id = ?", ev).Update("received_at", time.Now().UTC().Add(-2*time.Hour)).Error; err != nil {
			t.Fatal(err)
		}
		tn, _ := createTenant(t, db, "org_late", rx.URL, func(ep *tenants.Endpoint) { ep.MaxAgeSeconds = 3600 })
		if n, err := e.svc.DeliverHeld(ctx, tn.ID, "org_late", time.Time{}); err != nil || n != 1 {
			t.Fatalf("deliver-held: %d events, %v; want 1", n, err)
		}
		e.start(t)
		waitUntil(t, "the delivery to settle", func() bool { return deliveryOf(t, db, ev).Status != DeliveryPending })
		if d := deliveryOf(t, db, ev); d.Status != DeliveryDelivered || d.Attempts != 2 {
			t.Errorf("%s after %d attempts (last error %q), want delivered after 2 (the 503 retried)", d.Status, d.Attempts, d.LastError)
		}
	})
}

// TestReplayNewDeliveryStartsItsRound: a replay to an endpoint the event
// has no delivery for creates one whose max age counts from the replay,
// as a replay of an existing delivery (a new round) does.
func TestReplayNewDeliveryStartsItsRound(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		rx := newHook(t, func(n int, w http.ResponseWriter, _ *http.Request) {
			if n == 1 {
				w.WriteHeader(http.StatusServiceUnavailable)
				return
			}
			w.WriteHeader(http.StatusNoContent)
		})
		_, ep := createTenant(t, db, "org_replay_new", rx.URL, func(ep *tenants.Endpoint) { ep.MaxAgeSeconds = 3600 })
		e := startEngine(t, db, engineOpts{stopped: true})
		ev := e.ingest(t, "org_replay_new", "M-replay-new")
		// As if the endpoint had been added after the event arrived, two hours ago.
		if err := db.Gorm.Exec("DELETE FROM deliveries WHERE event_id = ?", ev).Error; err != nil {
			t.Fatal(err)
		}
		if err := db.Gorm.Table("events").Where("id = ?", ev).Update("received_at", time.Now().UTC().Add(-2*time.Hour)).Error; err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.Replay(ctx, nil, ev, ep.ID); err != nil {
			t.Fatal(err)
		}
		e.start(t)
		waitUntil(t, "the delivery to settle", func() bool { return deliveryOf(t, db, ev).Status != DeliveryPending })
		if d := deliveryOf(t, db, ev); d.Status != DeliveryDelivered || d.Attempts != 2 {
			t.Errorf("%s after %d attempts (last error %q), want delivered after 2 (the 503 retried)", d.Status, d.Attempts, d.LastError)
		}
	})
}
