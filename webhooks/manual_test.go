package webhooks

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/switchboard-gw/switchboard/database"
	"github.com/switchboard-gw/switchboard/problem"
	"github.com/switchboard-gw/switchboard/testdb"
)

func wantCode(t testing.TB, err error, code problem.Code) {
	t.Helper()
	var p *problem.Error
	if !errors.As(err, &p) || p.Code != code {
		t.Fatalf("err = %v, want problem %s", err, code)
	}
}

// TestManualOperations: retry one failed delivery (and not a delivered or
// out-of-scope one), bulk-retry by endpoint, replay a delivered event, send
// a test event from a sample; lists and details honour the tenant scope.
func TestManualOperations(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		e := startEngine(t, db, engineOpts{schedule: []time.Duration{5 * time.Millisecond}})
		var up atomic.Bool
		h := newHook(t, func(_ int, w http.ResponseWriter, _ *http.Request) {
			if up.Load() {
				w.WriteHeader(204)
				return
			}
			w.WriteHeader(500)
		})
		ta, epA := createTenant(t, db, "org_ma", h.URL, nil)
		tb, _ := createTenant(t, db, "org_mb", h.URL, nil)
		ev1, ev2 := e.ingest(t, "org_ma", "m-1"), e.ingest(t, "org_ma", "m-2")
		evB := e.ingest(t, "org_mb", "m-b")
		waitUntil(t, "three failures", func() bool {
			return count(t, db.Gorm, "SELECT COUNT(*) FROM deliveries WHERE status = 'failed'") == 3
		})
		d1, d2, dB := deliveryOf(t, db, ev1), deliveryOf(t, db, ev2), deliveryOf(t, db, evB)
		store := NewStore(db.Gorm)

		rows, _, err := store.ListDeliveryRows(ctx, DeliveryFilter{Scope: []int64{tb.ID}})
		if err != nil || len(rows) != 1 || rows[0].ID != dB.ID || rows[0].MeetingCode != "m-b" {
			t.Fatalf("scoped list = %+v %v, want only tenant B's delivery", rows, err)
		}
		if _, err := store.FindDelivery(ctx, []int64{tb.ID}, d1.ID); err == nil {
			t.Fatal("a user scoped to B saw A's delivery")
		}
		wantCode(t, e.svc.RetryDelivery(ctx, []int64{tb.ID}, d1.ID), problem.CodeNotFound)

		up.Store(true)
		if err := e.svc.RetryDelivery(ctx, nil, d1.ID); err != nil {
			t.Fatal(err)
		}
		waitUntil(t, "retried delivery", func() bool { return deliveryOf(t, db, ev1).Status == DeliveryDelivered })
		wantCode(t, e.svc.RetryDelivery(ctx, nil, d1.ID), problem.CodeConflict)
		detail, err := store.FindDelivery(ctx, nil, d1.ID)
		if err != nil || len(detail.Attempts) != 3 || detail.RoundStartAttempts != 2 || len(detail.Body) == 0 {
			t.Fatalf("detail = %+v %v, want 3 attempts, a round starting after 2, and the body", detail, err)
		}

		n, err := e.svc.BulkRetry(ctx, DeliveryFilter{Scope: nil, EndpointID: epA.ID})
		if err != nil || n != 1 {
			t.Fatalf("bulk retry = %d %v, want 1 (d2 only)", n, err)
		}
		waitUntil(t, "bulk retried", func() bool { return deliveryOf(t, db, ev2).Status == DeliveryDelivered })
		if deliveryOf(t, db, evB).Status != DeliveryFailed {
			t.Error("bulk retry by endpoint touched another tenant's delivery")
		}

		before := len(h.got())
		id, err := e.svc.Replay(ctx, nil, ev2, epA.ID)
		if err != nil || id != d2.ID {
			t.Fatalf("replay = %d %v", id, err)
		}
		waitUntil(t, "replay", func() bool { return len(h.got()) == before+1 && deliveryOf(t, db, ev2).Status == DeliveryDelivered })
		if _, err := e.svc.Replay(ctx, nil, ev2, dB.EndpointID); err == nil {
			t.Error("replayed an event to another tenant's endpoint")
		}

		testID, err := e.svc.SendTest(ctx, []int64{ta.ID}, ta.ID, epA.ID, "interview.scores")
		if err != nil {
			t.Fatal(err)
		}
		waitUntil(t, "test event", func() bool {
			d, err := store.FindDelivery(ctx, nil, testID)
			return err == nil && d.Status == DeliveryDelivered && strings.HasPrefix(d.MeetingCode, "switchboard-test-")
		})
		_, err = e.svc.SendTest(ctx, []int64{ta.ID}, ta.ID, epA.ID, "interview.unknown")
		wantCode(t, err, problem.CodeInvalid)
	})
}

