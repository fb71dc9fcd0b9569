package webhooks

import (
	"context"
	"strconv"
	"testing"

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
