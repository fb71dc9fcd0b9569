package webhooks

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/switchboard-gw/switchboard/database"
	"github.com/switchboard-gw/switchboard/tenants"
	"github.com/switchboard-gw/switchboard/testdb"
)

var manyShortSteps = []time.Duration{10 * time.Millisecond, 10 * time.Millisecond, 10 * time.Millisecond, 10 * time.Millisecond,
	10 * time.Millisecond, 10 * time.Millisecond, 10 * time.Millisecond, 10 * time.Millisecond, 10 * time.Millisecond}

// TestCircuitBreaker: after Threshold consecutive failures the endpoint's
// attempts are spaced by the cooldown (no hammering), a probe then
// succeeds and the breaker resets.
func TestCircuitBreaker(t *testing.T) {
	const cooldown = 300 * time.Millisecond
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		e := startEngine(t, db, engineOpts{schedule: manyShortSteps,
			breaker: BreakerConfig{Threshold: 2, Cooldown: cooldown, DisableAfter: time.Hour}})
		h := newHook(t, failFirst(3, 500))
		_, ep := createTenant(t, db, "org_breaker", h.URL, nil)
		evID := e.ingest(t, "org_breaker", "m-breaker")
		waitUntil(t, "delivery", func() bool { return deliveryOf(t, db, evID).Status == DeliveryDelivered })
		reqs := h.got()
		if len(reqs) != 4 {
			t.Fatalf("got %d requests, want 4 (3 failures, then the probe that succeeds)", len(reqs))
		}
		// The schedule alone would retry after 10 ms; an open circuit waits the cooldown.
		for i := 2; i < 4; i++ {
			if gap := reqs[i].at.Sub(reqs[i-1].at); gap < cooldown {
				t.Errorf("attempt %d came %v after the previous, want at least the %v cooldown", i+1, gap, cooldown)
			}
		}
		var health EndpointHealth
		db.Gorm.First(&health, ep.ID)
		if health.ConsecutiveFailures != 0 || health.FailingSince != nil || health.CircuitOpenUntil != nil || !health.Enabled {
			t.Errorf("health after recovery = %+v, want reset and enabled", health)
		}
	})
}

// TestDisableAfterFailingAndRedeliver: an endpoint failing longer than
// DisableAfter is disabled with a reason, the operator webhook is told,
// later deliveries fail as endpoint-disabled, and re-enabling with
// redeliver sends everything that failed meanwhile.
func TestDisableAfterFailingAndRedeliver(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		operator := newHook(t, nil)
		var healthy atomic.Bool
		h := newHook(t, func(_ int, w http.ResponseWriter, _ *http.Request) {
			if healthy.Load() {
				w.WriteHeader(204)
				return
			}
			w.WriteHeader(502)
		})
		e := startEngine(t, db, engineOpts{schedule: manyShortSteps,
			breaker: BreakerConfig{Threshold: 100, DisableAfter: 50 * time.Millisecond, OperatorWebhookURL: operator.URL}})
		_, ep := createTenant(t, db, "org_down", h.URL, nil)
		first := e.ingest(t, "org_down", "m-down-1")
		waitUntil(t, "first delivery to fail", func() bool { return deliveryOf(t, db, first).Status == DeliveryFailed })
		var health EndpointHealth
		db.Gorm.First(&health, ep.ID)
		if health.Enabled || !strings.Contains(health.DisabledReason, "failing since") || health.DisabledAt == nil {
			t.Fatalf("health = %+v, want disabled with a reason", health)
		}
		waitUntil(t, "operator notice", func() bool { return len(operator.got()) == 1 })
		var notice map[string]any
		_ = json.Unmarshal(operator.got()[0].body, &notice)
		if notice["type"] != "endpoint.disabled" || notice["endpoint_id"] != float64(ep.ID) {
			t.Errorf("operator notice = %v", notice)
		}
		// The endpoint no longer receives new events (routing skips disabled endpoints).
		second, err := e.svc.Ingest(context.Background(), mustParse(t, `{"event":"interview.scores","data":{"meetingCode":"m-down-2","sourceId":"org_down"}}`))
		if err != nil || second.Deliveries != 0 {
			t.Fatalf("ingest while disabled: %+v %v, want no delivery", second, err)
		}
		healthy.Store(true)
		n, err := e.svc.EnableEndpoint(context.Background(), nil, ep.ID, true)
		if err != nil || n != 1 {
			t.Fatalf("enable: %d %v, want 1 redelivery", n, err)
		}
		waitUntil(t, "redelivery", func() bool { return deliveryOf(t, db, first).Status == DeliveryDelivered })
		db.Gorm.First(&health, ep.ID)
		if !health.Enabled || health.DisabledReason != "" || health.ConsecutiveFailures != 0 {
			t.Errorf("health after enable = %+v", health)
		}
	})
}

// TestOrderedMode: with ordered on, a later event of the same meeting waits
// until the earlier one is settled, even when the earlier one needs retries.
func TestOrderedMode(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		e := startEngine(t, db, engineOpts{schedule: manyShortSteps})
		var order []string
		h := newHook(t, func(n int, w http.ResponseWriter, r *http.Request) {
			if n <= 2 {
				w.WriteHeader(503) // the first event fails twice before it gets through
				return
			}
			w.WriteHeader(204)
		})
		_, _ = createTenant(t, db, "org_ordered", h.URL, func(ep *tenants.Endpoint) { ep.Ordered = true })
		for _, ev := range []string{"interview.transcript", "interview.evaluation", "interview.scores"} {
			body := `{"event":"` + ev + `","data":{"meetingCode":"m-ord","sourceId":"org_ordered"}}`
			if _, err := e.svc.Ingest(context.Background(), mustParse(t, body)); err != nil {
				t.Fatal(err)
			}
		}
		waitUntil(t, "three deliveries", func() bool {
			return count(t, db.Gorm, "SELECT COUNT(*) FROM deliveries WHERE status = 'delivered'") == 3
		})
		for _, r := range h.got() {
			var v struct{ Event string }
			_ = json.Unmarshal(r.body, &v)
			order = append(order, v.Event)
		}
		want := "interview.transcript interview.transcript interview.transcript interview.evaluation interview.scores"
		if got := strings.Join(order, " "); got != want {
			t.Fatalf("arrival order at the endpoint:\n got %s\nwant %s", got, want)
		}
	})
}