// TestRetentionPurgesPayloads: settled events older than the cutoff lose
// their bodies (event, mapped, responses); metadata stays; pending ones keep theirs.
func TestRetentionPurgesPayloads(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		e := startEngine(t, db, engineOpts{})
		h := newHook(t, func(_ int, w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("thanks")) })
		createTenant(t, db, "org_ret", h.URL, nil)
		old := e.ingest(t, "org_ret", "m-old")
		waitUntil(t, "delivery", func() bool { return deliveryOf(t, db, old).Status == DeliveryDelivered })
		fresh := e.ingest(t, "org_ret", "m-fresh")
		waitUntil(t, "delivery", func() bool { return deliveryOf(t, db, fresh).Status == DeliveryDelivered })
		db.Gorm.Exec("UPDATE events SET received_at = ? WHERE id = ?", time.Now().Add(-40*24*time.Hour).UTC(), old)
		n, err := PurgePayloads(ctx, db.Gorm, time.Now().Add(-30*24*time.Hour), time.Now())
		if err != nil || n != 1 {
			t.Fatalf("purged %d (%v), want 1", n, err)
		}
		if c := count(t, db.Gorm, "SELECT COUNT(*) FROM events WHERE id = ? AND LENGTH(body) = 0", old); c != 1 {
			t.Error("old body kept")
		}
		if c := count(t, db.Gorm, "SELECT COUNT(*) FROM events WHERE id = ? AND LENGTH(body) > 0", fresh); c != 1 {
			t.Error("fresh body purged")
		}
		d := deliveryOf(t, db, old)
		atts := attemptsOf(t, db, d.ID)
		if d.PayloadPurgedAt == nil || d.Status != DeliveryDelivered || len(atts) != 1 || atts[0].ResponseBody != "" || *atts[0].StatusCode != 200 {
			t.Errorf("after purge: delivery %+v attempts %+v, want metadata kept and bodies gone", d, atts)
		}
		if _, err := e.svc.Replay(ctx, nil, old, d.EndpointID); err == nil {
			t.Error("replayed a purged event")
		}
	})
}

// TestMetrics: attempts are counted by outcome, durations and lag observed,
// and the ops gauges report queue depth and endpoint health once refreshed.
func TestMetrics(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		reg := prometheus.NewRegistry()
		e := startEngine(t, db, engineOpts{metrics: NewMetrics(reg)})
		ops := NewOpsGauges(db.Gorm, nil, time.Now)
		reg.MustRegister(ops)
		h := newHook(t, failFirst(1, 500))
		createTenant(t, db, "org_metrics", h.URL, nil)
		gone := newHook(t, failFirst(9, 410))
		createTenant(t, db, "org_gone", gone.URL, nil)
		ev := e.ingest(t, "org_metrics", "m-metrics")
		evGone := e.ingest(t, "org_gone", "m-gone")
		waitUntil(t, "deliveries", func() bool {
			return deliveryOf(t, db, ev).Status == DeliveryDelivered && deliveryOf(t, db, evGone).Status == DeliveryFailed
		})
		m := e.worker.metrics
		// The worker counts an attempt just after recording it: wait for the
		// counters rather than race the last one.
		waitUntil(t, "attempt counters", func() bool {
			return testutil.ToFloat64(m.attempts.WithLabelValues("delivered")) >= 1 && testutil.ToFloat64(m.disabled) >= 1
		})
		for outcome, want := range map[string]float64{"delivered": 1, "retry": 1, "gone": 1} {
			if got := testutil.ToFloat64(m.attempts.WithLabelValues(outcome)); got != want {
				t.Errorf("attempts{%s} = %v, want %v", outcome, got, want)
			}
		}
		if got := testutil.ToFloat64(m.disabled); got != 1 {
			t.Errorf("disabled = %v, want 1", got)
		}
		if n := testutil.CollectAndCount(reg, "switchboard_delivery_duration_seconds", "switchboard_delivery_lag_seconds"); n != 2 {
			t.Errorf("histograms collected = %d, want 2", n)
		}
		if err := ops.Refresh(context.Background()); err != nil {
			t.Fatal(err)
		}
		want := `
# HELP switchboard_endpoints Endpoints by health (healthy, failing, circuit_open, disabled), as last read from the database.
# TYPE switchboard_endpoints gauge
switchboard_endpoints{health="circuit_open"} 0
switchboard_endpoints{health="disabled"} 1
switchboard_endpoints{health="failing"} 0
switchboard_endpoints{health="healthy"} 1
`
		if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "switchboard_endpoints"); err != nil {
			t.Error(err)
		}
		if n := testutil.CollectAndCount(reg, "switchboard_delivery_queue_depth"); n == 0 {
			t.Error("no queue depth reported")
		}
	})
}
